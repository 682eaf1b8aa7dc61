"""The Kivy App: wires services to screens and holds the UI state in Kivy properties.

Screens call the small methods here (open_job, print_current_job, end_session…); the work
itself is done by kiosk/ and devices/. Device callbacks arrive on driver threads and are
hopped onto the UI thread with Clock.schedule_once before touching any widget.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk import opening_hours
from kiosk.filters import JobFilter
from kiosk.formatting import distance_text, start_text
from kiosk.geo import haversine_km
from kiosk.models import Job, Settlement, Station
from kiosk.pin import PinGuard, is_old_format
from screens.i18n import Translator
from screens.services import Opening, Services
from screens.spoken import spoken_text
from screens.theme import Theme

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# screen name -> class name in screens/<name>.py; each has screens/<name>.kv beside it.
SCREENS = {
    "attract": "AttractScreen",
    "home": "HomeScreen",
    "jobs": "JobsScreen",
    "job_detail": "JobDetailScreen",
    "printing": "PrintingScreen",
    "job_qr": "JobQrScreen",
    "policies": "PoliciesScreen",
    "policy": "PolicyScreen",
    "maintenance": "MaintenanceScreen",
    "maintenance_pin": "MaintenancePinScreen",
    "apply_consent": "ApplyConsentScreen",
    "apply_phone": "ApplyPhoneScreen",
    "apply_done": "ApplyDoneScreen",
}


def on_ui_thread(fn: Callable[..., None]) -> Callable[..., None]:
    """Decorator: run fn on the Kivy thread (device callbacks come from driver threads)."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        Clock.schedule_once(lambda _dt: fn(*args, **kwargs), 0)

    return wrapper


