"""The Kivy App: global UI state in Kivy properties, the wiring of services, the event loop.

The visit's rules live in kiosk.visit.Visit; each screen (screens/<name>.py) draws itself
from the visit and sends it intents. `act(step)` shows what an intent asked for: the
properties kv rules bind to, the screen, a notice. Device callbacks arrive on driver threads
and are hopped onto the UI thread with Clock.schedule_once before touching any widget.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from kivy.uix.screenmanager import Screen, ScreenManager

from kiosk.i18n import sentences, translator
from screens import overlays, topbar
from screens.instant_transition import InstantTransition
from screens.opening import Opening
from screens.overlays import Overlays
from screens.rows_ahead import RowsAhead
from screens.theme import Theme
from screens.voice import Voice
from screens.wiring import wire

if TYPE_CHECKING:  # the visit's rules are imported after the first frame (_attach)
    from kiosk.visit import Step, Visit
    from screens.services import Services

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# Each name: class <Name>Screen in screens/<name>.py (job_qr: JobQrScreen), rules in <name>.kv.
SCREEN_LOG_MAX = 500
SCREENS = ("attract", "home", "jobs", "job_detail", "printing", "job_qr", "policies", "policy", "maintenance",
           "maintenance_pin", "apply_consent", "apply_phone", "apply_done", "my_registrations",
           "jobs_map", "register_wants", "register_consent", "register_phone", "register_done", "register_mine")


class GigKioskApp(App):
    lang = StringProperty("zh")
    elderly = BooleanProperty(False)
    station_name = StringProperty("")
    station_name_en = StringProperty("")
    banner = StringProperty("")
    greeting = StringProperty("")  # masked name of the identified seeker, or ""
    notice = StringProperty("")  # a transient message, shown in both languages
    job_filter = ObjectProperty(None)  # the visit's JobFilter, from _attach on
    job_count = NumericProperty(0)
    current_job = ObjectProperty(None, allownone=True)
    current_policy = ObjectProperty(None, allownone=True)
    print_state = StringProperty("")  # "", "printing", "done", "sent" (unconfirmed), "problem"
    print_problem = StringProperty("")
    preview_path = StringProperty("")
    categories = ListProperty([])
    demo = BooleanProperty(False)
    application_state = StringProperty("")  # sending | sent | queued | rejected
    can_apply = BooleanProperty(True)  # remote config features.apply, and an outbox exists
    can_print = BooleanProperty(True)  # remote config features.print, and a printer exists
    can_policies = BooleanProperty(True)  # remote config features.policies
    can_speak = BooleanProperty(False)  # a speaker exists and remote config features.voice
    online = BooleanProperty(True)  # False once the sync worker reports the API unreachable
    data_time = StringProperty("")  # HH:MM of the last successful sync, for the offline badge
    ready = BooleanProperty(False)  # services attached and started (see _start_services)

    def __init__(self, services: Services | Callable[[], Services], demo: bool = False,
                 opening: Opening | None = None, **kwargs: Any) -> None:
        """services: ready Services, or a function that builds them. A function is called in
        the frame after the attract screen is first drawn (with `opening` for that frame), so
        validating settings, opening the cache and the devices never delay the first frame."""
        super().__init__(**kwargs)
        self.demo, self.theme, self.tr_catalog = demo, Theme(), translator()
        self.voice, self.overlays, self.rows_ahead = Voice(self), Overlays(self), RowsAhead(self)
        # Screen names in order, for UI tests; bounded: 10 a visit, for months (issue 17's soak).
        self.screen_log: deque[str] = deque(maxlen=SCREEN_LOG_MAX)
        self.title, self.start_error = "零工驿站 Gig Station", ""  # start_error: why services could not be built
        self.visit: Visit = None  # type: ignore[assignment]  # set by _attach
        self.services: Services | None = None  # None until _start_services has run
        self._make_services: Callable[[], Services] | None = None
        if not callable(services):  # ready Services (screens.services: imported after the first frame)
            s = services.settings
            opening = Opening(s.ui.language, s.ui.elderly_mode, s.station.name, s.station.name_en)
        elif opening is None:
            raise TypeError("opening is required when services are built after the first frame")
        self.lang, self.elderly, self.station_name, self.station_name_en = (*vars(opening).values(),)  # in order
        self.theme.elderly = self.elderly
        if not callable(services):
            self._attach(services)
        else:
            self._make_services = services

    def _attach(self, services: Services) -> None:
        """Make the visit and wire the services to the UI: callbacks hop onto the UI thread."""
        from kiosk.visit import Visit  # its rules and models: not needed to draw the first frame

        self.services = services
        self.visit = Visit(services.settings, services.store, services.search, session=services.session, printer=services.printer,
                           outbox=services.outbox, sync=services.sync, device_report=services.device_report,
                           lang=self.lang, elderly=self.elderly,
                           on_event=services.stats.record if services.stats is not None else None)
        wire(self, services)
        self.act()

    # --- set-up -------------------------------------------------------------------------
    def build(self) -> Any:
        Builder.load_file(str(HERE / "widgets" / "widgets.kv"))
        importlib.import_module("screens.demo_panel")  # root.kv's DemoPanel (screens.widgets: not yet)
        root = Builder.load_file(str(HERE / "root.kv"))
        self.sm: ScreenManager = root.ids.sm
        self.sm.transition = InstantTransition()  # transitions cost frames and confuse some seekers
        self.screen("attract")
        self.sm.bind(current=self._on_screen)
        self.screen_log.append(self.sm.current)
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity, on_flip=self._first_frame)
        Clock.schedule_interval(self._tick, 1.0)
        return root

    def _first_frame(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._first_frame)
        gc.freeze()  # start-up objects live for the whole run: keep them out of every GC pass
        gc.enable()
        from kiosk import malloc_trim  # ctypes: not needed to draw the first frame

        malloc_trim.fix_mmap_threshold()  # big blocks in pages of their own from now on
        # The attract screen is on the glass. Services come in the next frame (before any
        # touch is dispatched: Kivy ticks the clock before it reads input); the other screens
        # follow, one per frame, so the first tap finds them ready.
        Clock.schedule_once(lambda _dt: topbar.attach(self.root), 0)  # hidden on this screen
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
            if name != "attract":  # the shared widgets its rules use (KButton ...); attract uses none
                importlib.import_module("screens.widgets")
            module = importlib.import_module(f"screens.{name}")
            Builder.load_file(str(HERE / f"{name}.kv"))
            cls = "".join(part.title() for part in name.split("_")) + "Screen"
            self.sm.add_widget(getattr(module, cls)(name=name))
        return self.sm.get_screen(name)

    def _prewarm(self, _dt: float) -> None:
        if self.visit is None:  # the screens draw from the visit: wait for _start_services
            Clock.schedule_once(self._prewarm, 0.1)
            return
        overlays.load_rules()  # the dialogs' rules (once), before any touch can open one
        missing = [n for n in SCREENS if not self.sm.has_screen(n)]
        if missing:
            self.screen(missing[0])
            Clock.schedule_once(self._prewarm, 0)
        elif self.visit is not None and not self.visit.categories:
            self.visit.data_changed()
            self.act()

    def on_start(self) -> None:
        if self.services is not None:  # else _start_services, after the first frame
            self.services.start()
            self.ready = True

    def on_stop(self) -> None:
        if self.services is not None:
            self.services.stop()

    # --- the visit on screen --------------------------------------------------------------
    def act(self, step: Step | None = None) -> Step | None:
        """Show the visit as it now is (after an intent returned `step`)."""
        v = self.visit
        if v is None:
            return step
        self.lang, self.elderly, self.greeting = v.lang, v.elderly, v.greeting
        self.job_filter, self.job_count, self.categories = v.job_filter, v.job_count, v.categories
        self.current_job, self.current_policy = v.job, v.policy
        self.print_state, self.application_state, self.banner = v.print_state, v.application_state, v.banner
        if v.print_state == "printing":
            self.preview_path = ""
        problem = v.print_problem
        self.print_problem = "" if problem is None else sentences(problem.msgids, v.lang)
        self.can_apply, self.can_print, self.can_policies = v.can_apply, v.can_print, v.can_policies
        self.can_speak = bool(v.voice and (speaker := self.services.speaker) and speaker.available)
        if hasattr(self, "sm"):
            if self.sm.current != v.screen:
                if v.screen != "attract":  # a tap before the next frame built the bar
                    topbar.attach(self.root)
                self.screen(v.screen)
                self.sm.current = v.screen  # its on_pre_enter draws it
            else:
                self.sm.current_screen.refresh()
        # The visit's notice, on the screen that raised it only (Chinese first, English second).
        msgid = v.notice_on_show
        self.notice = f"{self.tr(msgid, 'zh')}\n{self.tr(msgid, 'en')}" if msgid else ""
        if hasattr(self, "sm"):
            self.overlays.sync(v)
        self.voice.step(step)
        from screens.register_mine import follow_lookup

        follow_lookup(self)  # central's look-up of a work registration, when the visit asks
        return step

    def on_lang(self, _app: Any, lang: str) -> None:
        if self.visit is not None:
            self.visit.set_language(lang)
            if hasattr(self, "sm"):
                self.sm.current_screen.refresh()

    def on_elderly(self, _app: Any, elderly: bool) -> None:
        self.theme.elderly = elderly
        if self.visit is not None and self.visit.elderly != elderly:
            self.visit.set_elderly(elderly)  # counted (statistics) when turned on
            self.visit.elderly_offer = False
        if elderly and self.visit is not None and hasattr(self, "sm"):
            Clock.schedule_once(lambda _dt: self.voice.large_text_on(), 0.1)  # after the re-layout

    def tr(self, msgid: str, lang: str | None = None) -> str:
        return self.tr_catalog(msgid, lang or self.lang)

    def _on_screen(self, _sm: ScreenManager, name: str) -> None:
        self.screen_log.append(name)
        self.voice.screen_changed(name)
        self.rows_ahead.screen_shown(name)  # the job list's rows, built before "browse" is tapped

    def read_aloud(self) -> None:
        if self.can_speak and self.visit is not None:
            self.visit.read_aloud_used()  # statistics: once per visit
        self.voice.read_screen()

    # --- input and time -------------------------------------------------------------------
    def _activity(self, *_args: Any) -> None:  # a touch or a key: the idle countdown restarts
        if self.visit is not None:
            self.visit.activity()

    def _tick(self, _dt: float) -> None:
        step = self.visit.tick() if self.visit is not None else None
        if step is not None:
            self.act(step)
        elif self.sm.current == "attract":
            self.sm.current_screen.refresh()  # staffed hours follow the clock; the card reminder

    # --- the county's remote configuration -----------------------------------------------
    def apply_remote_config(self, cfg: Any) -> None:
        """County staff's settings take effect at once (no restart)."""
        self.visit.apply_config(cfg)
        self.act()
