"""Issue 12 at the kiosk: the my-applications look-up and withdrawals through the outbox,
exactly once under network faults, restarts and a killed process.

SWITCH AT MERGE: every test here runs against tests/issue12_contract_fixture.py (a test
fixture speaking CONTRACTS.md), because central's real endpoints are built in parallel; the
lead points them at the reference server (sync_helpers.Central) when merging.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import fake_id_number, key_file_for, make_outbox

from kiosk.api import ApiClient, ApiOffline, ApiRejected, ApiUnauthorised
from kiosk.netsim import FaultProxy
from kiosk.settings import Settings, from_dict
from tests.issue12_contract_fixture import ContractFixture

ROOT = Path(__file__).resolve().parents[2]
STATION, TOKEN, COUNTY = "st-1", "tok-st-1", "341100"


@pytest.fixture
def fixture() -> Iterator[ContractFixture]:
    f = ContractFixture({STATION: (TOKEN, COUNTY), "st-2": ("tok-st-2", COUNTY), "far": ("tok-far", "999999")})
    yield f
    f.stop()


@pytest.fixture
def fproxy(fixture: ContractFixture) -> Iterator[FaultProxy]:
    p = FaultProxy(("127.0.0.1", fixture.port))
    yield p
    p.stop()


def settings(base_url: str, data_dir: Path, token: str = TOKEN) -> Settings:
    return from_dict({
        "station": {"id": STATION},
        "api": {"base_url": base_url, "token": token, "connect_timeout_s": 1.0, "read_timeout_s": 1.5},
        "storage": {"data_dir": str(data_dir), "outbox_key_file": str(key_file_for(data_dir))},
    })


def client(base_url: str, tmp: Path, **kw: object) -> ApiClient:
    return ApiClient(settings(base_url, tmp).api, **kw)  # type: ignore[arg-type]


def test_my_applications_newest_first_this_county_only(fixture: ContractFixture, tmp_path: Path) -> None:
    rng = random.Random(1)
    me, other = fake_id_number(rng), fake_id_number(rng)
    fixture.add("a1", me, COUNTY, job_title="搬运工", created_at="2026-11-20T09:00:00+08:00")
    fixture.add("a2", me, COUNTY, job_title="保洁", created_at="2026-11-22T09:00:00+08:00",
                status="contacted", job_open=False)
    fixture.add("a3", me, "999999")  # another county: never shown here
    fixture.add("a4", other, COUNTY)
    fixture.add("a5", me.lower(), COUNTY, created_at="2026-11-01T09:00:00+08:00")  # hash of upper case
    api = client(fixture.url, tmp_path)
    rows = api.my_applications(me, station_id=STATION)
    assert [r["id"] for r in rows] == ["a2", "a1", "a5"]
    assert rows[0] == {"id": "a2", "job_id": "j1", "job_title": "保洁", "created_at": "2026-11-22T09:00:00+08:00",
                       "status": "contacted", "job_open": False}
    assert api.my_applications(fake_id_number(rng), station_id=STATION) == []
    with pytest.raises(ApiUnauthorised):
        client(fixture.url, tmp_path).my_applications(me, station_id="st-2")  # st-1's token for st-2
    with pytest.raises(ApiRejected) as exc:
        api.my_applications(me, station_id="nowhere")
    assert exc.value.status == 404


def test_withdraw_is_committed_encrypted_and_sent_once(fixture: ContractFixture, tmp_path: Path) -> None:
    rng = random.Random(2)
    me = fake_id_number(rng)
    fixture.add("a1", me, COUNTY)
    outbox = make_outbox(tmp_path / "data")
    w = outbox.withdraw(app_id="a1", station_id=STATION, id_number=me)
    assert outbox.withdraw(app_id="a1", station_id=STATION, id_number=me) == w  # a second tap: same row
    assert outbox.pending() == 1 and outbox.withdrawal_status("a1") == "pending"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert me.encode() not in raw and w.idempotency_key.encode() in raw  # key on disk before any send
    api = client(fixture.url, tmp_path)
    assert outbox.flush(api) == (1, 0)
    assert outbox.withdrawal_status("a1") == "withdrawn"
    assert fixture.erasures == {"a1": 1} and fixture.rows["a1"].id_number is None
    assert outbox.flush(api) == (0, 0) and fixture.withdraw_requests == 1
    assert api.my_applications(me, station_id=STATION) == []  # gone from the list
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert w.idempotency_key.encode() not in raw  # the sent row's bytes were zeroed


def test_lost_answer_replayed_after_restart(fixture: ContractFixture, fproxy: FaultProxy, tmp_path: Path) -> None:
    """Central erases, the answer is cut; a new Outbox (kiosk restarted) resends with the same
    key and central replays: one erasure."""
    me = fake_id_number(random.Random(3))
    fixture.add("a1", me, COUNTY)
    outbox = make_outbox(tmp_path / "data")
    key = outbox.withdraw(app_id="a1", station_id=STATION, id_number=me).idempotency_key
    api = client(fproxy.url, tmp_path, retries=0)
    fproxy.set("cut")
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    assert fixture.erasures == {"a1": 1} and outbox.pending() == 1
    outbox.close()
    again = make_outbox(tmp_path / "data")
    assert again.withdraw(app_id="a1", station_id=STATION, id_number=me).idempotency_key == key
    fproxy.set("pass")
    assert again.flush(api) == (1, 0)
    assert fixture.erasures == {"a1": 1} and fixture.withdraw_requests == 2
    assert set(fixture.keys) == {key}


def test_exactly_once_under_random_faults(fixture: ContractFixture, fproxy: FaultProxy, tmp_path: Path) -> None:
    """40 withdrawals (and retries inside the client) while the link flips between pass, cut,
    refuse, reset and delay: every application is erased exactly once, none is left."""
    rng = random.Random(4)
    outbox = make_outbox(tmp_path / "data")
    for i in range(40):
        number = fake_id_number(rng)
        fixture.add(f"a{i}", number, COUNTY)
        outbox.withdraw(app_id=f"a{i}", station_id=STATION, id_number=number)
    api = client(fproxy.url, tmp_path, retries=2, backoff_s=0.01, backoff_cap_s=0.05)
    faults = 0
    for _ in range(400):
        fproxy.set(rng.choice(["pass", "cut", "refuse", "reset", "delay"]), delay_s=0.02)
        try:
            outbox.flush(api, max_items=3)
        except ApiOffline:
            faults += 1
        if outbox.pending() == 0:
            break
    assert outbox.pending() == 0, "not all withdrawals went within 400 flushes"
    assert faults > 0
    assert fixture.erasures == {f"a{i}": 1 for i in range(40)}
    assert fixture.withdraw_requests > 40  # retries happened, and were harmless
    assert all(outbox.withdrawal_status(f"a{i}") == "withdrawn" for i in range(40))


def test_kill_during_send_then_restart(fixture: ContractFixture, fproxy: FaultProxy, tmp_path: Path) -> None:
    """The kiosk process is SIGKILLed while its withdrawal hangs on a half-open link; the next
    process sends the same row (same key): one erasure."""
    me = fake_id_number(random.Random(5))
    fixture.add("a1", me, COUNTY)
    fproxy.set("blackhole")
    data = tmp_path / "data"
    child = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests' / 'sync')!r}]
        from sync_helpers import make_outbox
        from kiosk.api import ApiClient
        from tests.sync.test_sync_withdraw import settings
        from pathlib import Path
        o = make_outbox(Path({str(data)!r}))
        o.withdraw(app_id="a1", station_id={STATION!r}, id_number={me!r})
        print("committed", flush=True)
        o.flush(ApiClient(settings({fproxy.url!r}, Path({str(data)!r})).api, retries=0))
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "committed"
    time.sleep(0.5)  # the request is on the wire, swallowed by the black hole
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    fproxy.set("pass")
    outbox = make_outbox(data)
    assert outbox.pending() == 1
    assert outbox.flush(client(fproxy.url, tmp_path)) == (1, 0)
    assert fixture.erasures == {"a1": 1}


def test_refused_withdrawal_is_final_and_forgets_the_number(fixture: ContractFixture, tmp_path: Path) -> None:
    rng = random.Random(6)
    me, impostor = fake_id_number(rng), fake_id_number(rng)
    fixture.add("a1", me, COUNTY)
    outbox = make_outbox(tmp_path / "data")
    outbox.withdraw(app_id="a1", station_id=STATION, id_number=impostor)  # not the owner: 404
    outbox.withdraw(app_id="nope", station_id=STATION, id_number=me)
    assert outbox.flush(client(fixture.url, tmp_path)) == (0, 0)
    assert outbox.withdrawal_status("a1") == "refused" and outbox.withdrawal_status("nope") == "refused"
    assert fixture.erasures == {} and fixture.rows["a1"].status == "new"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert impostor.encode() not in raw


def test_one_flush_carries_applications_and_withdrawals(fixture: ContractFixture, tmp_path: Path) -> None:
    """Applications first, then withdrawals, in the same flush; an application refused (this
    fixture has no /v1/applications: 404) does not hold the withdrawal back."""
    rng = random.Random(7)
    me = fake_id_number(rng)
    fixture.add("a1", me, COUNTY)
    outbox = make_outbox(tmp_path / "data")
    entry = outbox.submit(job_id="j9", station_id=STATION, id_number=me, name="测试", phone="13900000000",
                          consent_version="v1", consent_at="2026-11-20T09:00:00+08:00")
    outbox.withdraw(app_id="a1", station_id=STATION, id_number=me)
    assert outbox.pending() == 2
    assert outbox.flush(client(fixture.url, tmp_path)) == (1, 0)
    assert outbox.status_of(entry.reference) == "rejected"
    assert outbox.withdrawal_status("a1") == "withdrawn"