class GigKioskApp(App):
    lang = StringProperty("zh")
    elderly = BooleanProperty(False)
    station_name = StringProperty("")
    banner = StringProperty("")
    greeting = StringProperty("")  # masked name of the identified seeker, or ""
    notice = StringProperty("")  # a transient message, shown in both languages
    job_filter = ObjectProperty(JobFilter())
    job_count = NumericProperty(0)
    current_job = ObjectProperty(None, allownone=True)
    current_distance = NumericProperty(0.0)
    current_policy = ObjectProperty(None, allownone=True)
    print_state = StringProperty("")  # "", "printing", "done", "problem"
    print_problem = StringProperty("")
    preview_path = StringProperty("")
    categories = ListProperty([])
    demo = BooleanProperty(False)
    application_text = StringProperty("")  # masked summary of the last application
    application_state = StringProperty("")  # sending | sent | queued | rejected
    can_apply = BooleanProperty(True)  # remote config features.apply, and an outbox exists
    can_print = BooleanProperty(True)  # remote config features.print, and a printer exists
    can_policies = BooleanProperty(True)  # remote config features.policies
    can_speak = BooleanProperty(False)  # a speaker exists and remote config features.voice
    online = BooleanProperty(True)  # False once the sync worker reports the API unreachable
    data_time = StringProperty("")  # HH:MM of the last successful sync, for the offline badge
    ready = BooleanProperty(False)  # services attached and started (see _start_services)
    receipt_footer = StringProperty("")  # the county's line under every slip (remote config)
    opening_hours = StringProperty("")  # staffed hours from the remote config, "" = none set
    hours_text = StringProperty("")  # what the attract screen says about them, both languages

    def __init__(
        self,
        services: Services | Callable[[], Services],
        demo: bool = False,
        opening: Opening | None = None,
        **kwargs: Any,
    ) -> None:
        """services: ready Services, or a function that builds them. A function is called in
        the frame after the attract screen is first drawn (with `opening` for that frame), so
        validating settings, opening the cache and the devices never delay the first frame."""
        super().__init__(**kwargs)
        self.demo = demo
        self.theme = Theme()
        self.tr_catalog = Translator()
        self.screen_log: list[str] = []  # screen names in order; read by UI tests
        self.history: list[str] = []
        self._last_activity = time.monotonic()
        self.title = "零工驿站 Gig Station"
        self.bind(elderly=lambda *_: setattr(self.theme, "elderly", self.elderly))
        self._print_job_id = ""
        self.maintenance_until = 0.0
        self._pin_hash: str | None = None  # remote config maintenance_pin_hash
        self._pin_guard = PinGuard()
        self._hid: Any = None
        self._application: tuple[str, Job] | None = None
        self.services: Services | None = None  # None until _start_services has run
        self.start_error = ""  # why the services could not be built (run_app exits 1)
        self._make_services: Callable[[], Services] | None = None
        if isinstance(services, Services):
            s = services.settings
            opening = Opening(s.ui.language, s.ui.elderly_mode, s.station.name)
        elif opening is None:
            raise TypeError("opening is required when services are built after the first frame")
        self.lang, self.elderly = opening.lang, opening.elderly
        self.default_lang, self.default_elderly = opening.lang, opening.elderly
        self.station_name = opening.station_name
        self.theme.elderly = self.elderly
        if isinstance(services, Services):
            self._attach(services)
        else:
            self._make_services = services

    def _attach(self, services: Services) -> None:
        """Wire the services to the UI: device and sync callbacks hop onto the UI thread."""
        self.services = services
        s = services.settings
        self.idle_timeout_s = s.ui.idle_timeout_s
        self.job_filter = JobFilter(radius_km=s.ui.search_radius_km)
        services.session.on_clear(self._wipe_personal_ui)
        services.on_data_changed = on_ui_thread(self._data_changed)
        if services.printer is not None:  # worker thread -> UI thread
            services.printer.on_job_done = on_ui_thread(self._print_done)
            services.printer.on_job_problem = on_ui_thread(self._print_problem)
            services.printer.on_job_dropped = on_ui_thread(self._print_problem)
        self.can_apply = services.outbox is not None
        self.can_print = services.printer is not None
        self.can_speak = bool(services.speaker and services.speaker.available and s.ui.voice)
        services.on_sync_attached = self._wire_sync
        if services.sync is not None:
            self._wire_sync(services.sync)
        for scanner in services.scanners:  # decode thread -> UI thread
            scanner.on_code = on_ui_thread(self.on_code)
        if services.idcard is not None:  # driver thread -> UI thread
            services.idcard.on_card = on_ui_thread(self.on_identity)
            services.idcard.on_removed = on_ui_thread(self.on_card_removed)
            services.idcard.on_error = on_ui_thread(self.on_card_problem)
        if s.devices.scanner.hid:
            from devices.scanner.hid import HidScanDetector

            # A keyboard-wedge scanner types its code; the seeker journey has no text input,
            # so every key goes to the detector and none reaches the UI as typing.
            self._hid = HidScanDetector(on_scan=self._on_hid_scan, on_key=lambda _key: None)
            Clock.schedule_interval(lambda _dt: self._hid.poll(time.monotonic()), 0.05)

    # --- set-up -------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        Builder.load_file(str(HERE / "widgets" / "widgets.kv"))
        importlib.import_module("screens.widgets.demo_panel")
        root = Builder.load_file(str(HERE / "root.kv"))
        self.sm: ScreenManager = root.ids.sm
        self.sm.transition = NoTransition()  # transitions cost frames and confuse some seekers
        self.screen("attract")
        self.sm.bind(current=self._on_screen)
        self.screen_log.append(self.sm.current)
        Window.bind(on_touch_down=self._activity)
        Window.bind(on_key_down=self._on_key_down)
        Clock.schedule_interval(self._check_idle, 1.0)
        Window.bind(on_flip=self._first_frame)
        return root

    def _first_frame(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._first_frame)
        gc.freeze()  # start-up objects live for the whole run: keep them out of every GC pass
        gc.enable()
        # The attract screen is on the glass. Services come in the next frame (before any
        # touch is dispatched: Kivy ticks the clock before it reads input); the other screens
        # follow, one per frame, so the first tap finds them ready.
        if self.services is None:
            Clock.schedule_once(self._start_services, 0)
        Clock.schedule_once(self._prewarm, 0.2)

    def _start_services(self, _dt: float = 0) -> None:
        assert self._make_services is not None
        try:
            services = self._make_services()
        except Exception as exc:  # e.g. the cache folder cannot be created: nothing can work
            log.exception("the kiosk's services could not be built")
            self.start_error = f"{type(exc).__name__}: {exc}"
            self.stop()
            return
        self._attach(services)
        services.start()
        self.ready = True

    def screen(self, name: str) -> Screen:
        """The screen called name, built (kv rules loaded, widget made) on first use."""
        if not self.sm.has_screen(name):
            module = importlib.import_module(f"screens.{name}")
            Builder.load_file(str(HERE / f"{name}.kv"))
            self.sm.add_widget(getattr(module, SCREENS[name])(name=name))
        return self.sm.get_screen(name)

    def _data_changed(self) -> None:
        """The cache changed under us (background fill or sync): refresh what is shown."""
        self.categories = self.services.store.categories()
        if self.sm.current == "jobs":
            self.refresh_jobs()

    def _prewarm(self, _dt: float) -> None:
        missing = [n for n in SCREENS if not self.sm.has_screen(n)]
        if missing:
            self.screen(missing[0])
            Clock.schedule_once(self._prewarm, 0)
        elif not self.categories:
            self.categories = self.services.store.categories()

    def on_start(self) -> None:
        if self.services is not None:  # else _start_services, after the first frame
            self.services.start()
            self.ready = True

    def on_stop(self) -> None:
        if self.services is not None:
            self.services.stop()

    # --- translation --------------------------------------------------------------------
    def tr(self, msgid: str, lang: str | None = None) -> str:
        return self.tr_catalog(msgid, lang or self.lang)

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self.refresh_jobs()

    def toggle_elderly(self) -> None:
        self.elderly = not self.elderly

    # --- navigation ---------------------------------------------------------------------
    def go(self, name: str, remember: bool = True) -> None:
        self.screen(name)
        if remember and self.sm.current not in ("attract", name):
            self.history.append(self.sm.current)
        self.sm.current = name

    def back(self) -> None:
        self.go(self.history.pop() if self.history else "home", remember=False)

    def _on_screen(self, _sm: ScreenManager, name: str) -> None:
        self.screen_log.append(name)
        if self.services.speaker is not None:
            self.services.speaker.stop()  # never read out a screen that has gone
        if self.elderly and self.can_speak and name != "attract":
            # Large-text mode reads each screen aloud (after this frame has laid it out).
            Clock.schedule_once(lambda _dt: self.read_aloud(), 0.1)

    # --- spoken prompts -------------------------------------------------------------------
    def read_aloud(self) -> None:
        if self.can_speak:
            self.services.speaker.say(spoken_text(self), self.lang, slow=self.elderly)

    def start_visit(self) -> None:
        self.history.clear()
        self.go("home", remember=False)

    def end_session(self, reason: str = "done") -> None:
        """Back to attract with everything personal wiped (done, card removed, idle)."""
        log.info("session end: %s", reason)
        self.services.session.clear()
        self.history.clear()
        self.job_filter = JobFilter(radius_km=self.services.settings.ui.search_radius_km)
        self.current_job = None
        self.current_policy = None
        self.notice = ""
        self.lang, self.elderly = self.default_lang, self.default_elderly
        self.go("attract", remember=False)

    def _wipe_personal_ui(self) -> None:
        self.greeting = ""
        self.application_text = ""
        self._application = None

    # --- idle timeout -------------------------------------------------------------------
    def _activity(self, *_args: Any) -> None:
        self._last_activity = time.monotonic()

    def _on_key_down(self, _window: Any, key: int, _scancode: int, codepoint: str | None, _mods: Any) -> bool:
        self._activity()
        if self._hid is None:
            return False
        self._hid.feed("enter" if key == 13 else (codepoint or ""), time.monotonic())
        return True  # swallowed: never typing in the UI

    def _on_hid_scan(self, text: str) -> None:
        from devices.scanner.decode import Code

        self.on_code(Code(text, "hid"))

    def _check_idle(self, _dt: float) -> None:
        self._update_hours_text()
        if self.sm.current == "attract":
            return
        if self.sm.current == "maintenance" and time.time() > self.maintenance_until:
            self.end_session("maintenance access expired")
            return
        if time.monotonic() - self._last_activity >= self.idle_timeout_s:
            self.end_session("idle")

    # --- jobs ---------------------------------------------------------------------------
    def open_jobs(self) -> None:
        if not self.categories:
            self.categories = self.services.store.categories()
        self.refresh_jobs()
        self.go("jobs")

    def toggle_filter(self, attr: str, value: object) -> None:
        self.job_filter = self.job_filter.with_toggled(attr, value)
        self.refresh_jobs()

    def toggle_age_filter(self) -> None:
        """Show all jobs, or only those whose age range admits the identified seeker."""
        identity = self.services.session.identity
        if self.job_filter.seeker_age is not None or identity is None:
            self.job_filter = replace(self.job_filter, seeker_age=None)
        else:
            self.job_filter = replace(self.job_filter, seeker_age=identity.age_on(dt.date.today()))
        self.refresh_jobs()

    def set_start_window(self, days: int | None) -> None:
        """Chip 'today' (0), 'tomorrow' (1), 'this week' (7) or None for any."""
        today = dt.date.today()
        if days is None or self.start_window_days() == days:
            flt = replace(self.job_filter, start_from=None, start_to=None)
        elif days == 1:
            tomorrow = today + dt.timedelta(days=1)
            flt = replace(self.job_filter, start_from=tomorrow, start_to=tomorrow)
        else:
            flt = replace(self.job_filter, start_from=None, start_to=today + dt.timedelta(days=days))
        self.job_filter = flt
        self.refresh_jobs()

    def start_window_days(self) -> int | None:
        f, today = self.job_filter, dt.date.today()
        if f.start_to is None:
            return None
        if f.start_from is not None:
            return (f.start_from - today).days
        return (f.start_to - today).days

    def refresh_jobs(self) -> None:
        s = self.services.settings
        flt = self.job_filter
        today = dt.date.today()
        from kiosk.search import nearby  # numpy: imported on first use, not at start-up

        result = nearby(
            self.services.store, s.station.lat, s.station.lng, flt, limit=200, today=today,
            index=self.services.index,
        )
        self.job_count = result.total
        self.screen("jobs").show(
            [
                {
                    "job_id": h.job.id,
                    "title": h.job.title,
                    "employer": h.job.employer,
                    "pay": h.job.pay_text(self.lang),
                    "settlement": h.job.settlement_text(self.lang),
                    "daily": h.job.settlement == Settlement.DAILY,
                    "distance": distance_text(h.distance_km, self.lang),
                    "start": start_text(h.job.start_date, today, self.lang),
                }
                for h in result.hits
            ]
        )

    def open_job(self, job_id: str) -> None:
        job = self.services.store.get_job(job_id)
        if job is None:
            self.show_notice("找不到这个工作，可能已经招满。", "This job is no longer available.")
            return
        st = self.services.settings.station
        self.current_distance = haversine_km(st.lat, st.lng, job.lat, job.lng)
        self.current_job = job
        self.services.session.viewed_job_ids.append(job.id)
        self.go("job_detail")

    def job_url(self, job: Job) -> str:
        return self.services.settings.api.job_url.format(id=job.id)

    def show_job_qr(self) -> None:
        self.go("job_qr")

    # --- printing -----------------------------------------------------------------------
    def print_current_job(self) -> None:
        job, printer = self.current_job, self.services.printer
        if job is None:
            return
        if printer is None or not self.can_print:
            self.show_notice("本机暂不提供打印，请扫码带走。", "Printing is off here; scan the code instead.")
            self.go("job_qr")
            return
        from kiosk.receipts import job_slip

        receipt = job_slip(job, self.station(), printed_at=dt.datetime.now(), qr_data=self.job_url(job),
                           footer=self.receipt_footer)
        self.print_state, self.print_problem, self.preview_path = "printing", "", ""
        self._print_job_id = printer.submit(receipt)
        self.go("printing")

    def station(self) -> Station:
        st = self.services.settings.station
        return Station(id=st.id, name=st.name, lat=st.lat, lng=st.lng, name_en=st.name_en, county=st.county)

    def _print_done(self, job_id: str, confirmed: bool) -> None:
        if job_id != self._print_job_id:
            return  # an older slip that printed after a refill: nothing to tell
        self.print_state = "done"
        if self.services.demo is not None:  # the demo shows what the simulated printer printed
            self.preview_path = self.services.demo.last_slip_png()

    def _print_problem(self, job_id: str, problem: Any) -> None:
        if job_id != self._print_job_id:
            return
        self.print_state = "problem"
        self.print_problem = problem.message_zh if self.lang == "zh" else problem.message_en

    # --- registering interest -------------------------------------------------------------
    def start_application(self) -> None:
        if self.services.outbox is None:
            self.show_notice("本机暂不能报名，请按工作单上的电话联系。", "Registering is not available here; call the contact on the slip.")
        elif not self.services.session.identified:
            self.show_notice("报名需要先放身份证。", "Please place your ID card on the reader to register.")
        else:
            self.go("apply_consent")

    def consent_given(self) -> None:
        from screens.apply_consent import CONSENT_VERSION

        session = self.services.session
        session.consent_version, session.consent_at = CONSENT_VERSION, time.time()
        self.go("apply_phone")

    def submit_application(self, digits: str) -> str:
        """Validate the phone number, commit the application to the outbox, then (and only
        then) tell the seeker it was received. Returns an error message, or ""."""
        from kiosk import phone

        if not phone.is_valid(digits):
            return self.tr("That is not a valid mobile number. Please check it.", self.lang)
        session, job = self.services.session, self.current_job
        card = session.identity
        if job is None or card is None or not session.consent_version:
            self.back()
            return ""
        session.phone = digits
        entry = self.services.outbox.submit(
            job_id=job.id,
            station_id=self.services.settings.station.id,
            id_number=card.id_number,
            name=card.name,
            phone=digits,
            consent_version=session.consent_version,
            consent_at=dt.datetime.fromtimestamp(session.consent_at, dt.UTC),
        )
        self._application = (entry.reference, job)
        self.application_state = "sending"
        if self.services.sync is not None:
            self.services.sync.wake()  # send it now if the network is there
        Clock.schedule_interval(self._poll_application, 0.5)
        self.application_text = "\n".join(
            [
                f"{self.tr('Job', self.lang)}: {job.title}",
                f"{self.tr('Name', self.lang)}: {card.masked_name}",
                f"{self.tr('ID number', self.lang)}: {card.masked_id}",
                f"{self.tr('Phone', self.lang)}: {phone.mask(digits)}",
                f"{self.tr('Reference', self.lang)}: {entry.reference}",
            ]
        )
        self.go("apply_done")
        return ""

    def _poll_application(self, _dt: float) -> bool:
        """Follow the application from the outbox to the server while its screen is shown."""
        if self._application is None or self.sm.current != "apply_done":
            return False
        status = self.services.outbox.status_of(self._application[0])
        sync = self.services.sync
        if status == "delivered":
            self.application_state = "sent"
            return False
        if status == "rejected":
            self.application_state = "rejected"
            return False
        if sync is None or not sync.online:
            self.application_state = "queued"
        return True

    def print_application_receipt(self) -> None:
        from kiosk.receipts import application_receipt

        session, printer = self.services.session, self.services.printer
        if printer is None or session.identity is None or not self._application:
            self.show_notice("本机暂不提供打印。", "Printing is off here.")
            return
        reference, job = self._application
        receipt = application_receipt(
            name=session.identity.name, id_number=session.identity.id_number, phone=session.phone,
            job=job, station=self.station(), reference=reference, queued=self.application_state != "sent",
            printed_at=dt.datetime.now(), footer=self.receipt_footer,
        )
        self.print_state, self.print_problem, self.preview_path = "printing", "", ""
        self._print_job_id = printer.submit(receipt)
        self.go("printing")

    # --- policies -----------------------------------------------------------------------
    def open_policies(self) -> None:
        self.screen("policies").show(self.services.store.policies())
        self.go("policies")

    def open_policy(self, policy_id: str) -> None:
        self.current_policy = self.services.store.get_policy(policy_id)
        if self.current_policy is not None:
            self.go("policy")

    # --- identification -----------------------------------------------------------------
    def on_identity(self, identity: Any) -> None:
        """A card was read (UI thread). Greet with the masked name and show jobs."""
        self.services.session.identity = identity
        self.greeting = identity.masked_name
        self.job_filter = replace(self.job_filter, seeker_age=identity.age_on(dt.date.today()))
        self._activity()
        if self.sm.current in ("attract", "home"):
            self.open_jobs()

    def on_card_problem(self, problem: Any) -> None:
        """Expired, unreadable or unknown card: say so plainly, stay where we are."""
        self._activity()
        if self.sm.current == "attract":
            self.start_visit()
        self.show_notice(problem.message_zh, problem.message_en)

    def on_card_removed(self) -> None:
        if self.services.session.identified:
            self.end_session("card removed")

    # --- sync and remote configuration -----------------------------------------------------
    def _wire_sync(self, sync: Any) -> None:
        """Listen to the sync worker and the remote config (any thread; events hop to the UI)."""
        sync.on_change(on_ui_thread(self._sync_changed))
        rc = self.services.remote_config
        if rc is not None:
            rc.on_applied(on_ui_thread(self.apply_remote_config))
            on_ui_thread(self.apply_remote_config)(rc.current)  # the last known good, from disk

    def _sync_changed(self, kind: str) -> None:
        if kind in ("jobs", "policies"):
            self._data_changed()
        elif kind == "connectivity":
            sync = self.services.sync
            self.online = bool(sync.online)
            t = sync.last_success_at
            self.data_time = dt.datetime.fromtimestamp(t).strftime("%H:%M") if t else ""

    def apply_remote_config(self, cfg: Any) -> None:
        """County staff's settings take effect at once (no restart); version 0 = none yet."""
        if cfg.version == 0:
            return
        self.idle_timeout_s = cfg.idle_timeout_s
        self.banner = cfg.banner
        self.receipt_footer = cfg.receipt_footer
        self.opening_hours = cfg.opening_hours
        self._update_hours_text()
        self._pin_hash = cfg.maintenance_pin_hash
        self.job_filter = replace(self.job_filter, radius_km=cfg.radius_km)
        self.can_apply = cfg.features.apply and self.services.outbox is not None
        self.can_print = cfg.features.print and self.services.printer is not None
        self.can_policies = cfg.features.policies
        self.can_speak = bool(cfg.features.voice and self.services.speaker and self.services.speaker.available)
        self.default_lang, self.default_elderly = cfg.default_language, cfg.elderly_mode_default
        if self.sm.current == "attract":  # nobody is mid-visit: show the new defaults now
            self.lang, self.elderly = self.default_lang, self.default_elderly
        if self.sm.current == "jobs":
            self.refresh_jobs()

    def _update_hours_text(self) -> None:
        if not self.opening_hours:
            self.hours_text = ""
            return
        shown = opening_hours.display(self.opening_hours)
        if opening_hours.is_open(self.opening_hours, dt.datetime.now()):
            self.hours_text = f"驿站服务时间 {shown} · Staffed {shown}"
        else:  # the kiosk still works; nobody should walk over looking for staff
            self.hours_text = (f"现在不是驿站服务时间（{shown}），仍可自助查询\n"
                               f"Staff are here {shown}; self-service works now")

    # --- codes --------------------------------------------------------------------------
    def on_code(self, code: Any) -> None:
        """A scanned code (UI thread): route it; never trust or log the payload."""
        from kiosk.codes import JOB, MAINTENANCE, SEEKER, route

        self._activity()
        r = route(code.text, self.services.settings)
        log.info("%s", r.log_text())
        if self.sm.current == "attract":
            self.start_visit()
        if r.kind == JOB:
            if self.services.store.get_job(r.value) is None:
                self.show_notice("这个工作已经招满或下架了。", "This job has been filled or withdrawn.")
            else:
                self.open_job(r.value)
        elif r.kind == SEEKER:
            # The central API has no seeker lookup yet: say so rather than pretend.
            self.show_notice("扫码识别暂未开通，请放身份证。", "Phone-code sign-in is not available yet; please use your ID card.")
        elif r.kind == MAINTENANCE:
            self.maintenance_until = r.expires_at or 0
            self.go("maintenance")
        else:
            self.show_notice(r.message_zh, r.message_en)

    # --- maintenance ----------------------------------------------------------------------
    MAINTENANCE_BY_PIN_S = 15 * 60

    def open_pin_entry(self) -> None:
        """The station name was held down: PIN entry, if the county has set a PIN."""
        if self._pin_hash:
            self.go("maintenance_pin")

    def check_maintenance_pin(self, digits: str) -> str:
        """"" and into maintenance for a right PIN; otherwise the message to show."""
        if not self._pin_hash:
            return self.tr("No maintainer PIN is set for this station")
        if is_old_format(self._pin_hash):  # refused: see kiosk/pin.py
            log.warning("maintenance: the configured PIN hash is in the old PBKDF2 format; refused")
            return self.tr("This station's PIN is in an old format; ask the county for a new PIN")
        if self._pin_guard.locked_for() > 0:
            log.info("maintenance: PIN entry locked")
            return self.tr("Too many wrong PINs; try again in 5 minutes")
        if not self._pin_guard.check(digits, self._pin_hash):
            log.info("maintenance: wrong PIN")  # never the digits
            return self.tr("Wrong PIN")
        log.info("maintenance: PIN accepted")
        self.maintenance_until = time.time() + self.MAINTENANCE_BY_PIN_S
        self.go("maintenance")
        return ""

    def device_report(self) -> list[tuple[str, str, str]]:
        """(device, state, detail) for every driver, for maintainers (no personal data)."""
        return [(name, d.status.state.value, d.status.detail) for name, d in self.services.devices().items()]

    def print_test_page(self) -> None:
        from kiosk import __version__
        from kiosk.receipts import maintenance_test_page

        if self.services.printer is None:
            self.show_notice("本机未配置打印机。", "No printer is configured on this station.")
            return
        status = {name: f"{state} {detail}".strip() for name, state, detail in self.device_report()}
        page = maintenance_test_page(self.station(), printed_at=dt.datetime.now(), device_status=status,
                                     software=f"gig-kiosk {__version__}")
        self.print_state, self.print_problem, self.preview_path = "printing", "", ""
        self._print_job_id = self.services.printer.submit(page)
        self.go("printing")

    # --- messages -----------------------------------------------------------------------
    def show_notice(self, message_zh: str, message_en: str, seconds: float = 8) -> None:
        """Chinese first, English second, whatever the current language."""
        self.notice = f"{message_zh}\n{message_en}"
        Clock.unschedule(self._clear_notice)
        Clock.schedule_once(self._clear_notice, seconds)

    def _clear_notice(self, _dt: float = 0) -> None:
        self.notice = ""
