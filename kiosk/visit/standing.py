"""Standing registration (求职登记, issue 16): the seeker says what work they want, with chips
only, and county staff call when something fits.

The rules of the journey live here; kiosk/visit/core.py has only thin intents that call these
functions with the visit. What the seeker chooses is a `Wants` (plain values, no personal data);
the consent (its own wording, its own expiry: 30 days unless chosen otherwise, renewable by
laying the card again) and the phone are asked on their own screens; the row then goes through
the durable outbox (kiosk/outbox_standing.py) with a reference made here, so the slip prints
offline. Central's answer to `/v1/registrations/mine` is read into `Standing` rows.

"Jobs that match your registration" use the kiosk's own search (kiosk.search over the local
cache) with the wants turned into a JobFilter: a first look, never central's matcher.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kiosk.filters import JobFilter
from kiosk.formatting import short_date
from kiosk.i18n import N_, joined, tr
from kiosk.models import CATEGORIES_ZH_EN, Settlement, category_text
from kiosk.travel import WITHIN_MINUTES, walk_km, walk_minutes

if TYPE_CHECKING:
    from kiosk.receipts import Receipt
    from kiosk.visit.core import Step, Visit

log = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11-reg"  # the wording of the registration's own consent screen
CONSENT_DAYS = (30, 60, 90)  # the expiry chips; the first is the default (central allows 1..90)
DEFAULT_DAYS = CONSENT_DAYS[0]
# Screens (screens/register_<name>.py).
WANTS, CONSENT, PHONE, DONE, MINE = ("register_wants", "register_consent", "register_phone", "register_done",
                                     "register_mine")
STEPS = (WANTS, CONSENT, PHONE)

# How far: km chips, and "15 minutes' walk" (kiosk.travel's model, as central's matcher uses it).
REACH_KM = (1, 3, 5, 10)
WALK_MINUTES = WITHIN_MINUTES
DEFAULT_REACH: tuple[str, int] = ("km", 3)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS, WEEKEND = frozenset(WEEK[:5]), frozenset(WEEK[5:])
DAY_TEXT = dict(zip(WEEK, (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")),
                    strict=True))
SETTLEMENTS = ("any", "daily", "weekly")
SETTLEMENT_TEXT = {"any": N_("Any way of paying"), "daily": N_("Paid daily"), "weekly": N_("Paid weekly")}
# Minimum pay chips: (amount, unit); None is "no minimum".
MIN_PAY = (None, (100, "day"), (150, "day"), (200, "day"), (300, "day"), (20, "hour"), (30, "hour"))
PAY_UNIT_TEXT = {"day": N_("¥{amount}/day"), "hour": N_("¥{amount}/hour"),
                 "piece": N_("¥{amount}/piece"), "order": N_("¥{amount}/order")}

# Events (kiosk.visit.core.EVENTS): names only.
REGISTERED, RENEWED, ENDED = "standing_registered", "standing_renewed", "standing_ended"

# Wording (msgids; Chinese in assets/locale/zh).
NEED_CARD = N_("Please place your ID card on the reader to register for work.")
NOT_HERE = N_("Registering for work is not available at this kiosk.")
LOADING = N_("Looking up your work registration…")
OFFLINE = N_("No connection right now, so your work registration cannot be shown. Please try again later.")
UNAVAILABLE = N_("Your work registration cannot be shown right now. Please try again later.")
NONE_YET = N_("You have no open work registration at this county.")
ENDS_SOON = N_("Your work registration ends soon. Tap Register for work on the home page to renew it.")
ENDS_SOON_DAYS = 7  # laying the card this close to the end says so (renewing is one tap away)
ENDED_NOTICE = N_("Ended. Your details will be erased.")
ENDED_QUEUED = N_("Ended. It will be sent as soon as the kiosk is back online.")
ENDED_LOCAL = N_("Ended. It had not been sent yet, so it was deleted from this kiosk.")
STOP_HOW = N_("To stop: lay your ID card at any station and tap End my registration, or call {phone}.")
FEE_FREE = N_("Job seeking is free: beware of scams asking for deposits or training fees.")


@dataclass(frozen=True, slots=True)
class Wants:
    """What work the seeker wants; empty sets mean "any". No personal data."""

    categories: frozenset[str] = frozenset()
    reach: tuple[str, int] = DEFAULT_REACH  # ("km", 1|3|5|10) or ("minutes", 15)
    days: frozenset[str] = frozenset()  # of WEEK; empty: any day
    settlement: str = "any"  # of SETTLEMENTS
    min_pay: tuple[int, str] | None = None  # (amount, unit)

    # --- chips -------------------------------------------------------------------------
    def toggled(self, group: str, value: Any) -> Wants:
        """The wants after one chip tap. Categories and single days toggle; the others pick
        one value (tapping "any" clears the set)."""
        if group == "category":
            if value == "any":
                return replace(self, categories=frozenset())
            if value not in CATEGORIES_ZH_EN:
                raise ValueError(f"unknown category {value!r}")
            return replace(self, categories=self.categories ^ {value})
        if group == "reach":
            kind, n = value
            if not ((kind == "km" and n in REACH_KM) or (kind == "minutes" and n == WALK_MINUTES)):
                raise ValueError(f"unknown reach {value!r}")
            return replace(self, reach=(kind, n))
        if group == "days":
            chosen = {"any": frozenset(), "weekdays": WEEKDAYS, "weekend": WEEKEND}.get(value)
            if chosen is not None:
                return replace(self, days=chosen)
            if value not in WEEK:
                raise ValueError(f"unknown day {value!r}")
            days = self.days ^ {value}
            return replace(self, days=frozenset() if days == frozenset(WEEK) else days)
        if group == "settlement":
            if value not in SETTLEMENTS:
                raise ValueError(f"unknown settlement {value!r}")
            return replace(self, settlement=value)
        if group == "min_pay":
            if value not in MIN_PAY:
                raise ValueError(f"unknown minimum pay {value!r}")
            return replace(self, min_pay=value)
        raise ValueError(f"unknown chip group {group!r}")

    def days_choice(self) -> str:
        """Which of the days chips reads as chosen: any, weekdays, weekend, or chosen."""
        if not self.days:
            return "any"
        return {WEEKDAYS: "weekdays", WEEKEND: "weekend"}.get(self.days, "chosen")

    # --- wire form (CONTRACTS) -----------------------------------------------------------
    def to_api(self) -> dict[str, Any]:
        kind, n = self.reach
        return {
            "categories": sorted(self.categories),
            "reach": {kind: n},
            "days": [d for d in WEEK if d in self.days],
            "settlement": self.settlement,
            "min_pay": None if self.min_pay is None else {"amount": self.min_pay[0], "unit": self.min_pay[1]},
        }

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Wants:
        reach = d.get("reach") or {}
        kind = "minutes" if reach.get("minutes") is not None else "km"  # central sends both keys
        pay = d.get("min_pay")
        return cls(
            categories=frozenset(str(c) for c in d.get("categories") or ()),
            reach=(kind, int(reach.get(kind, DEFAULT_REACH[1]))),
            days=frozenset(x for x in d.get("days") or () if x in WEEK),
            settlement=str(d.get("settlement") or "any"),
            min_pay=(int(pay["amount"]), str(pay["unit"])) if isinstance(pay, dict) else None,
        )

    # --- in plain words -----------------------------------------------------------------------
    def lines(self, lang: str) -> list[tuple[str, str]]:
        """(label msgid, value in lang): what the done screen, the slip and the voice say."""
        cats = ([category_text(c, lang) for c in sorted(self.categories)] if self.categories
                else [tr(N_("Any kind of work"), lang)])
        return [
            (N_("Work"), _listed(cats, lang)),
            (N_("How far"), reach_text(self.reach, lang)),
            (N_("Which days"), days_text(self.days, lang)),
            (N_("How you are paid"), tr(SETTLEMENT_TEXT[self.settlement], lang)),
            (N_("Lowest pay"), min_pay_text(self.min_pay, lang)),
        ]

    # --- matching on the local cache ---------------------------------------------------------
    def job_filter(self, base: JobFilter) -> JobFilter:
        """The list's filter narrowed to these wants (the seeker's age filter is kept)."""
        settlements = frozenset() if self.settlement == "any" else frozenset({Settlement(self.settlement)})
        return replace(base, categories=self.categories, settlements=settlements, pay_units=frozenset(),
                       start_from=None, start_to=None, radius_km=min(base.radius_km, self.radius_km()))

    def radius_km(self) -> float:
        kind, n = self.reach
        if kind == "km":
            return float(n)
        return walk_km(n)  # the straight line of a 15-minute walk (~0.865 km)

    def admits(self, job: Any, today: dt.date, distance_km: float | None = None,
               end_date: dt.date | None = None) -> bool:
        """What the JobFilter cannot say, by central.matching's rules: the lowest pay (same
        unit only: 150 a day says nothing about 20 an hour), the days (one of the job's
        remaining working days, max(start, today)..end_date, falls on a wanted weekday; without
        `end_date` only the first of them is known) and the walk (whole minutes)."""
        if self.min_pay is not None:
            amount, unit = self.min_pay
            if str(job.pay_unit) != unit or job.pay_amount < amount:
                return False
        if self.days and not remaining_weekdays(job.start_date, end_date, today) & self.days:
            return False
        if self.reach[0] == "minutes" and distance_km is not None:
            return walk_minutes(distance_km) <= self.reach[1]
        return True


def remaining_weekdays(start: dt.date, end: dt.date | None, today: dt.date) -> frozenset[str]:
    """The weekdays of a job's remaining working days (end None: the first one only)."""
    first = max(start, today)
    last = first if end is None else end
    if last < first:
        return frozenset()
    if (last - first).days >= 6:
        return frozenset(WEEK)
    return frozenset(WEEK[(first + dt.timedelta(days=i)).weekday()] for i in range((last - first).days + 1))


