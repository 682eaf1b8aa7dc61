"""Issue 12 in the visit: My registrations (look-up, statuses, job filled, offline), the
withdrawal through the outbox, the call-back promise on the done screen and the receipt.
The look-up and the withdrawal go over real HTTP to the reference server (sync_helpers.Central);
statuses are set by staff through the outcome API, jobs closed through /v1/jobs/{id}/close.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from visit_helpers import STATION, World, make_world

from kiosk.api import ApiClient
from kiosk.formatting import short_date
from kiosk.privacy import mask_text
from kiosk.remote_config import AppliedConfig
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.visit import registrations as regs
from tests.sync.sync_helpers import Central, apply_at, erasures


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    c = Central(tmp_path / "central")
    assert c.station["id"] == STATION
    yield c
    c.stop()


def _api(central: Central, base_url: str | None = None) -> ApiClient:
    return ApiClient(from_dict({"api": {"base_url": base_url or central.base_url, "token": central.station["token"],
                                        "connect_timeout_s": 1.0, "read_timeout_s": 2.0}}).api, retries=0)


@pytest.fixture
def w(demo_store: Store, tmp_path: Path, central: Central, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    caplog.set_level(logging.DEBUG, logger="kiosk")
    world = make_world(demo_store, tmp_path, registrations=_api(central))
    yield world
    for record in caplog.records:  # nothing ID- or phone-shaped in any log line
        assert mask_text(record.getMessage()) == record.getMessage(), record.getMessage()


def _identified(w: World) -> str:
    w.visit.start()
    w.visit.card_laid(w.cards["resident"])
    return w.cards["resident"].id_number


def _seed(central: Central, number: str) -> dict[str, str]:
    """Four registrations of this person in the county, oldest first (so newest first is the
    reverse), one in another county; staff call and hire, the county closes two jobs."""
    ids = {name: apply_at(central, number, job) for name, job in (
        ("hired", "qh-0005"), ("filled", "qh-0003"), ("called", "qh-0002"), ("new", "qh-0001"))}
    far = next(s for s in central.seed["stations"] if s["county"] != central.station["county"])
    apply_at(central, number, "lt-0001", station=far)  # another county's: never shown here
    with central.staff_client() as staff:
        for name, status in (("called", "contacted"), ("hired", "contacted"), ("hired", "hired")):
            r = staff.post(f"/v1/applications/{ids[name]}/outcome", json={"status": status})
            assert r.status_code == 200, r.text
        for job in ("qh-0003", "qh-0005"):
            assert staff.post(f"/v1/jobs/{job}/close").status_code == 200
    return ids


def _open(w: World) -> None:
    assert w.visit.open_my_registrations().screen == "my_registrations"
    assert w.visit.my_regs_state == "loading"
    assert w.visit.registrations_arrived(*w.visit.fetch_registrations()).screen == "my_registrations"


def test_needs_the_card(w: World) -> None:
    w.visit.start()
    step = w.visit.open_my_registrations()
    assert step.screen == "home" and step.notice == regs.NEED_CARD


def test_lists_this_countys_registrations_with_words_for_each_status(w: World, central: Central) -> None:
    ids = _seed(central, _identified(w))
    with central.staff_client() as staff:
        titles = [staff.get(f"/v1/jobs/{j}").json()["title"] for j in ("qh-0001", "qh-0002", "qh-0003", "qh-0005")]
    _open(w)
    v = w.visit
    assert v.my_regs_state == "ready"
    assert [r.app_id for r in v.my_regs] == [ids["new"], ids["called"], ids["filled"], ids["hired"]]
    shown = [(r.job_title, r.status_msgid) for r in v.my_regs]
    assert shown == [(titles[0], "Received"), (titles[1], "Contacted"),
                     (titles[2], "Job filled or ended"),  # filled before the call
                     (titles[3], "Hired")]  # hired stays hired when the job closes
    today = dt.datetime.now(dt.UTC).astimezone().date()  # central stamps now; the kiosk shows its local day
    for r in v.my_regs:
        assert r.date_text("zh") == short_date(today, "zh") and r.date_text("en") == short_date(today, "en")
    from kiosk.i18n import tr

    assert [tr(r.status_msgid, "zh") for r in v.my_regs] == ["已收到", "已联系", "招满了/已结束", "已录用"]


def test_every_contract_status_has_words_in_both_languages() -> None:
    from kiosk.i18n import translator

    for status in ("new", "contacted", "hired", "not_hired", "no_answer", "withdrawn"):
        r = regs.Registration("1", "j", "t", None, status, True)
        assert r.status_msgid != regs.UNKNOWN_STATUS
    assert not translator().missing([*regs.STATUS_TEXT.values(), regs.JOB_CLOSED, regs.OFFLINE, regs.LOADING,
                                     regs.NONE_YET, regs.NEED_CARD, regs.UNAVAILABLE, regs.WITHDRAWN_NOTICE, regs.WITHDRAWN_QUEUED])
    assert regs.Registration("1", "j", "t", None, "someday", True).status_msgid == regs.UNKNOWN_STATUS


def test_none_yet(w: World) -> None:
    _identified(w)
    _open(w)
    assert w.visit.my_regs_state == "ready" and w.visit.my_regs == []


def test_offline_says_so(demo_store: Store, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world = make_world(demo_store, tmp_path, registrations=ApiClient(from_dict(
        {"api": {"base_url": f"http://127.0.0.1:{port}", "token": "t", "connect_timeout_s": 1.0}}).api, retries=0))
    _identified(world)
    _open(world)
    assert world.visit.my_regs_state == "offline" and world.visit.my_regs_message == regs.OFFLINE
    no_api = make_world(demo_store, tmp_path / "b")  # no central API configured at all
    _identified(no_api)
    _open(no_api)
    assert no_api.visit.my_regs_state == "offline"


def test_a_refusing_server_is_an_error_not_a_closed_job(demo_store: Store, tmp_path: Path,
                                                      central: Central) -> None:
    from kiosk.api import ApiUnauthorised

    bad_token = ApiClient(from_dict({"api": {"base_url": central.base_url, "token": "wrong"}}).api, retries=0)
    world = make_world(demo_store, tmp_path, registrations=bad_token)
    _identified(world)
    _open(world)
    assert world.visit.my_regs_state == "error" and world.visit.my_regs_message == ApiUnauthorised.msgid
    no_endpoint = make_world(demo_store, tmp_path / "b", registrations=_api(central, central.base_url + "/nothing-here"))
    _identified(no_endpoint)
    _open(no_endpoint)  # a 404 (a central without the endpoint): not "this job no longer exists"
    assert no_endpoint.visit.my_regs_state == "error" and no_endpoint.visit.my_regs_message == regs.UNAVAILABLE


def test_withdraw_asks_once_then_goes_through_the_outbox_exactly_once(w: World, central: Central) -> None:
    ids = _seed(central, _identified(w))
    called = ids["called"]
    _open(w)
    v = w.visit
    assert v.withdraw(called).notice == ""  # no confirm yet: nothing happens
    assert w.outbox.pending() == 0
    v.ask_withdraw(called)
    assert v.confirm_withdraw == called
    v.keep_registration()
    assert v.confirm_withdraw == ""
    v.ask_withdraw(called)
    wakes = w.sync.wakes
    assert v.withdraw(called).notice == regs.WITHDRAWN_NOTICE
    assert w.sync.wakes == wakes + 1 and "withdrawal" in w.events
    assert w.outbox.pending() == 1
    row = next(r for r in v.my_regs if r.app_id == called)
    assert row.withdrawn and row.status_msgid == "Withdrawn"
    v.ask_withdraw(called)  # a withdrawn row does not ask again
    assert v.confirm_withdraw == ""
    # re-opened before it was sent: still shown as withdrawn
    _open(w)
    assert next(r for r in v.my_regs if r.app_id == called).withdrawn
    assert erasures(central.database_url) == {}  # not sent yet
    assert w.outbox.flush(_api(central)) == (1, 0)
    assert erasures(central.database_url) == {called: 1}
    assert w.outbox.flush(_api(central)) == (0, 0)
    _open(w)  # central no longer lists it
    assert [r.app_id for r in v.my_regs] == [ids["new"], ids["filled"], ids["hired"]]
    assert erasures(central.database_url) == {called: 1}


def test_withdraw_offline_says_it_will_be_sent(w: World, central: Central) -> None:
    ids = _seed(central, _identified(w))
    _open(w)
    w.sync.online = False
    w.visit.ask_withdraw(ids["new"])
    assert w.visit.withdraw(ids["new"]).notice == regs.WITHDRAWN_QUEUED


def test_the_visit_end_forgets_the_list_and_drops_a_late_answer(w: World, central: Central) -> None:
    _seed(central, _identified(w))
    v = w.visit
    v.open_my_registrations()
    answer = v.fetch_registrations()
    v.end("card removed")
    assert v.registrations_arrived(*answer).screen == "attract"
    assert v.my_regs == [] and v.my_regs_state == "" and not v.session.identified
    # a new visit with the same answer in flight: still dropped (another token)
    _identified(w)
    v.open_my_registrations()
    v.registrations_arrived(*answer)
    assert v.my_regs_state == "loading"
    assert v.fetch_registrations()[0] != answer[0]


def test_done_screen_and_receipt_say_who_calls_and_by_when(w: World) -> None:
    v = w.visit
    assert v.followup() == "驿站工作人员或用工单位会在24小时内给您打电话。"  # defaults: 24 h, no number
    v.apply_config(AppliedConfig(version=3, followup_hours=4, followup_phone="0556-1234567"))
    v.set_language("en")
    assert v.followup() == "Station staff or the employer will call you within 4 hours, from 0556-1234567."
    v.set_language("zh")
    _identified(w)
    v.choose_job(v.rows[0]["job_id"])
    v.start_application()
    v.consent()
    assert v.submit_phone("13900000001").screen == "apply_done"
    assert v.followup() == "驿站工作人员或用工单位会在4小时内用 0556-1234567 给您打电话。"
    v.print_application_receipt()
    assert "驿站工作人员或用工单位会在4小时内用 0556-1234567 给您打电话。" in str(w.printer.receipts[-1])


def test_followup_config_is_validated_the_same_on_both_sides() -> None:
    from pydantic import ValidationError

    from central.station_config import ConfigPatch
    from central.station_config import StationConfig as CentralConfig
    from kiosk.remote_config import StationConfig

    for good in ({"followup_hours": 1, "followup_phone": ""}, {"followup_hours": 168, "followup_phone": "0556 123-4567"}):
        assert StationConfig.model_validate(good) and CentralConfig.model_validate(good) and ConfigPatch.model_validate(good)
    for bad in ({"followup_hours": 0}, {"followup_hours": 169}, {"followup_phone": "call 12333"},
                {"followup_phone": "1" * 21}, {"followup_phone": "-123"}):
        for model in (StationConfig, CentralConfig, ConfigPatch):
            with pytest.raises(ValidationError):
                model.model_validate(bad)
    assert StationConfig().followup_hours == 24 and StationConfig().followup_phone == ""
