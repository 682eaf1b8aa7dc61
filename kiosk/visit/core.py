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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kiosk import opening_hours
from kiosk.filters import JobFilter
from kiosk.formatting import distance_text, start_text
from kiosk.geo import haversine_km
from kiosk.i18n import N_
from kiosk.models import Job, Policy, Settlement, Station
from kiosk.pin import PinGuard, is_old_format
from kiosk.session import Session
from kiosk.visit.ports import (
    Clock,
    DeviceReport,
    EventSink,
    JobStore,
    Outbox,
    Printer,
    Search,
    Sync,
    SystemClock,
)
from kiosk.worker import Signal

if TYPE_CHECKING:
    from kiosk.receipts import Receipt
    from kiosk.settings import Settings

log = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"  # the wording on the consent screen; sent with each application
MAINTENANCE_BY_PIN_S = 15 * 60
# The screens a visit moves between (screens/<name>.py draws each).
ATTRACT, HOME, JOBS, JOB_DETAIL, PRINTING, JOB_QR = "attract", "home", "jobs", "job_detail", "printing", "job_qr"
POLICIES, POLICY, MAINTENANCE, MAINTENANCE_PIN = "policies", "policy", "maintenance", "maintenance_pin"
APPLY_CONSENT, APPLY_PHONE, APPLY_DONE = "apply_consent", "apply_phone", "apply_done"
# Statistics events (names only): what the operations reports count.
EVENTS = ("visit_started", "visit_ended", "card_read", "card_problem", "code_scanned", "job_viewed",
          "slip_printed", "print_problem", "registration", "maintenance_opened", "pin_refused",
          "card_read_resident", "card_read_hkmt_permit", "card_read_foreign_2017", "card_read_foreign_2023",
          "phone_saved", "policy_viewed", "withdrawal", "english_on", "large_text_on", "read_aloud")
PRINT_START_S = 8.0  # a print not started by then: say why and show the QR, never a spinner
ALREADY_REGISTERED = N_("You have already registered for this job; here is your registration.")
TAKE_CARD = N_("Please take your ID card")  # the attract screen shows and says it while a card is left


@dataclass(frozen=True, slots=True)
class Step:
    """What an intent asks of the UI, in plain values."""

    screen: str  # the screen to show now (may be the one on show)
    notice: str = ""  # msgid of a notice, shown in both languages
    error: str = ""  # msgid of an inline error on a keypad screen


@dataclass(frozen=True, slots=True)
class PrintWaiting:
    """A print that has not started (queued behind a stopped job, or a stopped printer): shaped
    like devices.printer.PrintProblem, which is what the printing screen reads."""

    msgids: tuple[str, ...]
    qr_data: str | None
    kind: str = "not_started"