def _listed(items: list[str], lang: str) -> str:
    return joined(items, lang, N_("{first}, {second}"))


def labelled(label: str, value: str, lang: str) -> str:
    """"Label: value" with the language's own colon."""
    return tr(N_("{label}: {value}"), lang).format(label=tr(label, lang), value=value)


def reach_text(reach: tuple[str, int], lang: str) -> str:
    kind, n = reach
    if kind == "minutes":
        return tr(N_("Within a {n}-minute walk"), lang).format(n=n)
    return tr(N_("Within {n} km"), lang).format(n=n)


def days_text(days: frozenset[str], lang: str) -> str:
    if not days:
        return tr(N_("Any day"), lang)
    if days == WEEKDAYS:
        return tr(N_("Weekdays"), lang)
    if days == WEEKEND:
        return tr(N_("Weekend"), lang)
    return _listed([tr(DAY_TEXT[d], lang) for d in WEEK if d in days], lang)


def min_pay_text(pay: tuple[int, str] | None, lang: str) -> str:
    if pay is None:
        return tr(N_("No minimum"), lang)
    amount, unit = pay
    return tr(PAY_UNIT_TEXT[unit], lang).format(amount=amount)


@dataclass(frozen=True, slots=True)
class Standing:
    """A registration as central returned it (/v1/registrations/mine), or as this visit
    committed it to the outbox (server_id "" until central has it). No personal data."""

    server_id: str
    reference: str
    status: str  # open | ended | expired (central), or "pending" (still in this kiosk's outbox)
    wants: Wants
    sms: bool
    created: dt.date | None
    expires: dt.date | None

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> Standing:
        return cls(str(row["id"]), str(row.get("reference") or ""), str(row.get("status") or ""),
                   Wants.from_api(row.get("wants") or {}), bool(row.get("sms")),
                   _date(row.get("created_at")), _date(row.get("expires_at")))

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "pending")

    def expires_text(self, lang: str) -> str:
        return short_date(self.expires, lang) if self.expires else ""


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when.astimezone() if when.tzinfo else when).date()


