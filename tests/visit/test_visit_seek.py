"""Issue 18's medium and low rules, headless: the list's order, the older seeker's offer, the
idle countdown, help, notices that belong to their screen, the paper-out QR path, and the
Done button that asks first. The Xvfb scenarios (tests/ui/test_ui_seek.py) show them drawn."""

from __future__ import annotations

from pathlib import Path

from visit_helpers import World, make_world

from kiosk.models import Settlement
from kiosk.remote_config import AppliedConfig
from kiosk.search import tier
from kiosk.store import Store
from kiosk.visit import Step
from kiosk.visit.core import HOTLINE, NOTICE_S, TAKE_CARD, WARN_S


# --- item 6: day-paid and today's jobs first --------------------------------------------------------
def test_the_list_puts_day_paid_and_todays_jobs_first_then_the_nearest(world: World) -> None:
    v = world.visit
    v.open_jobs()
    today = v.today()
    tiers = []
    for row in v.rows:
        job = world.store.get_job(row["job_id"])
        assert job is not None
        tiers.append((tier(job.settlement == Settlement.DAILY, job.start_date <= today), job))
    assert [t for t, _ in tiers] == sorted(t for t, _ in tiers)
    assert {t for t, _ in tiers} >= {0, 3}  # the demo has both ends: the order is visible
    first = [j for t, j in tiers if t == 0]
    assert first and all(j.settlement == Settlement.DAILY and j.start_date <= today for j in first)
    assert v.rows[0]["daily"] is True


def test_a_nearer_weekly_job_comes_after_a_farther_day_paid_one(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path)
    v = w.visit
    v.open_jobs()
    near_weekly = next(r for r in v.rows if not r["daily"])
    far_daily = max((r for r in v.rows if r["daily"]), key=lambda r: float(r["distance"].split()[0]))
    assert v.rows.index(far_daily) < v.rows.index(near_weekly)


# --- item 7: an older seeker is offered large text and voice -----------------------------------------
def test_a_card_aged_60_or_more_offers_large_text_and_voice_in_one_tap(world: World) -> None:
    v = world.visit
    v.card_laid(world.cards["long_term"])  # born 1962: 64
    assert v.elderly_offer and not v.elderly
    assert v.accept_elderly_offer() == Step("jobs")
    assert v.elderly and not v.elderly_offer
    v.end("done")
    assert not v.elderly and not v.elderly_offer  # the next visit starts as the station's default


def test_the_offer_can_be_declined_and_younger_cards_get_none(world: World) -> None:
    v = world.visit
    v.card_laid(world.cards["long_term"])
    v.decline_elderly_offer()
    assert not v.elderly and not v.elderly_offer
    v.end("card removed")
    v.card_laid(world.cards["resident"])  # 36
    assert not v.elderly_offer and not v.elderly


def test_elderly_by_age_turns_large_text_on_by_itself(world: World) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=3, elderly_by_age=True))
    v.card_laid(world.cards["long_term"])
    assert v.elderly and not v.elderly_offer
    v.toggle_elderly()  # still theirs to turn off
    assert not v.elderly


# --- item 8: a countdown before the idle reset ------------------------------------------------------
def test_the_idle_countdown_shows_for_the_last_15_seconds_and_continue_keeps_the_visit(world: World) -> None:
    v, clock = world.visit, world.clock
    v.card_laid(world.cards["resident"])
    v.choose_job(v.rows[0]["job_id"])
    clock.advance(60 - WARN_S - 1)
    assert v.idle_left is None and v.tick() is None
    clock.advance(1)
    assert v.idle_left == 15 and v.tick() == Step("job_detail")  # the screen redraws each second
    clock.advance(10)
    assert v.idle_left == 5
    assert v.keep_going() == Step("job_detail")
    assert v.idle_left is None and v.session.identified and v.job is not None
    clock.advance(60)
    assert v.tick() == Step("attract", notice=TAKE_CARD) and not v.session.identified


def test_a_short_timeout_warns_for_its_last_half(world: World) -> None:
    v, clock = world.visit, world.clock
    v.idle_timeout_s = 10
    v.start()
    clock.advance(4)
    assert v.idle_left is None
    clock.advance(1)
    assert v.idle_left == 5


