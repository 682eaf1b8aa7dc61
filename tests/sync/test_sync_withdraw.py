"""Issue 12 at the kiosk: the my-applications look-up and withdrawals through the outbox,
exactly once under network faults, restarts and a killed process. Against the reference
server (sync_helpers.Central); erasures are counted in central's database, requests at a
FaultProxy in front of it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from sync_helpers import (
    Central,
    apply_at,
    erasures,
    fake_id_number,
    key_file_for,
    make_outbox,
    withdraw_requests,
)

from kiosk.api import ApiClient, ApiOffline, ApiRejected, ApiUnauthorised
from kiosk.netsim import FaultProxy
from kiosk.settings import Settings, from_dict

ROOT = Path(__file__).resolve().parents[2]
STATION = "qh-park"  # the seed's first station; qh-mall is its sibling, lt-park in another county
JOBS = ["qh-0001", "qh-0002", "qh-0003", "qh-0004", "qh-0005"]  # open jobs of qinghe in the demo seed


@pytest.fixture
def central(fresh_central: Central) -> Central:
    """A server of one's own per test (conftest's module-wide one would carry rows over)."""
    assert fresh_central.station["id"] == STATION
    return fresh_central


def settings(base_url: str, data_dir: Path, token: str) -> Settings:
    return from_dict({
        "station": {"id": STATION},
        "api": {"base_url": base_url, "token": token, "connect_timeout_s": 1.0, "read_timeout_s": 1.5},
        "storage": {"data_dir": str(data_dir), "outbox_key_file": str(key_file_for(data_dir))},
    })


def client(central: Central, base_url: str, tmp: Path, **kw: object) -> ApiClient:
    return ApiClient(settings(base_url, tmp, central.station["token"]).api, **kw)  # type: ignore[arg-type]


def ending_in_x(rng: random.Random) -> str:
    while not (number := fake_id_number(rng)).endswith("X"):
        pass
    return number


def test_my_applications_newest_first_this_county_only(central: Central, tmp_path: Path) -> None:
    """Statuses as staff set them (outcome API), a job closed by the county, another county's
    and another person's registrations left out, the check letter matched in either case."""
    rng = random.Random(1)
    me, other = ending_in_x(rng), fake_id_number(rng)
    a5 = apply_at(central, me.lower(), JOBS[4])  # stored from a lower-case x: found all the same
    a1 = apply_at(central, me, JOBS[0])
    a2 = apply_at(central, me, JOBS[1])
    far = next(s for s in central.seed["stations"] if s["county"] != central.station["county"])
    apply_at(central, me, "lt-0001", station=far)  # another county: never shown here
    apply_at(central, other, JOBS[0])
    with central.staff_client() as staff:
        assert staff.post(f"/v1/applications/{a2}/outcome", json={"status": "contacted"}).status_code == 200
        assert staff.post(f"/v1/jobs/{JOBS[1]}/close").status_code == 200
        title = staff.get(f"/v1/jobs/{JOBS[1]}").json()["title"]
    api = client(central, central.base_url, tmp_path)
    rows = api.my_applications(me, station_id=STATION)
    assert [r["id"] for r in rows] == [a2, a1, a5]
    assert isinstance(rows[0].pop("created_at"), str)
    assert rows[0] == {"id": a2, "job_id": JOBS[1], "job_title": title, "status": "contacted", "job_open": False}
    assert [(r["status"], r["job_open"]) for r in rows[1:]] == [("new", True), ("new", True)]
    assert [r["id"] for r in api.my_applications(me.lower(), station_id=STATION)] == [a2, a1, a5]
    assert api.my_applications(fake_id_number(rng), station_id=STATION) == []
    with pytest.raises(ApiUnauthorised):
        api.my_applications(me, station_id="qh-mall")  # qh-park's token for its sibling: 403
    for nowhere in ("nowhere", far["id"]):  # unknown, or another county's: 404
        with pytest.raises(ApiRejected) as exc:
            api.my_applications(me, station_id=nowhere)
        assert exc.value.status == 404


