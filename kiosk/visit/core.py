"""One seeker's visit as a plain object: the rules of the journey, without a window.

The UI turns touches, cards and scans into intents (`start`, `card_laid`, `code_scanned`,
`choose_job`, `print_slip`, `consent`, `submit_phone`, `pin_entered`, `tick`…). Each intent
changes the visit's state and returns a `Step`: the screen to show, and the msgid of a notice
or of an inline error. Screens draw from that state; nothing here knows about Kivy.

Personal data stays in the `Session` (memory only) and leaves through the outbox only after
consent. The statistics callback receives event names only (`EVENTS`), never a person's data.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kiosk import opening_hours
from kiosk.filters import JobFilter
from kiosk.formatting import distance_text, followup_sentence, short_date, start_text, walk_text
from kiosk.geo import haversine_km
from kiosk.i18n import N_, tr
from kiosk.models import Job, Policy, Settlement, Station
from kiosk.pin import PinGuard, is_old_format
from kiosk.session import Session
from kiosk.visit import registrations as regs
from kiosk.visit import reports, standing
from kiosk.visit.ports import (
    Clock,
    DeviceReport,
    EventSink,
    JobStore,
    Outbox,
    Printer,
    Registrations,
    Search,
    Sync,
    SystemClock,
)
from kiosk.worker import Signal

if TYPE_CHECKING:
    from collections.abc import Callable

    from kiosk.receipts import Receipt
    from kiosk.settings import Settings

log = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"  # the wording on the consent screen; sent with each application
MAINTENANCE_BY_PIN_S = 15 * 60
# The screens a visit moves between (screens/<name>.py draws each).
ATTRACT, HOME, JOBS, JOB_DETAIL, PRINTING, JOB_QR = "attract", "home", "jobs", "job_detail", "printing", "job_qr"
POLICIES, POLICY, MAINTENANCE, MAINTENANCE_PIN = "policies", "policy", "maintenance", "maintenance_pin"
APPLY_CONSENT, APPLY_PHONE, APPLY_DONE = "apply_consent", "apply_phone", "apply_done"
MY_REGISTRATIONS = "my_registrations"
JOBS_MAP = "jobs_map"  # the job list as a map: rings of 5 / 10 / 15 minutes' walk (issue 16)
REGISTER_WANTS, REGISTER_CONSENT, REGISTER_PHONE, REGISTER_DONE, REGISTER_MINE = (
    standing.WANTS, standing.CONSENT, standing.PHONE, standing.DONE, standing.MINE)
# Statistics events (names only): what the operations reports count.
EVENTS = ("visit_started", "visit_ended", "card_read", "card_problem", "code_scanned", "job_viewed",
          "slip_printed", "print_problem", "registration", "maintenance_opened", "pin_refused",
          "card_read_resident", "card_read_hkmt_permit", "card_read_foreign_2017", "card_read_foreign_2023",
          "phone_saved", "policy_viewed", "withdrawal", "english_on", "large_text_on", "read_aloud",
          "job_reported", standing.REGISTERED, standing.RENEWED, standing.ENDED)
PRINT_START_S = 8.0  # a print not started by then: say why and show the QR, never a spinner
ALREADY_REGISTERED = N_("You have already registered for this job; here is your registration.")
TAKE_CARD = N_("Please take your ID card")  # the attract screen shows and says it while a card is left
NOTICE_S = 20.0  # a notice stays this long at most, and only on the screen that raised it
WARN_S = 15.0  # the idle countdown with its big "continue" shows for the last WARN_S seconds
ROWS_MEMO = 8  # searches whose rows are kept (each ~170 small dicts)
ELDERLY_AGE = 60  # a card at this age or older offers (or turns on) large text and voice
HOTLINE = "12333"  # the HR & social security hotline: the help number when the county set none
CODE_UNKNOWN = N_("Code not recognised. Please scan the QR code on a job poster, or tap Find work nearby.")
ORDER = N_("Day-paid jobs and jobs that start today come first, then the nearest.")


@dataclass(frozen=True, slots=True)
class Step:
    """What an intent asks of the UI, in plain values."""

    screen: str  # the screen to show now (may be the one on show)
    notice: str = ""  # msgid of a notice raised now, shown in both languages (and said)
    error: str = ""  # msgid of an inline error on a keypad screen (shown and said)


@dataclass(frozen=True, slots=True)
class PrintWaiting:
    """A print that has not started (queued behind a stopped job, or a stopped printer): shaped
    like devices.printer.PrintProblem, which is what the printing screen reads."""

    msgids: tuple[str, ...]
    qr_data: str | None
    kind: str = "not_started"


PRINT_NOT_STARTED = N_("The printer has not started your slip.")
PRINT_SCAN_INSTEAD = N_("Scan the QR code on the screen with your phone instead.")


PHONE_TOO_SHORT = N_("A mobile number has 11 digits. Please type the rest of your number.")
PHONE_BAD_START = N_("A mobile number starts with 13 to 19. Please check the first two digits.")
PHONE_NO_SUCH = N_("No phone company uses this number. Please check it and type it again.")


def phone_error(exc: Exception) -> str:
    """What is wrong with a typed number, and what to do: the msgid for kiosk.phone's error."""
    from kiosk import phone

    if isinstance(exc, phone.InvalidLength):
        return PHONE_TOO_SHORT
    return PHONE_BAD_START if isinstance(exc, phone.InvalidFormat) else PHONE_NO_SUCH


@dataclass(frozen=True, slots=True)
class Application:
    """An application committed to the outbox, as its screen and receipt show it (masked)."""

    reference: str
    job: Job
    lines: tuple[tuple[str, str], ...]  # (label msgid, masked value)