PRINT_NOT_STARTED = N_("The printer has not started your slip.")
PRINT_SCAN_INSTEAD = N_("Scan the QR code on the screen with your phone instead.")


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
    ) -> None:
        self.settings, self.store, self._search = settings, store, search
        self.session = session or Session()
        self.printer, self.outbox, self.sync = printer, outbox, sync
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
        self.banner = self.receipt_footer = self.opening_hours = ""
        self.pin_hash: str | None = None
        self.can_apply = outbox is not None
        self.can_print = printer is not None
        self.can_policies = True
        self.voice = ui.voice
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
        self._reset()

    def _reset(self) -> None:
        """Everything of one visit, back to how a new visit starts."""
        self.lang, self.elderly = self.default_lang, self.default_elderly
        self.screen = ATTRACT
        self.history: list[str] = []
        self.job_filter = JobFilter(radius_km=self.radius_km)
        self.rows: list[dict[str, Any]] = []
        self.job_count = 0
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
        self.last_activity = self.clock.monotonic()

    # --- statistics -------------------------------------------------------------------------
    def _event(self, name: str) -> None:
        assert name in EVENTS, name
        self.events.emit(name)

    # --- navigation ---------------------------------------------------------------------------
    def _step(self, notice: str = "", error: str = "") -> Step:
        return Step(self.screen, notice, error)

    def go(self, name: str, remember: bool = True) -> Step:
        if self.screen == ATTRACT and name != ATTRACT:
            self._event("visit_started")
        if remember and self.screen not in (ATTRACT, name):
            self.history.append(self.screen)
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
        return self._step(notice=TAKE_CARD if self.take_card else "")

    @property
    def take_card(self) -> bool:
        """The visit has ended but its ID card is still on the reader: remind until it is taken."""
        return self.screen == ATTRACT and self.card_on_reader

    def activity(self) -> None:
        """A touch or key: the idle countdown starts again."""
        self.last_activity = self.clock.monotonic()

    def tick(self) -> Step | None:
        """Called every second: ends a visit left alone, or a maintenance access that ran out."""
        if self.screen == ATTRACT:
            return None
        if self.screen == MAINTENANCE and self.clock.now().timestamp() > self.maintenance_until:
            return self.end("maintenance access expired")
        if self.clock.monotonic() - self.last_activity >= self.idle_timeout_s:
            return self.end("idle")
        return self._check_print_started()

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

    def refresh_rows(self) -> None:
        """Search again and build the list's rows in the visit's language."""
        today, lang = self.today(), self.lang
        result = self._search(self.job_filter, today)
        self.job_count = result.total
        self.rows = [
            {
                "job_id": h.job.id,
                "title": h.job.title,
                "employer": h.job.employer,
                "pay": h.job.pay_text(lang),
                "settlement": h.job.settlement_text(lang),
                "daily": h.job.settlement == Settlement.DAILY,
                "distance": distance_text(h.distance_km, lang),
                "start": start_text(h.job.start_date, today, lang),
            }
            for h in result.hits
        ]

    def data_changed(self) -> None:
        """The cache changed under the visit (background fill or sync)."""
        self.categories = self.store.categories()
        if self.screen == JOBS:
            self.refresh_rows()

    def choose_job(self, job_id: str) -> Step:
        job = self.store.get_job(job_id)
        if job is None:
            return self._step(notice=N_("This job is no longer available."))
        st = self.settings.station
        self.distance_km = haversine_km(st.lat, st.lng, job.lat, job.lng)
        self.job = job
        self.session.viewed_job_ids.append(job.id)
        self._event("job_viewed")
        return self.go(JOB_DETAIL)

    def job_url(self, job: Job) -> str:
        return self.settings.api.job_url.format(id=job.id)

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

    def print_slip(self) -> Step:
        job = self.job
        if job is None:
            return self._step()
        if self.printer is None or not self.can_print:
            self.go(JOB_QR)
            return self._step(notice=N_("Printing is off here; scan the code instead."))
        from kiosk.receipts import job_slip

        return self._print(job_slip(job, self.station(), printed_at=self.clock.now(), qr_data=self.job_url(job),
                                    footer=self.receipt_footer))

    def print_application_receipt(self) -> Step:
        card, app = self.session.identity, self.application
        if self.printer is None or card is None or app is None:
            return self._step(notice=N_("Printing is off here."))
        from kiosk.receipts import application_receipt

        return self._print(application_receipt(
            name=card.name, id_number=card.id_number, phone=self.session.phone, job=app.job,
            station=self.station(), reference=app.reference, queued=self.application_state != "sent",
            printed_at=self.clock.now(), footer=self.receipt_footer,
        ))

    def print_test_page(self, software: str = "") -> Step:
        if self.printer is None:
            return self._step(notice=N_("No printer is configured on this station."))
        from kiosk.receipts import maintenance_test_page

        status = {name: f"{state} {detail}".strip() for name, state, detail in self.device_report()}
        options = getattr(self.printer, "options", None)  # the model's columns and dots
        paper = {"paper": options.paper} if options is not None else {}
        nonce = self.printer_check.begin()  # its codes A and B: the camera self-check

        def build(printer_info: dict[str, str] | None) -> Receipt:
            return maintenance_test_page(self.station(), printed_at=self.clock.now(), device_status=status,
                                         software=software, check_nonce=nonce, printer_info=printer_info, **paper)

        submit_built = getattr(self.printer, "submit_built", None)  # asks the printer GS I first
        if submit_built is None:
            return self._print(build(None))
        self.print_state, self.print_problem = "printing", None
        self.print_job_id = submit_built(build)
        self.print_since, self.print_qr = self.clock.monotonic(), None
        return self.go(PRINTING)

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

        if not phone.is_valid(digits):
            return self._step(error=N_("That is not a valid mobile number. Please check it."))
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
            (N_("Job"), job.title), (N_("Name"), card.masked_name), (N_("ID number"), card.masked_id),
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
        self.job_filter = replace(self.job_filter, seeker_age=identity.age_on(self.today()))
        self.activity()
        self._event("card_read")
        card_type = getattr(getattr(identity, "card_type", None), "value", "")
        if f"card_read_{card_type}" in EVENTS:
            self._event(f"card_read_{card_type}")
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
        from kiosk.codes import JOB, MAINTENANCE, PRINTER_TEST, SEEKER, route

        self.activity()
        if self.used_codes is None:  # maintenance codes work once each (kiosk.used_codes)
            from kiosk.used_codes import UsedCodes

            self.used_codes = UsedCodes.in_dir(self.settings.storage.data_dir)
        r = route(text, self.settings, now=self.clock.now().timestamp(), used=self.used_codes)
        log.info("%s", r.log_text())
        self._event("code_scanned")
        if self.screen == ATTRACT:
            self.start()
        if r.kind == JOB:
            if self.store.get_job(r.value) is None:
                return self._step(notice=N_("This job has been filled or withdrawn."))
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
        self.pin_hash = cfg.maintenance_pin_hash
        self.radius_km = cfg.radius_km
        self.job_filter = replace(self.job_filter, radius_km=cfg.radius_km)
        self.can_apply = cfg.features.apply and self.outbox is not None
        self.can_print = cfg.features.print and self.printer is not None
        self.can_policies = cfg.features.policies
        self.voice = cfg.features.voice
        self.default_lang, self.default_elderly = cfg.default_language, cfg.elderly_mode_default
        if self.screen == ATTRACT:  # nobody is mid-visit: show the new defaults now
            self.lang, self.elderly = self.default_lang, self.default_elderly
        if self.screen == JOBS:
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
