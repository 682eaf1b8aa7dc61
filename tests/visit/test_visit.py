"""The visit's rules, headless: each test drives kiosk.visit.Visit with intents and reads its
state and Steps. The Xvfb scenarios (tests/ui) prove the same journey end to end."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from visit_helpers import CODES, NOW, STATION, World, make_world

from kiosk.api import ApiRejected
from kiosk.codes import make_maintenance_code
from kiosk.models import Settlement
from kiosk.pin import hash_pin
from kiosk.remote_config import AppliedConfig, Features
from kiosk.store import Store
from kiosk.visit import CONSENT_VERSION, EVENTS, Step
from kiosk.visit.core import (
    ALREADY_REGISTERED,
    CODE_UNKNOWN,
    PHONE_BAD_START,
    PHONE_NO_SUCH,
    PHONE_TOO_SHORT,
    PRINT_START_S,
    TAKE_CARD,
)
from tests import waiting

PIN = "24681357"


def _identified(w: World, label: str = "resident") -> None:
    w.visit.card_laid(w.cards[label])


def _first_job(w: World) -> str:
    w.visit.open_jobs()
    return w.visit.rows[0]["job_id"]


def _to_phone(w: World) -> None:
    _identified(w)
    w.visit.choose_job(w.visit.rows[0]["job_id"])
    assert w.visit.start_application().screen == "apply_consent"
    assert w.visit.consent().screen == "apply_phone"


# --- navigation, idle and the end of a visit ------------------------------------------------------
def test_a_touch_starts_a_visit_and_done_ends_it(world: World) -> None:
    v = world.visit
    assert v.screen == "attract"
    assert v.start() == Step("home")
    assert v.end("done") == Step("attract")
    assert world.events == ["visit_started", "visit_ended"]


def test_back_follows_the_way_in_and_falls_back_to_home(world: World) -> None:
    v = world.visit
    v.start()
    v.choose_job(_first_job(world))
    v.show_qr()
    assert [v.back().screen, v.back().screen, v.back().screen, v.back().screen] == \
        ["job_detail", "jobs", "home", "home"]


def test_idle_timeout_ends_the_visit_and_wipes_everything_personal(world: World) -> None:
    v, clock = world.visit, world.clock
    _to_phone(world)
    v.toggle_language()
    v.toggle_filter("settlements", Settlement.DAILY)
    clock.advance(59)
    assert v.tick() == Step("apply_phone") and v.idle_left == 1  # the countdown shows its last second
    clock.advance(1)
    assert v.tick() == Step("attract", notice="Please take your ID card")  # the card is still there
    assert not v.session.identified and v.session.phone == "" and v.session.consent_version == ""
    assert v.greeting == "" and v.job is None and v.rows == [] and v.history == []
    assert (v.lang, v.job_filter.settlements, v.job_filter.seeker_age) == ("zh", frozenset(), None)
    assert world.events[-1] == "visit_ended"
    assert v.tick() is None  # the attract screen never times out


def test_a_touch_restarts_the_idle_countdown(world: World) -> None:
    v = world.visit
    v.start()
    world.clock.advance(50)
    v.activity()
    world.clock.advance(40)
    assert v.tick() is None and v.screen == "home"


def test_maintenance_access_ends_when_it_expires(world: World) -> None:
    v = world.visit
    code = make_maintenance_code(CODES["maintenance_signing_key_DEMO_ONLY"], STATION, ttl_s=30,
                                 now=NOW.timestamp())
    assert v.code_scanned(code).screen == "maintenance"
    world.clock.advance(20)
    v.activity()
    assert v.tick() is None
    world.clock.advance(11)
    assert v.tick() == Step("attract")


# --- identification -------------------------------------------------------------------------------
def test_a_card_greets_by_masked_name_and_shows_jobs_that_suit_the_age(world: World) -> None:
    v, card = world.visit, world.cards["resident"]
    assert v.card_laid(card).screen == "jobs"
    assert v.greeting == card.masked_name and "*" in v.greeting and v.greeting != card.name
    assert v.job_filter.seeker_age == card.age_on(NOW.date())
    assert world.events == ["card_read", "card_read_resident", "visit_started"]


def test_a_card_laid_mid_visit_keeps_the_screen(world: World) -> None:
    v = world.visit
    v.choose_job(_first_job(world))
    assert v.card_laid(world.cards["resident"]).screen == "job_detail"


def test_a_card_problem_is_a_notice_and_identifies_nobody(world: World) -> None:
    v = world.visit
    problem = world.cards["expired"].problem(NOW.date())
    step = v.card_problem(problem)
    assert step == Step("home", notice="This card has expired. Please use a valid card.")
    assert not v.session.identified


def test_taking_the_card_away_ends_an_identified_visit_only(world: World) -> None:
    v = world.visit
    v.start()
    assert v.card_removed().screen == "home"  # nobody identified: a card-less visit goes on
    _identified(world)
    assert v.card_removed().screen == "attract" and not v.session.identified


def test_a_visit_ending_with_the_card_left_reminds_until_it_is_taken(world: World) -> None:
    """Issue 18: after done, a print or the idle reset the card stayed on the reader unmentioned."""
    v, clock = world.visit, world.clock
    _identified(world)
    assert v.end("done") == Step("attract", notice=TAKE_CARD) and v.take_card
    assert v.tick() is None and v.take_card  # the reminder stays however long the card does
    assert v.card_removed() == Step("attract") and not v.take_card
    _identified(world)
    v.choose_job(_first_job(world))
    v.print_slip()
    clock.advance(60)
    assert v.tick() == Step("attract", notice=TAKE_CARD)  # idle after a print
    v.start()
    assert not v.take_card  # someone touched: a new visit, the reminder is off the glass
    v.end("done")
    assert v.take_card
    v.card_removed()
    v.start()
    assert v.end("done") == Step("attract")  # no card: nothing to remind


# --- jobs -------------------------------------------------------------------------------------------
def test_jobs_are_searched_and_rows_built_in_the_visits_language(world: World) -> None:
    v = world.visit
    v.open_jobs()
    assert v.job_count >= len(v.rows) > 10 and v.categories
    row = v.rows[0]
    assert set(row) == {"job_id", "title", "employer", "pay", "settlement", "daily", "distance", "walk", "start",
                        "match"}
    assert "元/" in row["pay"]
    v.toggle_language()
    assert v.rows[0]["job_id"] == row["job_id"] and "¥" in v.rows[0]["pay"]


def test_a_chip_filters_and_a_second_tap_clears_it(world: World) -> None:
    v = world.visit
    v.open_jobs()
    everything = v.job_count
    v.toggle_filter("settlements", Settlement.DAILY)
    assert 0 < v.job_count < everything and all(r["daily"] for r in v.rows)
    v.toggle_filter("settlements", Settlement.DAILY)
    assert v.job_count == everything


def test_start_window_chips(world: World) -> None:
    v, today = world.visit, NOW.date()
    v.open_jobs()
    v.set_start_window(1)
    assert (v.job_filter.start_from, v.job_filter.start_to) == (today + dt.timedelta(1),) * 2
    assert v.start_window_days() == 1
    v.set_start_window(7)
    assert (v.job_filter.start_from, v.job_filter.start_to) == (None, today + dt.timedelta(7))
    v.set_start_window(7)  # the same chip again: any start date
    assert v.start_window_days() is None


def test_the_age_chip_needs_a_card_and_toggles(world: World) -> None:
    v = world.visit
    v.open_jobs()
    v.toggle_age_filter()
    assert v.job_filter.seeker_age is None  # no card: nothing to filter by
    _identified(world)
    v.toggle_age_filter()
    assert v.job_filter.seeker_age is None
    v.toggle_age_filter()
    assert v.job_filter.seeker_age == world.cards["resident"].age_on(NOW.date())


def test_a_job_gone_from_the_cache_is_a_notice(world: World) -> None:
    step = world.visit.choose_job("no-such-job")
    assert step.notice == "This job is no longer available. Please choose another job." and world.visit.job is None


def test_choosing_a_job_counts_a_view_and_knows_its_distance(world: World) -> None:
    v = world.visit
    job_id = _first_job(world)
    v.choose_job(job_id)
    assert v.job.id == job_id and v.session.viewed_job_ids == [job_id] and 0 < v.distance_km < 10
    assert v.phone_code(v.job).endswith(f"job:{job_id}") and "job_viewed" in world.events


# --- printing -----------------------------------------------------------------------------------
def test_a_slip_is_queued_and_only_the_latest_job_reports(world: World) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=3, receipt_footer="青禾县就业服务中心"))
    v.choose_job(_first_job(world))
    assert v.print_slip() == Step("printing") and v.print_state == "printing"
    receipt = world.printer.receipts[0]
    assert receipt.qr_data == v.phone_code(v.job) and "青禾县就业服务中心" in str(receipt)
    v.back()
    v.print_slip()
    assert not v.print_done("p1")  # the first slip, printed late: nothing to tell
    assert v.print_state == "printing"
    assert v.print_done("p2") and v.print_state == "done" and world.events.count("slip_printed") == 1


def test_a_visits_print_jobs_are_cancelled_when_it_ends(world: World) -> None:
    """Issue 18: a receipt that waited for paper printed for the next person."""
    v = world.visit
    _identified(world)
    v.choose_job(_first_job(world))
    v.print_slip()
    v.back()
    v.print_slip()
    v.print_done("p2")
    v.end("done")
    assert world.printer.cancelled == ["p1", "p2"]  # the service keeps only what is still queued
    assert v.print_state == "" and v.print_job_id == ""
    v.start()
    v.end("done")
    assert world.printer.cancelled == ["p1", "p2"]  # a visit that printed nothing cancels nothing


@contextlib.contextmanager
def _paper_out_printer(demo_store: Store, tmp_path: Path) -> Iterator[tuple]:
    """(simulator, real print service, job ids it reported a problem for, world) for a
    printer that is out of paper: the visit prints through the production service."""
    from devices.printer.service import PrintService
    from devices.printer.simulator import PrinterSimulator
    from kiosk.settings import PrinterSettings

    with PrinterSimulator(paper_out=True) as sim:
        host, port = sim.start()
        cfg = PrinterSettings(connection="network", host=host, port=port, model="epson-tm-t88")
        problems: list[str] = []
        svc = PrintService(cfg, on_job_problem=lambda job_id, _p: problems.append(job_id),
                           poll_s=0.05, idle_poll_s=0.1, status_timeout_s=0.3)
        svc.start()
        try:
            yield sim, svc, problems, make_world(demo_store, tmp_path, printer=svc)
        finally:
            svc.stop()


def test_a_slip_waiting_for_paper_dies_with_the_visit_on_the_real_print_service(
        demo_store: Store, tmp_path: Path) -> None:
    with _paper_out_printer(demo_store, tmp_path) as (sim, svc, problems, world):
        v = world.visit
        v.choose_job(_first_job(world))
        v.print_slip()
        assert waiting.wait_for(lambda: problems == [v.print_job_id], 5)
        v.end("idle")
        assert svc.pending == []
        sim.set_state(paper_out=False)  # the refill
        time.sleep(0.6)
        assert sim.printed == []


def test_a_print_that_does_not_start_is_a_problem_with_the_qr_not_a_spinner(world: World) -> None:
    """Issue 18: a second slip during paper-out hung on the spinner for 85 s."""
    v, clock = world.visit, world.clock
    v.choose_job(_first_job(world))
    v.print_slip()
    clock.advance(PRINT_START_S - 1)
    assert v.tick() is None and v.print_state == "printing"
    clock.advance(1)
    step = v.tick()
    assert step == Step("printing", notice="The printer has not started your slip.")
    assert v.print_state == "problem" and v.print_problem.qr_data == v.phone_code(v.job)
    assert v.print_problem.msgids[-1] == "Scan the QR code on the screen with your phone instead."
    assert world.events[-1] == "print_problem"
    assert v.tick() is None  # said once
    assert v.print_done("p1") and v.print_state == "done"  # it printed after all: the screen says so


def test_a_print_that_started_is_left_to_finish(world: World) -> None:
    v, clock = world.visit, world.clock
    v.choose_job(_first_job(world))
    v.print_slip()
    world.printer.going.add("p1")  # a long slip on a slow printer
    clock.advance(30)
    assert v.tick() is None and v.print_state == "printing"


def test_a_second_slip_behind_a_paper_out_job_reports_on_the_real_service(
        demo_store: Store, tmp_path: Path) -> None:
    with _paper_out_printer(demo_store, tmp_path) as (sim, svc, problems, world):
        v = world.visit
        v.choose_job(_first_job(world))
        v.print_slip()
        first = v.print_job_id
        assert waiting.wait_for(lambda: problems == [first], 5)
        v.print_failed(first, object())
        v.back()
        v.print_slip()  # the second attempt: queued behind the first, never reported by the service
        time.sleep(0.5)
        assert problems == [first] and not svc.started(v.print_job_id)
        world.clock.advance(PRINT_START_S)
        assert v.tick() is not None and v.print_state == "problem"


def test_an_unconfirmed_slip_is_sent_not_done(world: World) -> None:
    """A silent or write-only printer cannot confirm: the screen keeps the QR ("sent")."""
    v = world.visit
    v.choose_job(_first_job(world))
    v.print_slip()
    assert v.print_done("p1", confirmed=False) and v.print_state == "sent"


def test_a_print_problem_is_kept_for_the_screen(world: World) -> None:
    v = world.visit
    v.choose_job(_first_job(world))
    v.print_slip()
    problem = object()
    assert v.print_failed("p1", problem) and v.print_state == "problem" and v.print_problem is problem


def test_printing_switched_off_offers_the_qr_code(world: World) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=3, features=Features(print=False)))
    v.choose_job(_first_job(world))
    step = v.print_slip()
    assert step == Step("job_qr", notice="Printing is off here; scan the code instead.")
    assert world.printer.receipts == []


def test_no_printer_at_all(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path, printer=None)
    assert not w.visit.can_print
    assert w.visit.print_test_page().notice == "No printer is configured on this station."


# --- registering interest ------------------------------------------------------------------------
def test_registering_needs_a_card(world: World) -> None:
    v = world.visit
    v.choose_job(_first_job(world))
    assert v.start_application().notice == "Please place your ID card on the reader to register."
    assert v.screen == "job_detail"


def test_registering_needs_an_outbox(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path, outbox=None)
    _identified(w)
    w.visit.choose_job(w.visit.rows[0]["job_id"])
    assert "not available here" in w.visit.start_application().notice and not w.visit.can_apply


def test_no_application_leaves_without_consent(world: World) -> None:
    v = world.visit
    _identified(world)
    v.choose_job(v.rows[0]["job_id"])
    v.go("apply_phone")  # however the phone screen was reached, consent was not given
    assert v.submit_phone("13900000001").screen == "job_detail"
    assert world.outbox.pending() == 0 and v.session.phone == ""


def test_consent_is_recorded_with_its_version_and_time(world: World) -> None:
    _to_phone(world)
    s = world.visit.session
    assert s.consent_version == CONSENT_VERSION and s.consent_at == NOW.timestamp()


def test_a_wrong_phone_number_is_an_inline_error(world: World) -> None:
    _to_phone(world)
    for digits, error in (("12345678901", PHONE_BAD_START), ("1390000000", PHONE_TOO_SHORT), ("", PHONE_TOO_SHORT),
                          ("14000000000", PHONE_NO_SUCH)):
        assert world.visit.submit_phone(digits) == Step("apply_phone", error=error), digits
    assert world.outbox.pending() == 0


def test_an_application_is_committed_then_shown_masked(world: World) -> None:
    v, card = world.visit, world.cards["resident"]
    _to_phone(world)
    assert v.submit_phone("13900000001") == Step("apply_done")
    assert world.outbox.pending() == 1 and world.sync.wakes == 1
    app = v.application
    shown = dict(app.lines)
    assert shown["Phone"] == "139****0001" and shown["Name"] == card.masked_name
    assert shown["ID number"] == card.masked_id and shown["Reference"] == app.reference
    assert card.id_number not in str(app.lines) and card.name not in str(app.lines)
    assert v.application_state == "sending" and "registration" in world.events


class _Server:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse

    def submit_application(self, key: str, body: dict) -> dict:
        if self.refuse:
            raise ApiRejected("job closed", 410)
        return {"id": "a1"}


def test_back_from_the_done_screen_goes_to_the_job_not_the_keypad(world: World) -> None:
    """Issue 18: back from 报名信息已收到 returned to an empty keypad that sent a second registration."""
    v = world.visit
    _to_phone(world)
    assert v.submit_phone("13800138000").screen == "apply_done"
    assert v.back().screen == "job_detail"
    assert v.back().screen == "jobs"


def test_the_same_job_is_registered_once_per_visit(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13800138000")
    reference = v.application.reference
    v.back()
    step = v.start_application()  # "Register interest" again on the same job
    assert step == Step("apply_done", notice=ALREADY_REGISTERED) and v.application.reference == reference
    assert v.back().screen == "job_detail"
    # Even a keypad reached some other way (a second tap racing the first) sends nothing new.
    v.go("apply_phone")
    step = v.submit_phone("13900139000")
    assert step == Step("apply_done", notice=ALREADY_REGISTERED)
    assert v.back().screen == "job_detail"
    assert world.outbox.pending() == 1 and world.events.count("registration") == 1
    # Another job is another registration.
    other = next(r["job_id"] for r in v.rows if r["job_id"] != v.job.id)
    v.choose_job(other)
    assert v.start_application().screen == "apply_consent"
    v.consent()
    v.submit_phone("13800138000")
    assert world.outbox.pending() == 2


def test_the_application_is_followed_to_the_server(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13900000001")
    world.sync.online = False
    assert v.poll_application() and v.application_state == "queued"
    world.sync.online = True
    world.outbox.flush(_Server())
    assert not v.poll_application() and v.application_state == "sent"


def test_a_refused_application_says_the_job_closed(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13900000001")
    world.outbox.flush(_Server(refuse=True))
    assert not v.poll_application() and v.application_state == "rejected"


def test_the_application_receipt_prints_the_reference(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13900000001")
    assert v.print_application_receipt().screen == "printing"
    text = str(world.printer.receipts[0])
    assert v.application.reference in text and "13900000001" not in text


def test_ending_the_visit_forgets_the_application(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13900000001")
    v.end()
    assert v.application is None and not v.poll_application()
    assert v.print_application_receipt().notice == "Printing is off here."


# --- policies -----------------------------------------------------------------------------------
def test_policies_list_and_article(world: World) -> None:
    v = world.visit
    assert v.open_policies().screen == "policies" and v.policies
    assert v.open_policy(v.policies[0].id).screen == "policy" and v.policy == v.policies[0]
    assert v.open_policy("nope").screen == "policy"  # an unknown id changes nothing


# --- scanned codes ---------------------------------------------------------------------------------
def test_a_job_code_opens_the_job_from_the_attract_screen(world: World) -> None:
    v = world.visit
    job_id = _first_job(world)
    v.end()
    assert v.code_scanned(f"job:{job_id}").screen == "job_detail" and v.job.id == job_id
    assert v.back().screen == "home"


def test_a_code_for_a_job_no_longer_cached_says_it_was_filled(world: World) -> None:
    step = world.visit.code_scanned("job:qh-9999")
    assert step == Step("home", notice="This job has been filled or withdrawn. Please choose another job.")


def test_unknown_and_seeker_codes_are_notices(world: World) -> None:
    v = world.visit
    assert v.code_scanned("WIFI:S:cafe;;").notice == CODE_UNKNOWN  # with what to do instead
    assert "not available yet" in v.code_scanned("seeker:" + "a" * 20).notice
    assert world.events.count("code_scanned") == 2


def test_a_maintenance_code_for_another_station_is_refused(world: World) -> None:
    code = make_maintenance_code(CODES["maintenance_signing_key_DEMO_ONLY"], "other", now=NOW.timestamp())
    step = world.visit.code_scanned(code)
    assert step.screen == "home" and step.notice == "This maintenance code is for another station"


# --- maintenance PIN ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN, log2_n=14)


def test_no_pin_configured_means_no_pin_entry(world: World) -> None:
    v = world.visit
    v.start()
    assert v.open_pin_entry().screen == "home"
    assert v.pin_entered(PIN).error == "No maintainer PIN is set for this station"


def test_a_pin_in_the_old_format_is_refused(world: World) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=2, maintenance_pin_hash="pbkdf2-sha256$1$c2FsdA$a2V5"))
    v.start()
    assert v.open_pin_entry().screen == "maintenance_pin"
    assert "old format" in v.pin_entered(PIN).error and v.screen == "maintenance_pin"


def test_the_right_pin_opens_maintenance_for_15_minutes(world: World, pin_hash: str) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=2, maintenance_pin_hash=pin_hash))
    v.start()
    v.open_pin_entry()
    assert v.pin_entered("000000") == Step("maintenance_pin", error="Wrong PIN")
    assert v.pin_entered(PIN) == Step("maintenance")
    assert v.maintenance_until == NOW.timestamp() + 15 * 60


def test_five_wrong_pins_lock_entry_for_five_minutes(world: World, pin_hash: str) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=2, maintenance_pin_hash=pin_hash))
    v.start()
    v.open_pin_entry()
    for _ in range(5):
        assert v.pin_entered("000000").error == "Wrong PIN"
    assert v.pin_entered(PIN).error == "Too many wrong PINs; try again in 5 minutes"
    world.clock.advance(301)
    assert v.pin_entered(PIN).screen == "maintenance"
    assert world.events.count("pin_refused") == 5


def test_the_test_page_lists_the_devices(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path, device_report=lambda: [("printer", "ok", "80 mm")])
    assert w.visit.print_test_page(software="gig-kiosk 1").screen == "printing"
    assert "80 mm" in str(w.printer.receipts[0])


# --- the county's remote configuration ----------------------------------------------------------
def test_remote_defaults_apply_at_once_between_visits_only(world: World) -> None:
    v = world.visit
    cfg = AppliedConfig(version=5, default_language="en", elderly_mode_default=True, radius_km=3.0,
                        idle_timeout_s=30, banner="Closed Monday", features=Features(apply=False, policies=False))
    v.start()
    v.apply_config(cfg)
    assert (v.lang, v.elderly) == ("zh", False)  # mid-visit: the seeker's choice stays
    assert (v.idle_timeout_s, v.banner, v.can_apply, v.can_policies) == (30, "Closed Monday", False, False)
    v.end()
    assert (v.lang, v.elderly, v.job_filter.radius_km) == ("en", True, 3.0)  # the county's radius too
    v.apply_config(AppliedConfig(version=0, default_language="zh"))  # version 0: nothing applied yet
    assert v.default_lang == "en"


def test_a_new_radius_refreshes_the_list_on_show(world: World) -> None:
    v = world.visit
    v.open_jobs()
    before = v.job_count
    v.apply_config(AppliedConfig(version=5, radius_km=1.0))
    assert v.job_filter.radius_km == 1.0 and v.job_count < before


def test_staffed_hours_wording(world: World) -> None:
    v = world.visit
    assert v.hours() is None
    v.apply_config(AppliedConfig(version=2, opening_hours="08:00-17:30"))
    assert v.hours() == ("Staffed {hours}", "08:00–17:30")
    world.clock.advance(8 * 3600)  # 18:00
    assert v.hours() == ("Staff are here {hours}; self-service works now", "08:00–17:30")


# --- statistics ----------------------------------------------------------------------------------------
def test_statistics_events_are_names_only(world: World) -> None:
    v = world.visit
    _to_phone(world)
    v.submit_phone("13900000001")
    v.print_application_receipt()
    v.print_done("p1")
    v.end()
    assert set(world.events) <= set(EVENTS)
    assert world.events == ["card_read", "card_read_resident", "visit_started", "job_viewed", "registration",
                            "slip_printed", "visit_ended"]


def test_a_failing_statistics_listener_never_breaks_the_visit(demo_store: Store, tmp_path: Path) -> None:
    def broken(_name: str) -> None:
        raise RuntimeError("disk full")

    w = make_world(demo_store, tmp_path, on_event=broken)
    assert w.visit.start().screen == "home"


def test_steps_are_plain_values() -> None:
    assert dataclasses.asdict(Step("home", notice="n")) == {"screen": "home", "notice": "n", "error": ""}
