"""Issue 16 at the kiosk's outbox: standing registrations and their endings, committed
encrypted before any send and delivered exactly once under network faults and restarts.
Against the reference server (sync_helpers.Central) through a FaultProxy; registrations are
counted in central's database."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sync_helpers import Central, fake_id_number, key_file_for, make_outbox

from central import db
from central.models import Registration
from kiosk.api import ApiClient, ApiOffline
from kiosk.netsim import FaultProxy
from kiosk.outbox import Outbox
from kiosk.settings import from_dict
from kiosk.visit.standing import CONSENT_VERSION, Wants

STATION = "qh-park"
PHONE = "13912345678"


@pytest.fixture
def central(fresh_central: Central) -> Central:
    """A server of one's own per test (conftest's module-wide one would carry rows over)."""
    assert fresh_central.station["id"] == STATION
    return fresh_central


def client(central: Central, base_url: str, **kw: object) -> ApiClient:
    return ApiClient(from_dict({"api": {"base_url": base_url, "token": central.station["token"],
                                        "connect_timeout_s": 1.0, "read_timeout_s": 1.5}}).api, **kw)  # type: ignore[arg-type]


def submit(outbox: Outbox, number: str, days: int = 30) -> str:
    return outbox.submit_standing(
        station_id=STATION, lang="zh",
        seeker={"card_type": "resident", "id_number": number, "name": "测试", "phone": PHONE,
                "birth_date": dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])).isoformat()},
        wants=Wants().toggled("category", "保洁").to_api(),
        consent={"version": CONSENT_VERSION, "at": dt.datetime.now(dt.UTC).isoformat(), "days": days, "sms": False},
    ).reference


def registrations(central: Central) -> dict[str, int]:
    """Central's registrations per reference (a second row for one send would show here)."""
    engine = db.make_engine(central.database_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(Registration.reference, func.count()).group_by(Registration.reference)).all())
    finally:
        engine.dispose()


def posts(proxy: FaultProxy, suffix: str) -> list:
    return [r for r in proxy.requests if r.method == "POST" and r.path.endswith(suffix)]