def test_withdraw_is_committed_encrypted_and_sent_once(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    rng = random.Random(2)
    me = fake_id_number(rng)
    a1 = apply_at(central, me, JOBS[0])
    outbox = make_outbox(tmp_path / "data")
    w = outbox.withdraw(app_id=a1, station_id=STATION, id_number=me)
    assert outbox.withdraw(app_id=a1, station_id=STATION, id_number=me) == w  # a second tap: same row
    assert outbox.pending() == 1 and outbox.withdrawal_status(a1) == "pending"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert me.encode() not in raw and w.idempotency_key.encode() in raw  # key on disk before any send
    api = client(central, fresh_proxy.url, tmp_path)
    assert outbox.flush(api) == (1, 0)
    assert outbox.withdrawal_status(a1) == "withdrawn"
    assert erasures(central.database_url) == {a1: 1}
    assert outbox.flush(api) == (0, 0) and len(withdraw_requests(fresh_proxy)) == 1
    assert api.my_applications(me, station_id=STATION) == []  # gone from the list
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert w.idempotency_key.encode() not in raw  # the sent row's bytes were zeroed


def test_lost_answer_replayed_after_restart(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """Central erases, the answer is cut; a new Outbox (kiosk restarted) resends with the same
    key and central answers the same: one erasure."""
    me = fake_id_number(random.Random(3))
    a1 = apply_at(central, me, JOBS[0])
    outbox = make_outbox(tmp_path / "data")
    key = outbox.withdraw(app_id=a1, station_id=STATION, id_number=me).idempotency_key
    api = client(central, fresh_proxy.url, tmp_path, retries=0)
    fresh_proxy.set("cut")
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    assert erasures(central.database_url) == {a1: 1} and outbox.pending() == 1
    outbox.close()
    again = make_outbox(tmp_path / "data")
    assert again.withdraw(app_id=a1, station_id=STATION, id_number=me).idempotency_key == key
    fresh_proxy.set("pass")
    assert again.flush(api) == (1, 0)
    assert erasures(central.database_url) == {a1: 1} and len(withdraw_requests(fresh_proxy)) == 2
    assert {r.idempotency_key for r in withdraw_requests(fresh_proxy)} == {key}


def test_exactly_once_under_random_faults(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """40 withdrawals (and retries inside the client) while the link flips between pass, cut,
    refuse, reset and delay: every application is erased exactly once, none is left."""
    rng = random.Random(4)
    outbox = make_outbox(tmp_path / "data")
    ids = []
    for _ in range(40):
        number = fake_id_number(rng)  # 40 people: central merges one person's repeats per job
        ids.append(apply_at(central, number, JOBS[0]))
        outbox.withdraw(app_id=ids[-1], station_id=STATION, id_number=number)
    api = client(central, fresh_proxy.url, tmp_path, retries=2, backoff_s=0.01, backoff_cap_s=0.05)
    faults = 0
    for _ in range(400):
        fresh_proxy.set(rng.choice(["pass", "cut", "refuse", "reset", "delay"]), delay_s=0.02)
        try:
            outbox.flush(api, max_items=3)
        except ApiOffline:
            faults += 1
        if outbox.pending() == 0:
            break
    assert outbox.pending() == 0, "not all withdrawals went within 400 flushes"
    assert faults > 0
    assert erasures(central.database_url) == {a: 1 for a in ids}
    assert len(withdraw_requests(fresh_proxy)) > 40  # retries reached the server, and were harmless
    assert all(outbox.withdrawal_status(a) == "withdrawn" for a in ids)


def test_kill_during_send_then_restart(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """The kiosk process is SIGKILLed while its withdrawal hangs on a half-open link; the next
    process sends the same row (same key): one erasure."""
    me = fake_id_number(random.Random(5))
    a1 = apply_at(central, me, JOBS[0])
    fresh_proxy.set("blackhole")
    data = tmp_path / "data"
    child = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests' / 'sync')!r}]
        from sync_helpers import make_outbox
        from kiosk.api import ApiClient
        from tests.sync.test_sync_withdraw import settings
        from pathlib import Path
        o = make_outbox(Path({str(data)!r}))
        o.withdraw(app_id={a1!r}, station_id={STATION!r}, id_number={me!r})
        print("committed", flush=True)
        o.flush(ApiClient(settings({fresh_proxy.url!r}, Path({str(data)!r}), {central.station["token"]!r}).api,
                          retries=0))
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "committed"
    time.sleep(0.5)  # the request is on the wire, swallowed by the black hole
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert erasures(central.database_url) == {}  # it never reached central
    fresh_proxy.set("pass")
    outbox = make_outbox(data)
    assert outbox.pending() == 1
    assert outbox.flush(client(central, fresh_proxy.url, tmp_path)) == (1, 0)
    assert erasures(central.database_url) == {a1: 1}


def test_refused_withdrawal_is_final_and_forgets_the_number(central: Central, tmp_path: Path) -> None:
    rng = random.Random(6)
    me, impostor = fake_id_number(rng), fake_id_number(rng)
    a1 = apply_at(central, me, JOBS[0])
    unknown = str(uuid.uuid4())
    outbox = make_outbox(tmp_path / "data")
    outbox.withdraw(app_id=a1, station_id=STATION, id_number=impostor)  # not the owner: 404
    outbox.withdraw(app_id=unknown, station_id=STATION, id_number=me)  # no such application: 404
    outbox.withdraw(app_id="nope", station_id=STATION, id_number=me)  # not an application id: 422
    assert outbox.flush(client(central, central.base_url, tmp_path)) == (0, 0)
    assert [outbox.withdrawal_status(a) for a in (a1, unknown, "nope")] == ["refused"] * 3
    assert erasures(central.database_url) == {}
    with central.staff_client() as staff:
        inbox = staff.get(f"/v1/counties/{central.station['county']}/applications").json()["applications"]
    assert [(a["status"], a["erased"]) for a in inbox if a["id"] == a1] == [("new", False)]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert impostor.encode() not in raw


def test_one_flush_carries_applications_and_withdrawals(central: Central, tmp_path: Path) -> None:
    """Applications first, then withdrawals, in the same flush; an application refused (an
    unknown job: 404) does not hold the withdrawal back."""
    rng = random.Random(7)
    me = fake_id_number(rng)
    a1 = apply_at(central, me, JOBS[0])
    outbox = make_outbox(tmp_path / "data")
    entry = outbox.submit(job_id="j9", station_id=STATION, id_number=me, name="测试", phone="13900000000",
                          consent_version="v1", consent_at="2026-11-20T09:00:00+08:00")
    outbox.withdraw(app_id=a1, station_id=STATION, id_number=me)
    assert outbox.pending() == 2
    assert outbox.flush(client(central, central.base_url, tmp_path)) == (1, 0)
    assert outbox.status_of(entry.reference) == "rejected"
    assert outbox.withdrawal_status(a1) == "withdrawn"
    assert erasures(central.database_url) == {a1: 1}