@dataclass
class State:
    """The standing registration's part of one visit (reset with the visit)."""

    draft: Wants = field(default_factory=Wants)
    days: int = DEFAULT_DAYS  # the consent's expiry chip
    sms: bool = False  # opt-in: off until the seeker taps it
    consent_at: dt.datetime | None = None
    renewing: bool = False  # the draft came from the open registration (renew or change)
    done: Standing | None = None  # what this visit committed (the done screen, the slip)
    mine: list[Standing] = field(default_factory=list)  # central's answer
    mine_state: str = ""  # "" | loading | ready | offline | error
    mine_message: str = ""
    confirm_end: bool = False
    token: int = 0

    @property
    def open(self) -> Standing | None:
        """The person's open registration, if known (committed now, or from central)."""
        if self.done is not None and self.done.is_open:
            return self.done
        return next((r for r in self.mine if r.is_open), None)


# --- the journey (called by the visit's thin intents) -------------------------------------------

def begin(v: Visit) -> Step:
    """The home button "Register for work": with a card only. A known open registration is
    shown (see, renew, change, end); otherwise a new one starts with the wants."""
    if v.outbox is None:
        return v._step(notice=NOT_HERE)
    if not v.session.identified:
        return v._step(notice=NEED_CARD)
    s = v.standing
    if s.open is not None:
        return v.go(MINE)
    if s.mine_state != "ready":
        # Not known yet: look it up on the "mine" screen first (it offers "register" if none);
        # a look-up already under way (started at card-laid) is waited for, not asked again.
        if s.mine_state != "loading":
            start_lookup(v)
        return v.go(MINE)
    s.draft, s.renewing, s.days, s.sms = Wants(), False, DEFAULT_DAYS, False
    return v.go(WANTS)