class Visit:
    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        search: Search,
        *,
        session: Session | None = None,
        printer: Printer | None = None,
        outbox: Outbox | None = None,
        sync: Sync | None = None,
        clock: Clock | None = None,
        on_event: EventSink | None = None,
        device_report: DeviceReport | None = None,
        lang: str | None = None,
        elderly: bool | None = None,
        registrations: Registrations | None = None,
    ) -> None:
        self.settings, self.store, self._search = settings, store, search
        self.session = session or Session()
        self.printer, self.outbox, self.sync = printer, outbox, sync
        self._registrations = registrations  # None: the sync worker's API client, when there is one
        self.clock = clock or SystemClock()
        # statistics events (names, never personal data); counting must never break a visit
        self.events: Signal[[str]] = Signal("visit.events", on_event)
        self.device_report: DeviceReport = device_report or list
        ui = settings.ui
        # What the county's remote config may change (apply_config); until then, local settings.
        self.default_lang = lang or ui.language
        self.default_elderly = ui.elderly_mode if elderly is None else elderly
        self.idle_timeout_s: float = ui.idle_timeout_s
        self.radius_km: float = ui.search_radius_km
        self.banner = self.receipt_footer = self.opening_hours = self.public_job_url = ""
        self.pin_hash: str | None = None
        self.followup_hours, self.followup_phone = 24, ""  # the county's call-back promise
        self.can_apply = outbox is not None
        self.can_print = printer is not None
        self.can_policies = True
        self.voice = ui.voice
        self.help_phone = ""  # the county's help number for this station (remote config)
        self.complaint_phone = ""  # the county's 维权 hotline (remote config); "" = help_number
        self.elderly_by_age = False  # remote config: a card aged >= ELDERLY_AGE turns large text on
        self.pin_guard = PinGuard(clock=self.clock.monotonic)
        self.categories: list[str] = []
        self.maintenance_until = 0.0  # wall-clock unix time
        self.print_state = ""  # "", printing, done, sent (the printer cannot confirm), problem
        self.print_problem: Any = None  # devices.printer.PrintProblem while print_state is "problem"
        self.print_job_id = ""
        self.card_on_reader = False  # from card_laid/card_removed; outlives the visit it identified
        self.used_codes: Any = None  # kiosk.used_codes.UsedCodes, opened at the first scan
        from kiosk.printer_check import PrinterCheck

        # The printer self-check (which test-page QR printed readable), saved in data_dir.
        self.printer_check = PrinterCheck.in_dir(settings.storage.data_dir, settings.devices.printer.model)
        self._apply_printer_check()
        # The last few searches' rows, kept across visits: a visit nearly always opens the list
        # with no filter (or a card's age), and building 170 rows of text on the tap was most
        # of home -> jobs's frame (issue 17). See refresh_rows.
        self._rows_memo: OrderedDict[tuple[Any, ...], tuple[int, list[Any], list[dict[str, Any]]]] = OrderedDict()
        self._reset()

    def _reset(self) -> None:
        """Everything of one visit, back to how a new visit starts."""
        self.lang, self.elderly = self.default_lang, self.default_elderly
        self.screen = ATTRACT
        self.history: list[str] = []
        self.job_filter = JobFilter(radius_km=self.radius_km)
        self.rows: list[dict[str, Any]] = []
        self.hits: list[Any] = []  # the rows' search hits (kiosk.search.Hit), positions for the map
        self.job_count = 0
        self.map_rows: list[dict[str, Any]] = []  # the map's jobs: rows with lat, lng, km (refresh_map)
        self.map_inside = 0  # jobs within the outer ring, of which the map shows map_rows' inside ones
        self.map_group: tuple[str, ...] = ()  # the job ids of the map marker tapped, listed under the map
        self.job: Job | None = None
        self.distance_km = 0.0
        self.policy: Policy | None = None
        self.policies: list[Policy] = []
        self.application: Application | None = None
        self.application_state = ""  # sending | sent | queued | rejected
        self.registered: dict[str, Application] = {}  # job id -> this visit's application for it
        self.visit_print_jobs: list[str] = []  # cancelled when the visit ends
        self.print_state, self.print_problem, self.print_job_id = "", None, ""
        self.print_since = 0.0  # monotonic time the latest print was queued
        self.print_qr: str | None = None  # its QR, shown if it does not start
        self.my_regs: list[regs.Registration] = []  # My registrations, as central returned them
        self.my_regs_state = ""  # "" | loading | ready | offline | error
        self.my_regs_message = ""  # msgid for offline / error
        self.confirm_withdraw = ""  # the app id whose "yes, withdraw?" is on show
        self._lookup_token = getattr(self, "_lookup_token", 0) + 1  # a late answer of an old visit is dropped
        self.last_activity = self.clock.monotonic()
        self.notice, self.notice_screen, self.notice_since = "", "", 0.0  # see notice_on_show
        self.elderly_offer = False  # "large text and voice?" offered to an older seeker
        self.confirm_end = False  # "end and clear your details?" asked
        self.help_open = False  # the help number (and its QR) on show
        self.visit_ref = reports.new_visit_id()  # random: all a job report says about its sender
        self.report_open, self.report_reason = False, ""  # the "report this job" dialog
        self.reported_jobs: set[str] = set()
        self.standing = standing.State(token=getattr(getattr(self, "standing", None), "token", 0) + 1)

    # --- statistics -------------------------------------------------------------------------
    def _event(self, name: str) -> None:
        assert name in EVENTS, name
        self.events.emit(name)

    # --- navigation ---------------------------------------------------------------------------
    def _step(self, notice: str = "", error: str = "") -> Step:
        if notice:  # it belongs to the screen on show now, and leaves with it
            self.notice, self.notice_screen, self.notice_since = notice, self.screen, self.clock.monotonic()
        return Step(self.screen, notice, error)

    @property
    def notice_on_show(self) -> str:
        """The msgid of the notice to show now: the forgotten-card reminder while it applies,
        else the latest notice if it was raised on this screen and is not NOTICE_S old."""
        if self.take_card:
            return TAKE_CARD
        return self.notice if self.notice and self.notice_screen == self.screen else ""

    def go(self, name: str, remember: bool = True) -> Step:
        if self.screen == ATTRACT and name != ATTRACT:
            self._event("visit_started")
        if remember and self.screen not in (ATTRACT, name):
            self.history.append(self.screen)
        if name != self.screen:
            self.notice = ""  # an "unknown code" must not sit above the job the next code opened
        self.screen = name
        return self._step()

    def back(self) -> Step:
        return self.go(self.history.pop() if self.history else HOME, remember=False)

    def start(self) -> Step:
        """A touch on the attract screen."""
        self.history.clear()
        return self.go(HOME, remember=False)

    def end(self, reason: str = "done") -> Step:
        """Back to attract with everything personal forgotten (done, card removed, idle)."""
        log.info("session end: %s", reason)
        was_visit = self.screen != ATTRACT
        self.printer_check.cancel()  # a test page's codes count only in the maintenance that printed it
        if self.printer is not None and self.visit_print_jobs:
            # A slip or receipt still waiting (paper out) must not print for the next person.
            gone = self.printer.cancel(self.visit_print_jobs)
            if gone:
                log.info("session end: %d print job(s) cancelled", len(gone))
        self.session.clear()
        self._reset()
        if was_visit:
            self._event("visit_ended")
        return Step(self.screen, TAKE_CARD if self.take_card else "")  # shown while take_card holds

    @property
    def take_card(self) -> bool:
        """The visit has ended but its ID card is still on the reader: remind until it is taken."""
        return self.screen == ATTRACT and self.card_on_reader

    def ask_end(self) -> Step:
        """The Done button. A visit with something to lose (a card read, or past home) asks
        first: one stray tap must not wipe a half-done registration."""
        if self.screen == HOME and not self.session.identified:
            return self.end("done")
        self.confirm_end = True
        return self._step()

    def cancel_end(self) -> Step:
        self.confirm_end = False
        return self._step()

    def activity(self) -> None:
        """A touch or key: the idle countdown starts again."""
        self.last_activity = self.clock.monotonic()

    @property
    def idle_left(self) -> int | None:
        """Whole seconds before the idle reset while its countdown shows (the last WARN_S
        seconds, or the last half of a shorter timeout), else None."""
        if self.screen == ATTRACT:
            return None
        left = self.idle_timeout_s - (self.clock.monotonic() - self.last_activity)
        if left > min(WARN_S, self.idle_timeout_s / 2):
            return None
        return max(0, math.ceil(left))

    def keep_going(self) -> Step:
        """The countdown's big "continue": the visit goes on as it was."""
        self.activity()
        return self._step()

    def tick(self) -> Step | None:
        """Called every second: ends a visit left alone, or a maintenance access that ran out;
        a Step while the idle countdown runs or when a notice has had its time."""
        if self.screen == ATTRACT:
            return None
        if self.screen == MAINTENANCE and self.clock.now().timestamp() > self.maintenance_until:
            return self.end("maintenance access expired")
        if self.clock.monotonic() - self.last_activity >= self.idle_timeout_s:
            return self.end("idle")
        started = self._check_print_started()
        if started is not None:
            return started
        if self.notice and self.clock.monotonic() - self.notice_since >= NOTICE_S:
            self.notice = ""
            return self._step()
        return self._step() if self.idle_left is not None else None

    def _check_print_started(self) -> Step | None:
        """A second slip during paper-out waited behind the first with a spinner until the idle
        reset (issue 18): after PRINT_START_S, a print that has not started is a problem."""
        if self.print_state != "printing" or self.printer is None or not self.print_job_id:
            return None
        if self.clock.monotonic() - self.print_since < PRINT_START_S:
            return None
        started = getattr(self.printer, "started", None)  # absent: nothing can say it began
        if started is not None and started(self.print_job_id):
            return None
        msgids = (PRINT_NOT_STARTED, PRINT_SCAN_INSTEAD) if self.print_qr else (PRINT_NOT_STARTED,)
        self.print_state, self.print_problem = "problem", PrintWaiting(msgids, self.print_qr)
        self._event("print_problem")
        return self._step(notice=PRINT_NOT_STARTED if self.screen == PRINTING else "")

    # --- seeker's settings ------------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        if lang != self.lang:
            self.lang = lang
            if lang == "en" and self.screen != ATTRACT:
                self._event("english_on")
            if self.rows:
                self.refresh_rows()  # rows hold language-dependent text

    def toggle_language(self) -> None:
        self.set_language("en" if self.lang == "zh" else "zh")

    def toggle_elderly(self) -> None:
        self.set_elderly(not self.elderly)
        self.elderly_offer = False

    def accept_elderly_offer(self) -> Step:
        """One tap: large text, and each screen read aloud (large-text mode reads screens)."""
        self.set_elderly(True)
        self.elderly_offer = False
        return self._step()

    def decline_elderly_offer(self) -> Step:
        self.elderly_offer = False
        return self._step()

    # --- help ---------------------------------------------------------------------------------
    @property
    def help_number(self) -> str:
        """Who answers a seeker's call for help: the station's staff, else the hotline."""
        return self.help_phone or HOTLINE

    @property
    def help_qr(self) -> str:
        """A phone that scans this offers to call the number."""
        return "tel:" + "".join(c for c in self.help_number if c.isdigit())

    def ask_help(self) -> Step:
        self.help_open = True
        return self._step()

    def close_help(self) -> Step:
        self.help_open = False
        return self._step()

    @property
    def complaint_number(self) -> str:
        """Whom to call about a fee or unpaid wages: the county's hotline, else the help number."""
        return self.complaint_phone or self.help_number

    def set_elderly(self, on: bool) -> None:
        if on and not self.elderly and self.screen != ATTRACT:
            self._event("large_text_on")
        self.elderly = on

    def read_aloud_used(self) -> None:
        """The screen was read aloud to the seeker (counted once per visit)."""
        self._event("read_aloud")

    @property
    def greeting(self) -> str:
        """The identified seeker's masked name, or ""."""
        card = self.session.identity
        return card.masked_name if card is not None else ""

    # --- jobs ------------------------------------------------------------------------------
    def today(self) -> dt.date:
        return self.clock.now().date()

    def open_jobs(self) -> Step:
        if not self.categories:
            self.categories = self.store.categories()
        self.refresh_rows()
        return self.go(JOBS)

    def search(self, flt: JobFilter) -> None:
        """Show the jobs matching flt (a chip was tapped)."""
        self.job_filter = flt
        self.refresh_rows()

    def toggle_filter(self, attr: str, value: object) -> None:
        self.search(self.job_filter.with_toggled(attr, value))

    def toggle_age_filter(self) -> None:
        """All jobs, or only those whose age range admits the identified seeker."""
        card = self.session.identity
        age = None if self.job_filter.seeker_age is not None or card is None else card.age_on(self.today())
        self.search(replace(self.job_filter, seeker_age=age))

    def set_start_window(self, days: int | None) -> None:
        """Chip 'today' (0), 'tomorrow' (1), 'this week' (7); the same chip again, or None: any."""
        today = self.today()
        if days is None or self.start_window_days() == days:
            flt = replace(self.job_filter, start_from=None, start_to=None)
        elif days == 1:
            tomorrow = today + dt.timedelta(days=1)
            flt = replace(self.job_filter, start_from=tomorrow, start_to=tomorrow)
        else:
            flt = replace(self.job_filter, start_from=None, start_to=today + dt.timedelta(days=days))
        self.search(flt)

    def start_window_days(self) -> int | None:
        f, today = self.job_filter, self.today()
        if f.start_to is None:
            return None
        return ((f.start_from or f.start_to) - today).days

    def toggle_walk_filter(self) -> None:
        """The "within 15 minutes' walk" chip: on, or off again."""
        from kiosk.travel import WITHIN_MINUTES

        on = self.job_filter.within_walk_minutes is None
        self.search(replace(self.job_filter, within_walk_minutes=WITHIN_MINUTES if on else None))

    def _row(self, h: Any, today: dt.date, lang: str) -> dict[str, Any]:
        return {
            "job_id": h.job.id,
            "title": h.job.title_text(lang),
            "employer": h.job.employer,
            "pay": h.job.pay_text(lang),
            "settlement": h.job.settlement_text(lang),
            "daily": h.job.settlement == Settlement.DAILY,
            "distance": distance_text(h.distance_km, lang),
            "walk": walk_text(h.distance_km, lang),
            "start": start_text(h.job.start_date, today, lang),
        }

    def refresh_rows(self) -> None:
        """Search again and build the list's rows in the visit's language. The same filter,
        language and day on unchanged jobs (the store's jobs_generation) give the same rows:
        those of the last search are reused, in a new list (the screen starts from the top)."""
        if self.standing.open is not None:  # this seeker's registration orders the rows: never kept
            self._build_rows()
            return
        key = self._rows_key()
        hit = self._rows_memo.get(key)
        if hit is not None:
            self._rows_memo.move_to_end(key)
            self.job_count, self.hits, self.rows = hit[0], hit[1], list(hit[2])
            if self.screen == JOBS_MAP:
                self.refresh_map()
            return
        self._build_rows()
        self._rows_memo[key] = (self.job_count, self.hits, self.rows)
        while len(self._rows_memo) > ROWS_MEMO:
            self._rows_memo.popitem(last=False)  # also drops rows of jobs replaced since

    def prepare_rows(self) -> None:
        """Build the rows the next open_jobs will show, ahead of the tap (the UI calls this
        while a screen is only being read: attract after a visit, home)."""
        keep = self.rows, self.job_count, self.hits
        self.refresh_rows()
        self.rows, self.job_count, self.hits = keep

    def _rows_key(self) -> tuple[Any, ...]:
        return self.job_filter, self.today(), self.lang, getattr(self.store, "jobs_generation", None)

    def _build_rows(self) -> None:
        today, lang = self.today(), self.lang
        result = self._search(self.job_filter, today)
        self.job_count = result.total
        hits, matching = standing.matches_first(self, result.hits, today)  # the registration's jobs first
        self.hits = hits
        self.rows = [self._row(h, today, lang) | {"match": h.job.id in matching} for h in hits]
        if self.screen == JOBS_MAP:
            self.refresh_map()

    # --- the map view (kiosk.mapview draws it) -------------------------------------------------
    def open_map(self) -> Step:
        """The list's "Map" switch: the same jobs and filters, around the station."""
        self.map_group = ()
        self.go(JOBS_MAP, remember=False)  # a switch, not a step: Back leaves the jobs altogether
        self.refresh_map()
        return self._step()

    def open_list(self) -> Step:
        """The map's "List" switch."""
        self.map_group = ()
        return self.go(JOBS, remember=False)

    def refresh_map(self) -> None:
        """Every job within the outer ring (the nearest first, as many as one search gives),
        and the list's jobs beyond it, which the map draws on its edge."""
        from kiosk.travel import WITHIN_MINUTES, walk_km

        today, lang = self.today(), self.lang
        inner = self._search(replace(self.job_filter, within_walk_minutes=WITHIN_MINUTES), today)
        outer_km = walk_km(WITHIN_MINUTES)
        seen = {h.job.id for h in inner.hits}
        hits = inner.hits + [h for h in self.hits if h.distance_km > outer_km and h.job.id not in seen]
        self.map_inside = inner.total
        self.map_rows = [self._row(h, today, lang) | {"lat": h.lat, "lng": h.lng, "km": h.distance_km} for h in hits]
        shown = {r["job_id"] for r in self.map_rows}
        self.map_group = tuple(j for j in self.map_group if j in shown)

    @property
    def map_farther(self) -> int:
        """Jobs within the search radius but beyond the map's outer ring."""
        return max(0, self.job_count - self.map_inside) if self.job_filter.within_walk_minutes is None else 0

    def map_pick(self, job_ids: tuple[str, ...] | list[str]) -> Step:
        """A marker on the map was tapped: one job opens (as a list row does); several close
        together are listed under the map, to choose from."""
        self.activity()
        if len(job_ids) == 1:
            return self.choose_job(job_ids[0])
        self.map_group = tuple(job_ids)
        return self._step()

    def map_unpick(self) -> Step:
        self.map_group = ()
        return self._step()

    def data_changed(self) -> None:
        """The cache changed under the visit (background fill or sync)."""
        self.categories = self.store.categories()
        if self.screen in (JOBS, JOBS_MAP):
            self.refresh_rows()

    def choose_job(self, job_id: str) -> Step:
        job = self.store.get_job(job_id)
        if job is None:
            return self._step(notice=N_("This job is no longer available. Please choose another job."))
        st = self.settings.station
        self.distance_km = haversine_km(st.lat, st.lng, job.lat, job.lng)
        self.job = job
        self.session.viewed_job_ids.append(job.id)
        self._event("job_viewed")
        return self.go(JOB_DETAIL)

    def phone_code(self, job: Job) -> str:
        """What the job's QR holds, on screen and on the slip: the county's public job page,
        or a readable summary in the visit's language that this kiosk can read back."""
        from kiosk.jobcode import payload

        return payload(job, self.lang, self.public_job_url or self.settings.api.job_url)

    def show_qr(self) -> Step:
        self._event("phone_saved")
        return self.go(JOB_QR)

    # --- printing ---------------------------------------------------------------------------
    def station(self) -> Station:
        st = self.settings.station
        return Station(id=st.id, name=st.name, lat=st.lat, lng=st.lng, name_en=st.name_en, county=st.county)

    def _print(self, receipt: Receipt) -> Step:
        """The one way to paper: queue, then the printing screen follows the job."""
        assert self.printer is not None
        self.print_state, self.print_problem = "printing", None
        self.print_job_id = self.printer.submit(receipt)
        self.print_since = self.clock.monotonic()
        self.print_qr = receipt.qr_data
        self.visit_print_jobs.append(self.print_job_id)
        return self.go(PRINTING)

    @property
    def qr_first(self) -> bool:
        """The printer says it has no paper: the job's QR code is offered first (issue 18)."""
        st = getattr(self.printer, "printer_status", None)  # PrintService's last status answer
        return bool(self.can_print and st is not None and st.known and st.paper_end)

    def print_slip(self) -> Step:
        job = self.job
        if job is None:
            return self._step()
        if self.printer is None or not self.can_print:
            self.go(JOB_QR)
            return self._step(notice=N_("Printing is off here; scan the code instead."))
        from kiosk.receipts import job_slip

        return self._print(job_slip(job, self.station(), printed_at=self.clock.now(), qr_data=self.phone_code(job),
                                    footer=self.receipt_footer, lang=self.lang,
                                    complaint_phone=self.complaint_number))

    def print_application_receipt(self) -> Step:
        card, app = self.session.identity, self.application
        if self.printer is None or card is None or app is None:
            return self._step(notice=N_("Printing is off here."))
        from kiosk.receipts import application_receipt

        return self._print(application_receipt(
            name=card.name, id_number=card.id_number, phone=self.session.phone, job=app.job,
            station=self.station(), reference=app.reference, queued=self.application_state != "sent",
            printed_at=self.clock.now(), footer=self.receipt_footer, qr_data=self.phone_code(app.job), lang=self.lang,
            followup=followup_sentence(self.followup_hours, self.followup_phone, self.lang),
            complaint_phone=self.complaint_number,
        ))

    def print_test_page(self, software: str = "") -> Step:
        if self.printer is None:
            return self._step(notice=N_("No printer is configured on this station."))
        build = self._test_page(software)
        submit_built = getattr(self.printer, "submit_built", None)  # asks the printer GS I first
        if submit_built is None:
            return self._print(build(None))
        self.print_state, self.print_problem = "printing", None
        self.print_job_id = submit_built(build)
        self.print_since, self.print_qr = self.clock.monotonic(), None
        return self.go(PRINTING)

    def remote_test_print(self, software: str = "") -> str:
        """The maintenance test page for a remote command: queued without leaving the attract
        screen (the caller waits for it); returns the print job id."""
        assert self.printer is not None
        build = self._test_page(software)
        submit_built = getattr(self.printer, "submit_built", None)
        return submit_built(build) if submit_built is not None else self.printer.submit(build(None))

    def _test_page(self, software: str) -> Callable[[dict[str, str] | None], Receipt]:
        from kiosk.receipts import maintenance_test_page

        status = {name: f"{state} {detail}".strip() for name, state, detail in self.device_report()}
        options = getattr(self.printer, "options", None)  # the model's columns and dots
        paper = {"paper": options.paper} if options is not None else {}
        nonce = self.printer_check.begin()  # its codes A and B: the camera self-check

        def build(printer_info: dict[str, str] | None) -> Receipt:
            return maintenance_test_page(self.station(), printed_at=self.clock.now(), device_status=status,
                                         software=software, check_nonce=nonce, printer_info=printer_info, **paper)

        return build

    # --- printer self-check ------------------------------------------------------------------
    def _apply_printer_check(self) -> None:
        from kiosk.printer_check import qr_for

        use = getattr(self.printer, "use_qr_check", None)  # the print service; absent in tests' fakes
        if use is not None:
            chk = self.printer_check
            native = qr_for(self.settings.devices.printer, chk.result) == "native"
            use(chk.result, native, chk.record.printer_info)

    def printer_test_code(self, mark: str, nonce: str) -> Step:
        """A code of the test page was read by the kiosk's own camera: record it while the
        check is pending in maintenance, and print QR codes as it proved."""
        now = self.clock.now().timestamp()
        if now > self.maintenance_until:
            self.printer_check.cancel()
        info = getattr(self.printer, "printer_info", None)
        result = self.printer_check.seen(mark, nonce, info, now=now)
        if result is None:
            return self._step(notice=N_("A printer test code: print a new test page in maintenance first."))
        log.info("printer check: code %s read, QR mode %s", mark, result)
        self._apply_printer_check()
        if self.screen != MAINTENANCE and MAINTENANCE in self.history:
            while self.history and self.history[-1] != MAINTENANCE:
                self.history.pop()
            self.back()
        if mark == "A":
            return self._step(notice=N_("Code A read: this printer prints its own QR codes. QR is now native."))
        if result == "native":
            return self._step(notice=N_("Code B read as well. QR stays native."))
        return self._step(notice=N_("Code B read: image QR works. Now show code A; if it will not scan, image QR stays."))

    def device_rows(self) -> list[tuple[str, str]]:
        """(device, state and detail) in the visit's language, for the maintenance screen."""
        from kiosk.device_words import device_row

        return [device_row(name, state, detail, self.lang) for name, state, detail in self.device_report()]

    def station_rows(self) -> list[tuple[str, str]]:
        """Network, last sync, registrations waiting to be sent and cached jobs, in the
        visit's language: what a maintainer checks after "the kiosk is offline"."""
        from kiosk.device_words import FAULT_MARK, MARKS

        lang, rows = self.lang, []
        if self.sync is None:
            rows.append((tr(N_("Network"), lang), tr(N_("No central server configured"), lang)))
        else:
            online = bool(getattr(self.sync, "online", False))
            state = N_("Online") if online else N_("Offline")
            rows.append((tr(N_("Network"), lang), f"{MARKS['ok'] if online else FAULT_MARK} {tr(state, lang)}"))
            last = getattr(self.sync, "last_success_at", None)
            when = tr(N_("Never"), lang)
            if last:
                at = dt.datetime.fromtimestamp(last)
                when = f"{short_date(at.date(), lang)} {at:%H:%M}"
            rows.append((tr(N_("Last sync"), lang), when))
        if self.outbox is not None:
            waiting = self.outbox.pending()
            rows.append((tr(N_("Registrations waiting to be sent"), lang),
                         f"{MARKS['ok'] if waiting == 0 else MARKS['warning']} {waiting}"))
        rows.append((tr(N_("Jobs in the cache"), lang), str(self.store.count_jobs())))
        return rows

    def printer_check_rows(self) -> list[tuple[str, str, str]]:
        """(label msgid, value msgid, plain text after it) of the self-check, for the
        maintenance screen."""
        from kiosk.printer_check import qr_for

        chk, cfg = self.printer_check, self.settings.devices.printer
        result = {"native": N_("Native QR (code A read)"), "image": N_("Image QR (only code B read)"),
                  "unchecked": N_("Not checked yet")}[chk.result]
        rows = [(N_("QR self-check"), result, "")]
        if chk.pending:
            rnd = chk.round
            seen = {(False, False): N_("Hold the test page to the camera: code A, then code B"),
                    (False, True): N_("Code B read; code A not yet"),
                    (True, False): N_("Code A read; code B not yet"),
                    (True, True): N_("Codes A and B read")}[(bool(rnd and rnd.native_read),
                                                             bool(rnd and rnd.image_read))]
            rows.append((N_("Test page"), seen, ""))
        qr = qr_for(cfg, chk.result)
        in_use = N_("Native") if qr == "native" else N_("Image")
        rows.append((N_("QR printed as"), in_use, "(config)" if cfg.qr else ""))
        info = getattr(self.printer, "printer_info", None)
        if info is None:
            info = chk.record.printer_info or None
        if info is not None:
            rows.append((N_("Printer says (GS I)"), "" if info else N_("No answer"), " / ".join(info.values())))
        return rows

    def print_done(self, job_id: str, confirmed: bool = True) -> bool:
        """The printer finished job_id; True if it is this visit's latest (the screen says so).
        Unconfirmed (a silent or write-only printer): "sent", and the screen keeps the QR."""
        if job_id != self.print_job_id:
            return False  # an older slip that printed after a refill: nothing to tell
        self.print_state = "done" if confirmed else "sent"
        self._event("slip_printed")
        return True

    def print_failed(self, job_id: str, problem: Any) -> bool:
        if job_id != self.print_job_id:
            return False
        self.print_state, self.print_problem = "problem", problem
        self._event("print_problem")
        return True

    # --- registering interest -----------------------------------------------------------------
    def start_application(self) -> Step:
        if self.outbox is None:
            return self._step(notice=N_("Registering is not available here; call the contact on the slip."))
        if not self.session.identified:
            return self._step(notice=N_("Please place your ID card on the reader to register."))
        if self.job is not None and self.job.id in self.registered:
            return self._already_registered(self.job.id)
        return self.go(APPLY_CONSENT)

    def _already_registered(self, job_id: str) -> Step:
        """One person + one job is one registration: show the one there is, never send another."""
        self.application = self.registered[job_id]
        self._leave_application_steps()
        self.go(APPLY_DONE, remember=self.screen not in (APPLY_CONSENT, APPLY_PHONE))
        return self._step(notice=ALREADY_REGISTERED)

    def _leave_application_steps(self) -> None:
        """The done screen is an end point: back from it goes to the job, not to the keypad."""
        while self.history and self.history[-1] in (APPLY_CONSENT, APPLY_PHONE, APPLY_DONE):
            self.history.pop()

    def consent(self) -> Step:
        """'I agree' on the consent screen: nothing personal may leave the kiosk before this."""
        self.session.consent_version = CONSENT_VERSION
        self.session.consent_at = self.clock.now().timestamp()
        return self.go(APPLY_PHONE)

    def submit_phone(self, digits: str) -> Step:
        """Validate the number, commit the application to the outbox, then (and only then)
        show that it was received."""
        from kiosk import phone

        try:
            phone.validate(digits)
        except phone.InvalidPhone as exc:
            return self._step(error=phone_error(exc))
        session, job, card = self.session, self.job, self.session.identity
        if job is None or card is None or not session.consent_version or self.outbox is None:
            return self.back()
        if job.id in self.registered:
            return self._already_registered(job.id)
        session.phone = digits
        entry = self.outbox.submit(
            job_id=job.id, station_id=self.settings.station.id, id_number=card.id_number, name=card.name,
            phone=digits, consent_version=session.consent_version,
            consent_at=dt.datetime.fromtimestamp(session.consent_at, dt.UTC),
        )
        self.application = Application(entry.reference, job, (
            (N_("Job"), job.title_text(self.lang)), (N_("Name"), card.masked_name), (N_("ID number"), card.masked_id),
            (N_("Phone"), phone.mask(digits)), (N_("Reference"), entry.reference),
        ))
        self.registered[job.id] = self.application
        self.application_state = "sending"
        self._event("registration")
        if self.sync is not None:
            self.sync.wake()  # send it now if the network is there
        self._leave_application_steps()
        return self.go(APPLY_DONE, remember=False)

    def poll_application(self) -> bool:
        """Follow the application from the outbox to the server; False once there is no more
        to follow (delivered, rejected, or its screen has gone)."""
        if self.application is None or self.outbox is None or self.screen != APPLY_DONE:
            return False
        status = self.outbox.status_of(self.application.reference)
        if status == "delivered":
            self.application_state = "sent"
            return False
        if status == "rejected":
            self.application_state = "rejected"
            return False
        if self.sync is None or not self.sync.online:
            self.application_state = "queued"
        return True

    def followup(self) -> str:
        """Who calls back, from which number and by when, in the visit's language."""
        return followup_sentence(self.followup_hours, self.followup_phone, self.lang)

    # --- my registrations (issue 12) ----------------------------------------------------------
    def open_my_registrations(self) -> Step:
        """The "My registrations" button: needs the card; the look-up itself is `fetch_registrations`
        (blocking: the UI runs it off its thread) and `registrations_arrived`."""
        if not self.session.identified:
            return self._step(notice=regs.NEED_CARD)
        self.my_regs, self.my_regs_state, self.my_regs_message = [], "loading", ""
        self.confirm_withdraw = ""
        self._lookup_token += 1
        return self.go(MY_REGISTRATIONS)

    def _registrations_api(self) -> Registrations | None:
        return self._registrations or getattr(self.sync, "api", None)

    def fetch_registrations(self) -> tuple[int, list[regs.Registration] | BaseException]:
        """Ask central (may take seconds; safe on a worker thread). Returns the token the
        answer belongs to, and the rows or the error."""
        from kiosk.api import ApiOffline

        token, card, api = self._lookup_token, self.session.identity, self._registrations_api()
        if card is None:
            return token, []
        if api is None:
            return token, ApiOffline("no central API")
        try:
            rows = api.my_applications(card.id_number, station_id=self.settings.station.id)
            return token, [regs.Registration.from_api(r) for r in rows]
        except Exception as exc:  # shown as offline/error; the type only is logged
            log.info("my registrations: look-up failed (%s)", type(exc).__name__)
            return token, exc

    def registrations_arrived(self, token: int, result: list[regs.Registration] | BaseException) -> Step:
        if token != self._lookup_token or self.screen != MY_REGISTRATIONS:
            return self._step()  # the visit or the screen has moved on
        from kiosk.api import ApiOffline, ApiUnauthorised

        if isinstance(result, BaseException):
            offline = isinstance(result, ApiOffline)
            self.my_regs_state = "offline" if offline else "error"
            # a refused token needs the maintainer; anything else: try later (never "job closed")
            self.my_regs_message = (regs.OFFLINE if offline else result.msgid
                                    if isinstance(result, ApiUnauthorised) else regs.UNAVAILABLE)
            return self._step()
        withdrawing = self.outbox.withdrawal_status if self.outbox is not None else (lambda _a: "unknown")
        self.my_regs = [replace(r, status="withdrawn") if withdrawing(r.app_id) in ("pending", "withdrawn")
                        else r for r in result]
        self.my_regs_state = "ready"
        return self._step()

    def ask_withdraw(self, app_id: str) -> Step:
        """One tap on "Withdraw": the row asks "Withdraw? Yes / No" in place."""
        self.activity()
        row = self._my_reg(app_id)
        self.confirm_withdraw = app_id if row is not None and not row.withdrawn else ""
        return self._step()

    def keep_registration(self) -> Step:
        self.confirm_withdraw = ""
        return self._step()

    def withdraw(self, app_id: str) -> Step:
        """"Yes, withdraw": committed to the outbox (sent exactly once, now if online); the row
        then reads Withdrawn. Central erases the personal data when it arrives."""
        self.activity()
        row, card = self._my_reg(app_id), self.session.identity
        if app_id != self.confirm_withdraw or row is None or card is None or self.outbox is None:
            return self._step()
        self.outbox.withdraw(app_id=app_id, station_id=self.settings.station.id, id_number=card.id_number)
        self.my_regs = [replace(r, status="withdrawn") if r.app_id == app_id else r for r in self.my_regs]
        self.confirm_withdraw = ""
        self._event("withdrawal")
        if self.sync is not None:
            self.sync.wake()
        online = self.sync is not None and self.sync.online
        return self._step(notice=regs.WITHDRAWN_NOTICE if online else regs.WITHDRAWN_QUEUED)

    def _my_reg(self, app_id: str) -> regs.Registration | None:
        return next((r for r in self.my_regs if r.app_id == app_id), None)

    # --- report this job (issue 16; rules in kiosk.visit.reports) ------------------------------
    def ask_report(self) -> Step:
        self.activity()
        if not reports.can_report(self.job, self.reported_jobs):
            return self._step(notice=reports.ALREADY if self.job is not None else "")
        if self.outbox is None:
            return self._step(notice=reports.NOT_HERE)
        self.report_open, self.report_reason = True, ""
        return self._step()

    def choose_report_reason(self, code: str) -> Step:
        self.activity()
        if self.report_open and reports.valid_reason(code):
            self.report_reason = code
        return self._step()

    def cancel_report(self) -> Step:
        self.report_open, self.report_reason = False, ""
        return self._step()

    def send_report(self) -> Step:
        """Committed to the outbox (sent now if online, else later); no personal data."""
        self.activity()
        job = self.job
        if not self.report_open or not reports.valid_reason(self.report_reason) or job is None \
                or self.outbox is None:
            return self._step()
        self.outbox.report(job_id=job.id, station_id=self.settings.station.id, reason=self.report_reason,
                           visit=self.visit_ref, at=self.clock.now().astimezone())
        self.reported_jobs.add(job.id)
        self.report_open, self.report_reason = False, ""
        self._event("job_reported")
        if self.sync is not None:
            self.sync.wake()
        return self._step(notice=reports.THANKS)
    # --- standing registration (求职登记, issue 16): rules in kiosk/visit/standing.py ----------------
    def open_standing(self) -> Step:
        return standing.begin(self)

    def standing_new(self) -> Step:
        return standing.new_registration(self)

    def standing_toggle(self, group: str, value: object) -> Step:
        return standing.toggle(self, group, value)

    def standing_next(self) -> Step:
        return standing.to_consent(self)

    def standing_days(self, days: int) -> Step:
        return standing.set_days(self, days)

    def standing_sms(self) -> Step:
        return standing.toggle_sms(self)

    def standing_agree(self) -> Step:
        return standing.agree(self)

    def standing_phone(self, digits: str) -> Step:
        return standing.submit_phone(self, digits)

    def standing_renew(self) -> Step:
        return standing.renew(self)

    def standing_change(self) -> Step:
        return standing.change(self)

    def standing_ask_end(self) -> Step:
        return standing.ask_end(self)

    def standing_keep(self) -> Step:
        return standing.keep(self)

    def standing_end(self) -> Step:
        return standing.end(self)

    def standing_lookup(self) -> Step:
        standing.start_lookup(self)
        return self._step()

    def fetch_standing(self) -> tuple[int, list[standing.Standing] | BaseException]:
        return standing.fetch(self)

    def standing_arrived(self, token: int, result: list[standing.Standing] | BaseException) -> Step:
        return standing.arrived(self, token, result)

    def print_standing_slip(self) -> Step:
        if self.printer is None or not self.can_print or self.standing.done is None:
            return self._step(notice=N_("Printing is off here."))
        return self._print(standing.slip(self))

    # --- policies ------------------------------------------------------------------------------
    def open_policies(self) -> Step:
        self.policies = self.store.policies()
        return self.go(POLICIES)

    def open_policy(self, policy_id: str) -> Step:
        self.policy = self.store.get_policy(policy_id)
        if self.policy is None:
            return self._step()
        self._event("policy_viewed")
        return self.go(POLICY)

    # --- identification --------------------------------------------------------------------------
    def card_laid(self, identity: Any) -> Step:
        """A card was read and passed its checks: greet (masked) and show jobs that suit."""
        self.session.identity = identity
        self.card_on_reader = True
        if identity.age_on(self.today()) >= ELDERLY_AGE and not self.elderly:
            if self.elderly_by_age:  # the county chose: on at once (toggle_elderly turns it off)
                self.elderly = True
            else:
                self.elderly_offer = True
        self.job_filter = replace(self.job_filter, seeker_age=identity.age_on(self.today()))
        self.activity()
        self._event("card_read")
        card_type = getattr(getattr(identity, "card_type", None), "value", "")
        if f"card_read_{card_type}" in EVENTS:
            self._event(f"card_read_{card_type}")
        if self.outbox is not None and self._registrations_api() is not None:
            standing.start_lookup(self)  # the UI fetches it off its thread: matching jobs first
        if self.screen in (ATTRACT, HOME):
            return self.open_jobs()
        return self._step()

    def card_problem(self, problem: Any) -> Step:
        """Expired, unreadable or unknown card: say so plainly, stay where we are."""
        self.activity()
        self._event("card_problem")
        if self.screen == ATTRACT:
            self.start()
        return self._step(notice=problem.msgid)

    def card_removed(self) -> Step:
        self.card_on_reader = False  # also ends the reminder on the attract screen
        return self.end("card removed") if self.session.identified else self._step()

    # --- codes -----------------------------------------------------------------------------------
    def code_scanned(self, text: str) -> Step:
        """A scanned payload: route it; never trust or log it."""
        from kiosk.codes import JOB, MAINTENANCE, PRINTER_TEST, SEEKER, UNRECOGNISED, route

        self.activity()
        if self.used_codes is None:  # maintenance codes work once each (kiosk.used_codes)
            from kiosk.used_codes import UsedCodes

            self.used_codes = UsedCodes.in_dir(self.settings.storage.data_dir)
        r = route(text, self.settings, now=self.clock.now().timestamp(), used=self.used_codes,
                  public_job_url=self.public_job_url)
        log.info("%s", r.log_text())
        self._event("code_scanned")
        if self.screen == ATTRACT:
            self.start()
        if r.kind == JOB:
            if self.store.get_job(r.value) is None:
                return self._step(notice=N_("This job has been filled or withdrawn. Please choose another job."))
            return self.choose_job(r.value)
        if r.kind == SEEKER:  # the central API has no seeker lookup yet: say so, never pretend
            return self._step(notice=N_("Phone-code sign-in is not available yet; please use your ID card."))
        if r.kind == PRINTER_TEST:
            mark, _, nonce = r.value.partition(":")
            return self.printer_test_code(mark, nonce)
        if r.kind == MAINTENANCE:
            self.maintenance_until = r.expires_at or 0
            self._event("maintenance_opened")
            return self.go(MAINTENANCE)
        if r.kind == UNRECOGNISED and r.msgid.startswith("Code not recognised"):  # say what to do instead
            return self._step(notice=CODE_UNKNOWN)
        return self._step(notice=r.msgid)

    # --- maintenance -------------------------------------------------------------------------------
    def open_pin_entry(self) -> Step:
        """The station name was held down: PIN entry, if the county has set a PIN."""
        return self.go(MAINTENANCE_PIN) if self.pin_hash else self._step()

    def pin_entered(self, digits: str) -> Step:
        """Into maintenance for the right PIN; otherwise the error to show."""
        if not self.pin_hash:
            return self._step(error=N_("No maintainer PIN is set for this station"))
        if is_old_format(self.pin_hash):  # refused: see kiosk/pin.py
            log.warning("maintenance: the configured PIN hash is in the old PBKDF2 format; refused")
            return self._step(error=N_("This station's PIN is in an old format; ask the county for a new PIN"))
        if self.pin_guard.locked_for() > 0:
            log.info("maintenance: PIN entry locked")
            return self._step(error=N_("Too many wrong PINs; try again in 5 minutes"))
        if not self.pin_guard.check(digits, self.pin_hash):
            log.info("maintenance: wrong PIN")  # never the digits
            self._event("pin_refused")
            return self._step(error=N_("Wrong PIN"))
        log.info("maintenance: PIN accepted")
        self.maintenance_until = self.clock.now().timestamp() + MAINTENANCE_BY_PIN_S
        self._event("maintenance_opened")
        return self.go(MAINTENANCE)

    # --- the county's remote configuration ---------------------------------------------------------
    def apply_config(self, cfg: Any) -> None:
        """County staff's settings take effect at once (no restart); version 0 = none yet."""
        if cfg.version == 0:
            return
        self.idle_timeout_s = cfg.idle_timeout_s
        self.banner, self.receipt_footer, self.opening_hours = cfg.banner, cfg.receipt_footer, cfg.opening_hours
        self.public_job_url = cfg.public_job_url
        self.pin_hash = cfg.maintenance_pin_hash
        self.followup_hours, self.followup_phone = cfg.followup_hours, cfg.followup_phone
        self.radius_km = cfg.radius_km
        self.job_filter = replace(self.job_filter, radius_km=cfg.radius_km)
        self.can_apply = cfg.features.apply and self.outbox is not None
        self.can_print = cfg.features.print and self.printer is not None
        self.can_policies = cfg.features.policies
        self.voice = cfg.features.voice
        self.help_phone, self.elderly_by_age = cfg.help_phone, cfg.elderly_by_age
        self.complaint_phone = cfg.complaint_phone
        self.default_lang, self.default_elderly = cfg.default_language, cfg.elderly_mode_default
        if self.screen == ATTRACT:  # nobody is mid-visit: show the new defaults now
            self.lang, self.elderly = self.default_lang, self.default_elderly
        if self.screen in (JOBS, JOBS_MAP):
            self.refresh_rows()

    def hours(self) -> tuple[str, str] | None:
        """What to say about the staffed hours now: (msgid, hours as shown), or None if unset.
        Outside the hours the kiosk still works; nobody should walk over looking for staff."""
        if not self.opening_hours:
            return None
        shown = opening_hours.display(self.opening_hours)
        if opening_hours.is_open(self.opening_hours, self.clock.now()):
            return N_("Staffed {hours}"), shown
        return N_("Staff are here {hours}; self-service works now"), shown