# --- item 10: help -----------------------------------------------------------------------------------
def test_help_shows_the_stations_number_with_a_tel_qr(world: World) -> None:
    v = world.visit
    v.start()
    assert v.help_number == HOTLINE and v.help_qr == "tel:12333"  # no staff number configured
    v.apply_config(AppliedConfig(version=2, help_phone="0556-123 4567"))
    assert v.ask_help() == Step("home") and v.help_open
    assert (v.help_number, v.help_qr) == ("0556-123 4567", "tel:05561234567")
    v.close_help()
    assert not v.help_open
    v.ask_help()
    v.end("idle")
    assert not v.help_open


# --- item 11: a phone code is not invited, and its refusal says what to do ---------------------------
def test_a_seeker_code_says_to_use_the_id_card(world: World) -> None:
    step = world.visit.code_scanned("seeker:" + "a" * 20)
    assert step.screen == "home" and "ID card" in step.notice


# --- item 12: a notice belongs to the screen that raised it ------------------------------------------
def test_a_notice_leaves_with_its_screen(world: World) -> None:
    v = world.visit
    step = v.code_scanned("WIFI:S:cafe;;")
    assert step.screen == "home" and step.notice and v.notice_on_show == step.notice
    v.open_jobs()
    job_id = v.rows[0]["job_id"]
    v.back()
    assert v.notice_on_show == ""  # went to the list and back: gone
    v.code_scanned("WIFI:S:cafe;;")
    v.code_scanned(f"job:{job_id}")
    assert v.screen == "job_detail" and v.notice_on_show == ""  # never above the job it opened


def test_a_notice_expires_after_its_time_on_its_screen(world: World) -> None:
    v, clock = world.visit, world.clock
    v.code_scanned("WIFI:S:cafe;;")
    clock.advance(NOTICE_S - 1)
    v.activity()
    assert v.tick() is None and v.notice_on_show
    clock.advance(1)
    assert v.tick() == Step("home") and v.notice_on_show == ""


def test_the_take_card_reminder_outlasts_any_notice_time(world: World) -> None:
    v, clock = world.visit, world.clock
    v.card_laid(world.cards["resident"])
    v.end("done")
    clock.advance(3600)
    assert v.tick() is None and v.notice_on_show == TAKE_CARD
    v.card_removed()
    assert v.notice_on_show == ""


# --- item 15: paper out -> the QR first ---------------------------------------------------------------
class _Status:
    known, paper_end = True, True


def test_paper_out_puts_the_qr_first(world: World) -> None:
    v = world.visit
    v.open_jobs()
    v.choose_job(v.rows[0]["job_id"])
    assert not v.qr_first  # a test printer that reports nothing: print first, as before
    world.printer.printer_status = _Status()  # type: ignore[attr-defined]
    assert v.qr_first
    v.can_print = False
    assert not v.qr_first  # no print offered at all: nothing to put second


def test_paper_out_on_the_real_print_service_puts_the_qr_first(demo_store: Store, tmp_path: Path) -> None:
    from devices.printer.status import PrinterStatus

    w = make_world(demo_store, tmp_path)

    class Service:  # the part of PrintService the rule reads: its last status answer
        printer_status = PrinterStatus(known=True, paper_end=True)

    w.visit.printer = Service()  # type: ignore[assignment]
    assert w.visit.qr_first
    Service.printer_status = PrinterStatus(known=True)
    assert not w.visit.qr_first


# --- low: Done asks before it wipes, when there is something to lose ---------------------------------
def test_done_on_home_without_a_card_ends_at_once(world: World) -> None:
    v = world.visit
    v.start()
    assert v.ask_end() == Step("attract")


def test_done_with_a_card_or_past_home_asks_first(world: World) -> None:
    v = world.visit
    v.card_laid(world.cards["resident"])
    assert v.ask_end() == Step("jobs") and v.confirm_end and v.session.identified
    assert v.cancel_end() == Step("jobs") and not v.confirm_end and v.session.identified
    v.ask_end()
    assert v.end("done").screen == "attract" and not v.confirm_end and not v.session.identified


# --- low: the list's rows carry the start date the reading says ----------------------------------------
def test_rows_carry_the_start_text(world: World) -> None:
    v = world.visit
    v.open_jobs()
    assert all(r["start"] for r in v.rows)
    v.set_language("en")
    assert all(r["start"].startswith(("Starts", "Started")) for r in v.rows)


def test_tier_order() -> None:
    assert [tier(True, True), tier(True, False), tier(False, True), tier(False, False)] == [0, 1, 2, 3]
