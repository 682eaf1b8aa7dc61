"""Issue 16 end to end: the kiosk's standing registration against the real reference server on
127.0.0.1 (sync_helpers.Central): the API client's three calls, the outbox delivering
registrations (all four card types), renewals and endings exactly once, the visit's look-up
at card-laid and the matching jobs first, offline rows that wait and then go."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from visit_helpers import STATION, World, make_world

from kiosk.api import ApiClient, ApiOffline, ApiRejected
from kiosk.privacy import mask_text
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.visit import standing
from kiosk.visit.standing import Wants
from tests.sync.sync_helpers import Central

PHONE = "13912345678"


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    c = Central(tmp_path / "central")
    assert c.station["id"] == STATION
    yield c
    c.stop()


def _api(central: Central, base_url: str | None = None, token: str | None = None) -> ApiClient:
    return ApiClient(from_dict({"api": {"base_url": base_url or central.base_url,
                                        "token": token or central.station["token"],
                                        "connect_timeout_s": 1.0, "read_timeout_s": 5.0}}).api, retries=0)


@pytest.fixture
def w(demo_store: Store, tmp_path: Path, central: Central, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    caplog.set_level(logging.DEBUG, logger="kiosk")
    world = make_world(demo_store, tmp_path, registrations=_api(central))
    yield world
    for record in caplog.records:  # nothing ID- or phone-shaped in any log line
        assert mask_text(record.getMessage()) == record.getMessage(), record.getMessage()


def _body(w: World, label: str = "resident", reference: str = "K7QD-3M9X") -> dict:
    card = w.cards[label]
    return {"station_id": STATION, "reference": reference, "lang": "zh",
            "seeker": {"card_type": card.card_type.value, "id_number": card.id_number,
                       "name": card.display_name, "phone": PHONE, "birth_date": card.birth_date.isoformat()},
            "wants": Wants().toggled("category", "保洁").to_api(),
            "consent": {"version": standing.CONSENT_VERSION, "at": w.clock.now().astimezone().isoformat(),
                        "days": 30, "sms": True}}


def test_api_client_register_replay_renew_mine_end(w: World, central: Central) -> None:
    api = _api(central)
    card = w.cards["resident"]
    key = str(uuid.uuid4())
    first = api.submit_registration(key, _body(w))
    assert first["status"] == "open" and first["renewed"] is False and first["reference"] == "K7QD-3M9X"
    assert api.submit_registration(key, _body(w)) == first  # replayed, not a second one
    with pytest.raises(ApiRejected) as conflict:
        api.submit_registration(key, _body(w, reference="AAAA-BBBB"))
    assert conflict.value.status == 409
    again = api.submit_registration(str(uuid.uuid4()), _body(w, reference="AAAA-BBBB"))
    assert again["id"] == first["id"] and again["renewed"] is True
    rows = api.standing_registrations(card.id_number, station_id=STATION)
    assert [r["id"] for r in rows] == [first["id"]] and rows[0]["status"] == "open"
    mine = standing.Standing.from_api(rows[0])
    assert mine.is_open and mine.reference == "AAAA-BBBB" and mine.wants.categories == {"保洁"} and mine.sms
    assert api.standing_registrations(w.cards["hkmt"].id_number, station_id=STATION) == []
    end_key = str(uuid.uuid4())
    assert api.end_registration(first["id"], card.id_number, end_key, station_id=STATION)["status"] == "ended"
    assert api.end_registration(first["id"], card.id_number, end_key, station_id=STATION)["status"] == "ended"
    assert all(r["status"] != "open" for r in api.standing_registrations(card.id_number, station_id=STATION))


def test_api_client_scoping(w: World, central: Central) -> None:
    api = _api(central)
    reg = api.submit_registration(str(uuid.uuid4()), _body(w))
    other = next(s for s in central.seed["stations"] if s["county"] != central.station["county"])
    far = _api(central, token=other["token"])
    with pytest.raises(ApiRejected) as not_found:  # another county cannot see or end it
        far.end_registration(reg["id"], w.cards["resident"].id_number, str(uuid.uuid4()), station_id=other["id"])
    assert not_found.value.status == 404
    assert far.standing_registrations(w.cards["resident"].id_number, station_id=other["id"]) == []
    with pytest.raises(ApiRejected) as wrong_person:
        api.end_registration(reg["id"], w.cards["hkmt"].id_number, str(uuid.uuid4()), station_id=STATION)
    assert wrong_person.value.status == 404


@pytest.mark.parametrize("label", ["resident", "hkmt", "foreign2023", "foreign2017"])
def test_every_card_type_goes_through_the_outbox_to_central(w: World, central: Central, label: str) -> None:
    w.visit.start()
    w.visit.card_laid(w.cards[label])
    v = w.visit
    v.standing_new()
    v.standing_toggle("category", "搬运")
    v.standing_toggle("reach", ("minutes", 15))
    v.standing_toggle("min_pay", (200, "day"))
    v.standing_next()
    v.standing_sms()
    v.standing_agree()
    v.standing_phone(PHONE)
    ref = v.standing.done.reference
    assert w.outbox.flush(_api(central)) == (1, 0)
    assert w.outbox.standing_status(ref) == "delivered"
    server_id = w.outbox.standing_server_id(ref)
    rows = _api(central).standing_registrations(w.cards[label].id_number, station_id=STATION)
    assert [(r["id"], r["reference"], r["status"], r["sms"]) for r in rows] == [(server_id, ref, "open", True)]
    assert standing.Wants.from_api(rows[0]["wants"]).reach == ("minutes", 15)
    assert rows[0]["wants"]["min_pay"]["amount"] == 200


def _register(w: World, *chips: tuple) -> str:
    v = w.visit
    v.standing_new()
    for group, value in chips:
        v.standing_toggle(group, value)
    v.standing_next()
    v.standing_agree()
    v.standing_phone(PHONE)
    return v.standing.done.reference


def test_offline_waits_then_card_laid_finds_it_renews_and_ends_exactly_once(
        demo_store: Store, tmp_path: Path, central: Central) -> None:
    with socket.socket() as s:  # a port nobody listens on: the kiosk is offline
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    w = make_world(demo_store, tmp_path, registrations=_api(central, base_url=dead))
    w.sync.online = False
    card = w.cards["resident"]
    w.visit.start()
    w.visit.card_laid(card)
    token, result = w.visit.fetch_standing()
    assert isinstance(result, ApiOffline)
    w.visit.standing_arrived(token, result)
    assert w.visit.standing.mine_state == "offline"
    ref = _register(w, ("category", "仓储分拣"), ("reach", ("km", 10)))
    with pytest.raises(ApiOffline):
        w.outbox.flush(_api(central, base_url=dead))
    assert w.outbox.pending() == 1 and w.outbox.standing_status(ref) == "pending"
    # The network is back: sent once, even if flushed again.
    api = _api(central)
    assert w.outbox.flush(api) == (1, 0)
    assert w.outbox.flush(api) == (0, 0)
    # Next visit: laying the card looks the registration up; the jobs list shows its jobs first.
    w.visit.end("card removed")
    w.visit._registrations = api
    w.visit.start()
    w.visit.card_laid(card)
    assert w.visit.screen == "jobs" and w.visit.standing.mine_state == "loading"
    w.visit.standing_arrived(*w.visit.fetch_standing())
    cur = w.visit.standing.open
    assert cur is not None and cur.reference == ref and cur.server_id == w.outbox.standing_server_id(ref)
    first = [r for r in w.visit.rows if r["match"]]
    assert first and w.visit.rows[:len(first)] == first
    assert all(w.store.get_job(r["job_id"]).category == "仓储分拣" for r in first)
    # Renew: the same registration at central, a new reference and expiry.
    assert w.visit.open_standing().screen == standing.MINE
    w.visit.standing_renew()
    w.visit.standing_days(60)
    w.visit.standing_agree()
    w.visit.standing_phone(PHONE)
    new_ref = w.visit.standing.done.reference
    assert "standing_renewed" in w.events
    assert w.outbox.flush(api) == (1, 0)
    assert w.outbox.standing_server_id(new_ref) == cur.server_id
    rows = api.standing_registrations(card.id_number, station_id=STATION)
    assert len(rows) == 1 and rows[0]["reference"] == new_ref
    # End: asked once, sent once; central erases it (the person cannot be found any more).
    w.visit.open_standing()
    w.visit.standing_ask_end()
    w.visit.standing_end()
    assert w.outbox.standing_end_status(cur.server_id) == "pending"
    assert w.outbox.flush(api) == (1, 0)
    assert w.outbox.standing_end_status(cur.server_id) == "ended"
    assert all(r["status"] != "open" for r in api.standing_registrations(card.id_number, station_id=STATION))
    raw = w.outbox.path.read_bytes() + (w.outbox.path.parent / "outbox.db-wal").read_bytes()
    assert card.id_number.encode() not in raw and PHONE.encode() not in raw


def test_a_refused_registration_is_final_and_keeps_no_personal_data(w: World, central: Central) -> None:
    w.visit.start()
    w.visit.card_laid(w.cards["resident"])
    ref = _register(w)
    conn = w.outbox._conn()
    # The station's token belongs to another station than the row claims: central refuses it.
    conn.execute("UPDATE standing SET station_id = ?", ("no-such-station",))
    sent, left = w.outbox.flush(_api(central))
    assert (sent, left) == (0, 0) and w.outbox.standing_status(ref) == "rejected"
    assert conn.execute("SELECT count(*) FROM standing").fetchone()[0] == 0
    assert json.dumps(conn.execute("SELECT * FROM standing_done").fetchall()).find(PHONE) == -1
