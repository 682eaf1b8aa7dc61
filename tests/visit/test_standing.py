"""Issue 16 in the visit: the standing registration (求职登记) rules, on real kiosk parts (the
demo cache, the real search and the real encrypted outbox), without a network: chip-only
wants, the separate consent with its own expiry (30 days by default), the SMS opt-in, the
phone, all four card types, renewal, ending, and the matching jobs first on the list.
Central's side (delivery, /mine, /end) is tested over HTTP in test_standing_central.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from visit_helpers import World

from kiosk.i18n import tr
from kiosk.receipts import Text, layout, paper_for, plain_text
from kiosk.visit import standing
from kiosk.visit.standing import Standing, Wants

PHONE = "13912345678"


@pytest.fixture
def w(world: World) -> World:
    return world


def _card(w: World, label: str = "resident") -> None:
    w.visit.start()
    w.visit.card_laid(w.cards[label])


def _seeker_row(w: World) -> tuple[dict, dict, dict, str]:
    """The one waiting registration row, decrypted as the flush would send it."""
    conn = w.outbox._conn()
    key, blob, wants, consent, ref = conn.execute(
        "SELECT idempotency_key, seeker, wants, consent, reference FROM standing").fetchone()
    return w.outbox._open(blob, key), json.loads(wants), json.loads(consent), ref


def _register(w: World, label: str = "resident", chips: tuple = (), days: int | None = None,
              sms: bool = False) -> None:
    _card(w, label)
    v = w.visit
    assert v.standing_new().screen == standing.WANTS
    for group, value in chips:
        v.standing_toggle(group, value)
    assert v.standing_next().screen == standing.CONSENT
    if days is not None:
        v.standing_days(days)
    if sms:
        v.standing_sms()
    assert v.standing_agree().screen == standing.PHONE
    assert v.standing_phone(PHONE).screen == standing.DONE


def test_needs_a_card_and_an_outbox(w: World) -> None:
    w.visit.start()
    assert w.visit.open_standing().notice == standing.NEED_CARD
    assert w.visit.screen == "home"


def test_the_home_button_looks_up_first_then_registers(w: World) -> None:
    _card(w)
    v = w.visit
    assert v.open_standing().screen == standing.MINE
    assert v.standing.mine_state == "loading"
    token = v.standing.token
    v.back()
    v.open_standing()
    assert v.standing.token == token  # the look-up under way is waited for, not asked again
    assert v.standing_arrived(token, []).screen == standing.MINE  # central: none
    assert v.standing.mine_state == "ready" and v.standing.open is None
    assert v.standing_new().screen == standing.WANTS
    v.back()
    v.back()
    assert v.open_standing().screen == standing.WANTS  # known: none open


def test_wants_are_chips_only_and_every_value_is_checked() -> None:
    w = Wants()
    assert w.to_api() == {"categories": [], "reach": {"km": 3}, "days": [], "settlement": "any", "min_pay": None}
    w = w.toggled("category", "保洁").toggled("category", "搬运").toggled("category", "保洁")
    assert w.categories == {"搬运"}
    assert w.toggled("category", "any").categories == frozenset()
    for reach, api in ((("km", 1), {"km": 1}), (("km", 10), {"km": 10}), (("minutes", 15), {"minutes": 15})):
        assert w.toggled("reach", reach).to_api()["reach"] == api
    assert w.toggled("days", "weekdays").days_choice() == "weekdays"
    assert w.toggled("days", "weekend").to_api()["days"] == ["sat", "sun"]
    chosen = w.toggled("days", "wed").toggled("days", "mon")
    assert chosen.to_api()["days"] == ["mon", "wed"] and chosen.days_choice() == "chosen"
    every = w
    for d in standing.WEEK:
        every = every.toggled("days", d)
    assert every.days == frozenset() and every.days_choice() == "any"  # all seven is any day
    assert w.toggled("settlement", "daily").to_api()["settlement"] == "daily"
    assert w.toggled("min_pay", (150, "day")).to_api()["min_pay"] == {"amount": 150, "unit": "day"}
    for group, bad in (("category", "赌博"), ("reach", ("km", 7)), ("reach", ("minutes", 30)), ("days", "someday"),
                       ("settlement", "monthly"), ("min_pay", (123, "day")), ("phone", "139")):
        with pytest.raises(ValueError):
            w.toggled(group, bad)
    assert Wants.from_api(chosen.toggled("min_pay", (20, "hour")).to_api()) == chosen.toggled("min_pay", (20, "hour"))


def test_wants_in_plain_words_both_languages() -> None:
    w = Wants().toggled("category", "保洁").toggled("reach", ("minutes", 15)).toggled("days", "weekend") \
        .toggled("settlement", "daily").toggled("min_pay", (150, "day"))
    en = dict(w.lines("en"))
    assert en == {"Work": "Cleaning", "How far": "Within a 15-minute walk", "Which days": "Weekend",
                  "How you are paid": "Paid daily", "Lowest pay": "¥150/day"}
    zh = dict(w.lines("zh"))
    assert zh["Work"] == "保洁" and "15" in zh["How far"] and zh["Lowest pay"] == "150元/天"
    assert all(v and v.isascii() is False for k, v in zh.items() if k != "Lowest pay")


@pytest.mark.parametrize("label", ["resident", "hkmt", "foreign2023", "foreign2017"])
def test_all_four_card_types_register_through_the_encrypted_outbox(w: World, label: str) -> None:
    _register(w, label, chips=(("category", "保洁"), ("reach", ("km", 5)), ("days", "weekdays"),
                               ("settlement", "daily"), ("min_pay", (150, "day"))))
    card = w.cards[label]
    seeker, wants, consent, ref = _seeker_row(w)
    assert seeker == {"card_type": card.card_type.value, "id_number": card.id_number, "name": card.display_name,
                      "phone": PHONE, "birth_date": card.birth_date.isoformat()}
    assert wants == {"categories": ["保洁"], "reach": {"km": 5}, "days": ["mon", "tue", "wed", "thu", "fri"],
                     "settlement": "daily", "min_pay": {"amount": 150, "unit": "day"}}
    assert consent["version"] == standing.CONSENT_VERSION and consent["days"] == 30 and consent["sms"] is False
    assert dt.datetime.fromisoformat(consent["at"]).tzinfo is not None
    raw = w.outbox.path.read_bytes()
    assert card.id_number.encode() not in raw and PHONE.encode() not in raw  # encrypted at rest
    assert w.visit.standing.done.reference == ref and w.outbox.standing_status(ref) == "pending"
    assert w.outbox.pending() == 1
    assert "standing_registered" in w.events


def test_consent_expiry_defaults_to_30_days_and_sms_is_opt_in(w: World) -> None:
    _register(w)
    done = w.visit.standing.done
    assert done.expires == (w.clock.now().date() + dt.timedelta(days=30))
    assert done.sms is False
    w.visit.end("done")
    w.outbox._conn().execute("DELETE FROM standing")
    _register(w, days=90, sms=True)
    _, _, consent, _ = _seeker_row(w)
    assert consent["days"] == 90 and consent["sms"] is True
    assert w.visit.standing.done.expires == w.clock.now().date() + dt.timedelta(days=90)
    with pytest.raises(ValueError):
        w.visit.standing_days(365)


def test_nothing_leaves_without_consent_and_the_phone_is_checked(w: World) -> None:
    _card(w)
    v = w.visit
    v.standing_new()
    v.go(standing.PHONE)  # reached without "I agree"
    step = v.standing_phone(PHONE)
    assert step.screen != standing.DONE and w.outbox.pending() == 0
    v.standing_next()
    v.standing_agree()
    assert v.standing_phone("1391234").error.startswith("A mobile number has 11 digits")
    assert v.standing_phone("12912345678").error.startswith("A mobile number starts with 13")
    assert w.outbox.pending() == 0
    assert v.standing_phone(PHONE).screen == standing.DONE
    assert v.back().screen == "jobs"  # where the seeker was, not back to the keypad


def test_offline_the_row_waits_in_the_outbox_and_the_slip_prints(w: World) -> None:
    w.sync.online = False
    _register(w, chips=(("category", "搬运"),))
    assert w.sync.wakes == 1 and w.outbox.pending() == 1
    w.visit.print_standing_slip()
    receipt = w.printer.receipts[-1]
    text = plain_text(layout(receipt, paper_for(80)), paper_for(80))
    card = w.cards["resident"]
    assert receipt.reference == w.visit.standing.done.reference and receipt.reference in text
    assert card.id_number not in text and PHONE not in text and card.masked_id in text
    assert tr(standing.STOP_HOW, "zh").format(phone=w.visit.help_number).split("，")[0] in text.replace("\n", "")
    assert any(isinstance(b, Text) and b.text == tr(standing.FEE_FREE, "zh") for b in receipt.blocks)
    assert "搬运" in text


def test_the_done_screen_is_read_aloud_in_plain_words(w: World) -> None:
    _register(w, chips=(("category", "保洁"), ("settlement", "daily")))
    w.visit.set_language("en")
    said = standing.spoken(w.visit)
    assert said.startswith("Your work registration has been received")
    assert "Work: Cleaning" in said and "Paid daily" in said and "Valid until" in said and "12333" in said
    assert w.cards["resident"].id_number not in said and PHONE not in said


def test_renew_keeps_the_wants_and_sets_a_new_expiry(w: World) -> None:
    _card(w)
    v = w.visit
    open_one = Standing("r1", "AB12-CD34", "open", Wants().toggled("category", "家政"), True,
                        dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [open_one])
    assert v.open_standing().screen == standing.MINE
    assert v.standing_renew().screen == standing.CONSENT
    assert v.standing.days == 30 and v.standing.sms is True  # the SMS choice is kept; still changeable
    w.clock.advance(3600)
    v.standing_agree()
    v.standing_phone(PHONE)
    _, wants, consent, _ = _seeker_row(w)
    assert wants["categories"] == ["家政"] and consent["days"] == 30
    assert v.standing.done.expires == w.clock.now().date() + dt.timedelta(days=30)
    assert "standing_renewed" in w.events and "standing_registered" not in w.events


def test_change_starts_from_the_open_wants(w: World) -> None:
    _card(w)
    v = w.visit
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [Standing("r1", "AB12-CD34", "open", Wants().toggled("reach", ("km", 10)),
                                                   False, None, None)])
    assert v.standing_change().screen == standing.WANTS
    assert v.standing.draft.reach == ("km", 10)


def test_end_asks_first_then_goes_through_the_outbox(w: World) -> None:
    _card(w)
    v = w.visit
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [Standing("r9", "AB12-CD34", "open", Wants(), False, None, None)])
    v.open_standing()
    assert v.standing_end().notice == "" and w.outbox.pending() == 0  # not asked yet: nothing
    v.standing_ask_end()
    assert v.standing.confirm_end
    v.standing_keep()
    assert not v.standing.confirm_end
    v.standing_ask_end()
    assert v.standing_end().notice == standing.ENDED_NOTICE
    assert w.outbox.standing_end_status("r9") == "pending" and w.outbox.pending() == 1
    assert v.standing.open is None and "standing_ended" in w.events
    v.standing_ask_end()
    assert not v.standing.confirm_end  # nothing open any more
    # A second look-up while the ending waits shows it ended, not open.
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [Standing("r9", "AB12-CD34", "open", Wants(), False, None, None)])
    assert v.standing.open is None


def test_ending_one_that_never_left_deletes_it_here(w: World) -> None:
    w.sync.online = False
    _register(w)
    ref = w.visit.standing.done.reference
    v = w.visit
    v.open_standing()
    v.standing_ask_end()
    assert v.standing_end().notice == standing.ENDED_LOCAL
    assert w.outbox.standing_status(ref) == "cancelled" and w.outbox.pending() == 0


def test_offline_lookup_says_so_and_still_lets_you_register(w: World) -> None:
    from kiosk.api import ApiOffline

    _card(w)
    v = w.visit
    v.open_standing()
    token, result = v.fetch_standing()  # no central API in this world
    assert isinstance(result, ApiOffline)
    v.standing_arrived(token, result)
    assert v.standing.mine_state == "offline" and v.standing.mine_message == standing.OFFLINE
    assert v.standing_new().screen == standing.WANTS


def test_the_visit_end_forgets_it_and_drops_a_late_answer(w: World) -> None:
    _card(w)
    v = w.visit
    v.open_standing()
    token = v.standing.token
    v.end("card removed")
    _card(w, "hkmt")
    v.standing_arrived(token, [Standing("r1", "X", "open", Wants(), False, None, None)])
    assert v.standing.open is None and v.standing.mine == []


def test_matching_jobs_come_first_on_the_list(w: World) -> None:
    _card(w)
    v = w.visit
    v.open_jobs()
    plain = [r["job_id"] for r in v.rows]
    assert not any(r["match"] for r in v.rows)
    wants = Wants().toggled("category", "仓储分拣").toggled("reach", ("km", 10))
    wanted = {j.id for j in (w.store.get_job(i) for i in plain) if j.category == "仓储分拣"}
    assert wanted and plain[0] not in wanted
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [Standing("r1", "X", "open", wants, False, None, None)])
    rows = v.rows
    first = [r["job_id"] for r in rows if r["match"]]
    assert set(first) == wanted
    assert [r["job_id"] for r in rows[:len(first)]] == first  # all of them at the top
    assert sorted(r["job_id"] for r in rows) == sorted(plain)  # nothing lost, nothing doubled
    # With a chip chosen, only the list's own jobs are reordered.
    v.toggle_filter("settlements", "daily")
    assert all(w.store.get_job(r["job_id"]).settlement == "daily" for r in v.rows)


def test_matching_checks_pay_days_and_the_walk() -> None:
    today = dt.date(2026, 11, 23)  # a Monday
    job = type("J", (), {"pay_unit": "day", "pay_amount": 160.0, "start_date": today, "category": "保洁",
                         "settlement": "daily"})()
    w = Wants()
    assert w.toggled("min_pay", (150, "day")).admits(job, today)
    assert not w.toggled("min_pay", (200, "day")).admits(job, today)
    assert not w.toggled("min_pay", (20, "hour")).admits(job, today)  # another unit never compares
    sat = today + dt.timedelta(days=5)
    job.start_date = sat  # a Saturday job, as central.matching counts the remaining days
    weekend, weekdays = w.toggled("days", "weekend"), w.toggled("days", "weekdays")
    assert weekend.admits(job, today, end_date=sat) and not weekdays.admits(job, today, end_date=sat)
    assert weekdays.admits(job, today, end_date=sat + dt.timedelta(days=2))  # Sat..Mon
    job.start_date = today - dt.timedelta(days=10)  # running since last week, ends today (Monday)
    assert weekdays.admits(job, today, end_date=today) and not weekend.admits(job, today, end_date=today)
    assert weekend.admits(job, today, end_date=today + dt.timedelta(days=6))  # a whole week left
    assert not weekend.admits(job, today, end_date=today - dt.timedelta(days=1))  # nothing left
    assert standing.remaining_weekdays(sat, None, today) == {"sat"}  # without an end: the first day
    walk = w.toggled("reach", ("minutes", 15))
    assert standing.walk_minutes(0.86) == 15 and standing.walk_minutes(0.87) == 16
    assert walk.admits(job, today, 0.86) and not walk.admits(job, today, 0.9)
    assert round(walk.radius_km(), 3) == 0.865


def test_events_are_names_only(w: World) -> None:
    from kiosk.visit.core import EVENTS

    assert {"standing_registered", "standing_renewed", "standing_ended"} <= set(EVENTS)
    _register(w)
    assert all(isinstance(e, str) and e in EVENTS for e in w.events)


def test_laying_the_card_near_the_end_says_renew(w: World) -> None:
    _card(w)
    v = w.visit
    today = w.clock.now().date()
    soon = Standing("r1", "X", "open", Wants(), False, today - dt.timedelta(days=25), today + dt.timedelta(days=5))
    assert v.standing_arrived(v.standing.token, [soon]).notice == standing.ENDS_SOON
    assert v.screen == "jobs"
    v.end("card removed")
    _card(w)
    later = replace(soon, expires=today + dt.timedelta(days=20))
    assert v.standing_arrived(v.standing.token, [later]).notice == ""


def test_matching_on_the_list_uses_each_jobs_days_and_the_cards_age(w: World) -> None:
    _card(w, "long_term")  # born 1962: several demo jobs have an age limit below that
    v = w.visit
    v.open_jobs()
    v.toggle_age_filter()  # the seeker turned "suits my age" off: the list shows every job
    assert v.job_filter.seeker_age is None
    today = w.clock.now().date()
    wants = Wants().toggled("reach", ("km", 10)).toggled("days", "sat")
    standing.start_lookup(v)
    v.standing_arrived(v.standing.token, [Standing("r1", "X", "open", wants, False, None, None)])
    matched = [w.store.get_job(r["job_id"]) for r in v.rows if r["match"]]
    assert matched
    age = w.cards["long_term"].age_on(today)
    for job in matched:
        assert "sat" in standing.remaining_weekdays(job.start_date, job.end_date, today)
        req = job.requirements
        assert (req.age_min or 0) <= age <= (req.age_max or 200)
    assert any(not r["match"] for r in v.rows)  # the others are still listed, after them