def new_registration(v: Visit) -> Step:
    """"Register for work" on the mine screen when there is none open."""
    s = v.standing
    s.draft, s.renewing, s.days, s.sms = Wants(), False, DEFAULT_DAYS, False
    return v.go(WANTS)


def toggle(v: Visit, group: str, value: Any) -> Step:
    v.activity()
    v.standing.draft = v.standing.draft.toggled(group, value)
    return v._step()


def to_consent(v: Visit) -> Step:
    return v.go(CONSENT)


def set_days(v: Visit, days: int) -> Step:
    if days not in CONSENT_DAYS:
        raise ValueError(f"unknown expiry {days!r}")
    v.activity()
    v.standing.days = days
    return v._step()


def toggle_sms(v: Visit) -> Step:
    v.activity()
    v.standing.sms = not v.standing.sms
    return v._step()


def agree(v: Visit) -> Step:
    """"I agree": the consent's time starts the expiry; nothing leaves before this."""
    v.standing.consent_at = v.clock.now().astimezone()
    return v.go(PHONE)


def submit_phone(v: Visit, digits: str) -> Step:
    """Validate the number, commit the registration to the outbox, then say it was received."""
    from kiosk import phone
    from kiosk.visit.core import phone_error

    try:
        phone.validate(digits)
    except phone.InvalidPhone as exc:
        return v._step(error=phone_error(exc))
    s, card = v.standing, v.session.identity
    if card is None or s.consent_at is None or v.outbox is None:
        return v.back()
    v.session.phone = digits
    entry = v.outbox.submit_standing(
        station_id=v.settings.station.id, lang=v.lang,
        seeker={"card_type": str(card.card_type.value), "id_number": card.id_number, "name": card.display_name,
                "phone": digits, "birth_date": card.birth_date.isoformat()},
        wants=s.draft.to_api(),
        consent={"version": CONSENT_VERSION, "at": s.consent_at.isoformat(), "days": s.days, "sms": s.sms},
    )
    renewed = s.open is not None
    s.done = Standing("", entry.reference, "pending", s.draft, s.sms, s.consent_at.date(),
                      (s.consent_at + dt.timedelta(days=s.days)).date())
    s.consent_at = None
    v._event(RENEWED if renewed else REGISTERED)
    if v.sync is not None:
        v.sync.wake()
    while v.history and v.history[-1] in (*STEPS, MINE, DONE):
        v.history.pop()  # back from the done screen goes home, not to the keypad
    return v.go(DONE, remember=False)