def test_committed_encrypted_then_sent_once(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    number = fake_id_number(random.Random(1))
    outbox = make_outbox(tmp_path / "data")
    ref = submit(outbox, number)
    assert outbox.pending() == 1 and outbox.standing_status(ref) == "pending"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert number.encode() not in raw and PHONE.encode() not in raw and ref.encode() in raw
    api = client(central, fresh_proxy.url)
    assert outbox.flush(api) == (1, 0)
    assert outbox.flush(api) == (0, 0)
    # One POST, or more with one idempotency key: the client's 1.5 s read timeout ran out on a
    # loaded machine and the retry carried the same key (the whole suite beside the soak).
    sent = posts(fresh_proxy, "/v1/registrations")
    assert registrations(central) == {ref: 1} and len(sent) >= 1 and len({r.idempotency_key for r in sent}) == 1
    server_id = outbox.standing_server_id(ref)
    key = outbox.end_standing(reg_id=server_id, station_id=STATION, id_number=number)
    assert outbox.end_standing(reg_id=server_id, station_id=STATION, id_number=number) == key  # a second tap
    assert outbox.flush(api) == (1, 0) and outbox.standing_end_status(server_id) == "ended"
    assert outbox.flush(api) == (0, 0)
    ended = posts(fresh_proxy, "/end")
    assert len(ended) >= 1 and len({r.idempotency_key for r in ended}) == 1
    assert api.standing_registrations(number, station_id=STATION) == []  # erased: the person is not found
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert key.encode() not in raw  # the sent rows' bytes were zeroed


def test_lost_answer_replayed_after_restart(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """Central stored it, the answer was cut; the restarted kiosk resends the same key and
    central answers the first answer again: one registration."""
    number = fake_id_number(random.Random(2))
    outbox = make_outbox(tmp_path / "data")
    ref = submit(outbox, number)
    api = client(central, fresh_proxy.url, retries=0)
    fresh_proxy.set("cut")
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    assert registrations(central) == {ref: 1} and outbox.pending() == 1
    outbox.close()
    again = make_outbox(tmp_path / "data")
    fresh_proxy.set("pass")
    assert again.flush(api) == (1, 0)
    sent = posts(fresh_proxy, "/v1/registrations")
    assert registrations(central) == {ref: 1} and len(sent) == 2 and len({r.idempotency_key for r in sent}) == 1


def test_exactly_once_under_random_faults(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """30 people register and 10 of them end it while the link flips between pass, cut,
    refuse, reset and delay: each registration exists once at central, each ending took."""
    rng = random.Random(3)
    outbox = make_outbox(tmp_path / "data")
    people = {submit(outbox, n): n for n in (fake_id_number(rng) for _ in range(30))}
    api = client(central, fresh_proxy.url, retries=2, backoff_s=0.01, backoff_cap_s=0.05)
    faults, ended = 0, set()
    for _ in range(600):
        fresh_proxy.set(rng.choice(["pass", "cut", "refuse", "reset", "delay"]), delay_s=0.02)
        try:
            outbox.flush(api, max_items=3)
        except ApiOffline:
            faults += 1
        for ref in list(people)[:10]:  # the first ten end theirs as soon as central has it
            sid = outbox.standing_server_id(ref)
            if sid and ref not in ended:
                outbox.end_standing(reg_id=sid, station_id=STATION, id_number=people[ref])
                ended.add(ref)
        if outbox.pending() == 0 and len(ended) == 10:
            break
    assert outbox.pending() == 0 and len(ended) == 10, "not all rows went within 600 flushes"
    assert faults > 0
    assert registrations(central) == {ref: 1 for ref in people}
    assert all(outbox.standing_end_status(outbox.standing_server_id(r)) == "ended" for r in ended)
    fresh_proxy.set("pass")
    still_open = {ref for ref, n in people.items()
                  if any(r["status"] == "open" for r in client(central, central.base_url)
                         .standing_registrations(n, station_id=STATION))}
    assert still_open == set(people) - ended


def test_ciphertext_is_bound_to_its_row(central: Central, tmp_path: Path) -> None:
    """A row whose key was changed (or whose outbox key was replaced) cannot be decrypted: it
    is refused here, final, and nothing is sent."""
    outbox = make_outbox(tmp_path / "data")
    ref = submit(outbox, fake_id_number(random.Random(4)))
    outbox._conn().execute("UPDATE standing SET idempotency_key = 'other-key'")
    assert outbox.flush(client(central, central.base_url)) == (0, 0)
    assert outbox.standing_status(ref) == "rejected" and registrations(central) == {}


def test_an_unsent_registration_can_be_cancelled(tmp_path: Path) -> None:
    outbox = make_outbox(tmp_path / "data")
    ref = submit(outbox, fake_id_number(random.Random(5)))
    assert outbox.cancel_standing(ref) and not outbox.cancel_standing(ref)
    assert outbox.standing_status(ref) == "cancelled" and outbox.pending() == 0
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("outbox.db*"))
    assert PHONE.encode() not in raw
    assert key_file_for(tmp_path / "data").exists()


def test_cancelled_while_on_the_wire_is_ended_at_central(central: Central, fresh_proxy: FaultProxy, tmp_path: Path) -> None:
    """The seeker ends it at the kiosk while its send is under way: the row is cancelled
    here, central still creates it, and the same flush sends its ending: nothing stays open."""
    import threading

    number = fake_id_number(random.Random(6))
    outbox = make_outbox(tmp_path / "data")
    ref = submit(outbox, number)
    fresh_proxy.set("delay", delay_s=1.5)
    api = client(central, fresh_proxy.url, retries=0)
    api_slow = ApiClient(from_dict({"api": {"base_url": fresh_proxy.url, "token": central.station["token"],
                                            "connect_timeout_s": 5.0, "read_timeout_s": 10.0}}).api, retries=0)
    result: list = []
    flushing = threading.Thread(target=lambda: result.append(outbox.flush(api_slow)))
    flushing.start()
    deadline = 50
    while not posts(fresh_proxy, "/v1/registrations") and deadline:
        threading.Event().wait(0.05)
        deadline -= 1
    assert outbox.cancel_standing(ref)  # the seeker taps "Yes, end it" now
    flushing.join(30)
    fresh_proxy.set("pass")
    assert result and result[0][1] == 0
    assert registrations(central) == {ref: 1}
    assert outbox.standing_status(ref) == "cancelled"
    assert len(posts(fresh_proxy, "/end")) == 1
    assert api.standing_registrations(number, station_id=STATION) == []  # ended and erased


def test_a_waiting_registration_counts_in_the_backlog_age(tmp_path: Path) -> None:
    """The heartbeat's oldest-row age (central alerts on a backlog) sees registrations too."""
    import time

    outbox = make_outbox(tmp_path / "data")
    assert outbox.oldest_age_s() == 0
    submit(outbox, fake_id_number(random.Random(7)))
    outbox._conn().execute("UPDATE standing SET created_at = ?", (time.time() - 3600,))
    assert 3590 <= outbox.oldest_age_s() <= 3700