def renew(v: Visit) -> Step:
    """Renew (the card is on the reader): the same wants, a new consent with its expiry."""
    s = v.standing
    cur = s.open
    if cur is None:
        return v._step()
    s.draft, s.renewing, s.sms, s.days = cur.wants, True, cur.sms, DEFAULT_DAYS
    return v.go(CONSENT)


def change(v: Visit) -> Step:
    s = v.standing
    cur = s.open
    if cur is None:
        return v._step()
    s.draft, s.renewing, s.sms, s.days = cur.wants, True, cur.sms, DEFAULT_DAYS
    return v.go(WANTS)


def ask_end(v: Visit) -> Step:
    v.activity()
    v.standing.confirm_end = v.standing.open is not None
    return v._step()


def keep(v: Visit) -> Step:
    v.standing.confirm_end = False
    return v._step()


def end(v: Visit) -> Step:
    """"Yes, end it": through the outbox (central erases the personal data when it arrives);
    a registration still waiting in this kiosk's outbox is deleted here and never sent."""
    v.activity()
    s, card = v.standing, v.session.identity
    cur = s.open
    if not s.confirm_end or cur is None or card is None or v.outbox is None:
        return v._step()
    s.confirm_end = False
    server_id = cur.server_id or v.outbox.standing_server_id(cur.reference)
    if not server_id and v.outbox.cancel_standing(cur.reference):
        notice = ENDED_LOCAL  # (if it was on the wire just now, the flush sends its ending)
    else:
        server_id = server_id or v.outbox.standing_server_id(cur.reference)
        if server_id:  # else central refused it: there is nothing to end there
            v.outbox.end_standing(reg_id=server_id, station_id=v.settings.station.id, id_number=card.id_number)
        online = v.sync is not None and v.sync.online
        if v.sync is not None:
            v.sync.wake()
        notice = ENDED_NOTICE if online else ENDED_QUEUED
    s.mine = [replace(r, status="ended") if r.is_open else r for r in s.mine]
    if s.done is not None:
        s.done = replace(s.done, status="ended")
    v._event(ENDED)
    if v.screen != MINE:
        v.go(MINE)
    return v._step(notice=notice)


# --- the look-up at central (off the UI thread) ---------------------------------------------------

def start_lookup(v: Visit) -> None:
    """Mark the look-up as wanted; the caller runs `fetch` off the UI thread, then `arrived`."""
    s = v.standing
    s.mine_state, s.mine_message, s.confirm_end = "loading", "", False
    s.token += 1


def fetch(v: Visit) -> tuple[int, list[Standing] | BaseException]:
    """Ask central (may take seconds; safe on a worker thread)."""
    from kiosk.api import ApiOffline

    s, card, api = v.standing, v.session.identity, v._registrations_api()
    token = s.token
    if card is None:
        return token, []
    method = getattr(api, "standing_registrations", None)
    if method is None:
        return token, ApiOffline("no central API")
    try:
        rows = method(card.id_number, station_id=v.settings.station.id)
        return token, [Standing.from_api(r) for r in rows]
    except Exception as exc:  # shown as offline/error; the type only is logged
        log.info("standing registration: look-up failed (%s)", type(exc).__name__)
        return token, exc


def arrived(v: Visit, token: int, result: list[Standing] | BaseException) -> Step:
    s = v.standing
    if token != s.token or not v.session.identified:
        return v._step()  # the visit has moved on
    from kiosk.api import ApiOffline, ApiUnauthorised

    if isinstance(result, BaseException):
        offline = isinstance(result, ApiOffline)
        s.mine_state = "offline" if offline else "error"
        s.mine_message = (OFFLINE if offline else result.msgid if isinstance(result, ApiUnauthorised)
                          else UNAVAILABLE)
        return v._step()
    ending = v.outbox.standing_end_status if v.outbox is not None else (lambda _i: "unknown")
    s.mine = [replace(r, status="ended") if ending(r.server_id) in ("pending", "ended") else r for r in result]
    s.mine_state = "ready"
    cur = s.open
    if v.screen == "jobs" and cur is not None:
        v.refresh_rows()  # the matching jobs move to the top
    if (cur is not None and cur.expires is not None and v.screen in ("jobs", "home")
            and (cur.expires - v.today()).days <= ENDS_SOON_DAYS):
        return v._step(notice=ENDS_SOON)
    return v._step()


# --- jobs that match the registration first ---------------------------------------------------

def matches_first(v: Visit, hits: list[Any], today: dt.date, limit: int = 50) -> tuple[list[Any], set[str]]:
    """The list's hits with the jobs that fit the open registration first, and their ids.
    With no chip chosen, the fitting jobs are searched for on their own (they may be outside
    the page shown); with chips, the list's own jobs are only reordered (a chip means "only
    these"). Without an open registration: the hits as they were."""
    cur = v.standing.open
    if cur is None:
        return hits, set()
    f, wants = v.job_filter, cur.wants
    card = v.session.identity
    if card is not None:  # central checks the age from the card's birth date too
        f = replace(f, seeker_age=card.age_on(today))

    def end_of(h: Any) -> dt.date | None:  # list rows carry no end date: read it when days matter
        job = v.store.get_job(h.job.id) if wants.days else None
        return job.end_date if job is not None else None

    if f.categories or f.pay_units or f.settlements or f.start_from or f.start_to:
        candidates = [h for h in hits if _fits(wants, h)]
    else:
        candidates = v._search(wants.job_filter(f), today).hits
    fit = [h for h in candidates if wants.admits(h.job, today, h.distance_km, end_of(h))][:limit]
    ids = {h.job.id for h in fit}
    return fit + [h for h in hits if h.job.id not in ids], ids


def _fits(wants: Wants, hit: Any) -> bool:
    """The JobFilter's part of the wants, on a row of the list (admits does the rest)."""
    job = hit.job
    if wants.categories and job.category not in wants.categories:
        return False
    if wants.settlement != "any" and str(job.settlement) != wants.settlement:
        return False
    return hit.distance_km <= wants.radius_km()


# --- the slip --------------------------------------------------------------------------------------

def slip(v: Visit) -> Receipt:
    """What was registered, in plain words, with the reference and how to stop; masked."""
    from kiosk.privacy import mask_id_number, mask_name
    from kiosk.receipts import Align, Feed, Receipt, Rule, Text, _footer, _row

    s, card, lang = v.standing, v.session.identity, v.lang
    assert s.done is not None and card is not None
    done = s.done
    blocks: list[Any] = [
        Text(v.station().display_name(lang), align=Align.CENTER),
        Text(tr(N_("Work registration"), lang), size=2, bold=True, align=Align.CENTER),
        Rule("="),
        _row(N_("Name"), mask_name(card.name), lang),
        _row(N_("ID number"), mask_id_number(card.id_number), lang),
    ]
    if v.session.phone:
        from kiosk.phone import mask

        blocks.append(_row(N_("Mobile number"), mask(v.session.phone), lang))
    blocks += [_row(label, value, lang) for label, value in done.wants.lines(lang)]
    blocks += [
        _row(N_("Valid until"), done.expires_text(lang), lang, bold=True),
        _row(N_("Text messages"), tr(N_("Yes") if done.sms else N_("No"), lang), lang),
        _row(N_("Reference number"), done.reference, lang, bold=True),
        Text(tr(N_("Station staff will call you when a job fits."), lang), bold=True),
        Text(tr(STOP_HOW, lang).format(phone=v.help_number)),
        Feed(),
        *_footer(v.station(), v.clock.now(),
                 N_("Personal data is printed masked; this kiosk does not keep your ID card data."), lang,
                 v.receipt_footer),
    ]
    return Receipt("standing", tuple(blocks), done.reference)


def spoken(v: Visit) -> str:
    """The done screen read aloud: received, what was asked for, until when, how to stop."""
    s, lang = v.standing, v.lang
    done = s.done
    if done is None:
        return ""
    parts = [tr(N_("Your work registration has been received"), lang)]
    parts += [labelled(label, value, lang) for label, value in done.wants.lines(lang)]
    parts.append(tr(N_("Valid until {date}"), lang).format(date=done.expires_text(lang)))
    parts.append(tr(STOP_HOW, lang).format(phone=v.help_number))
    return joined(parts, lang)
