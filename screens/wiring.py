"""How the services' events reach the app: device, printer and sync callbacks arrive on their
own threads and hop onto the UI thread (Clock.schedule_once) before the visit or any widget
is touched; each then becomes an intent of the visit, shown by `app.act`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window

if TYPE_CHECKING:
    from screens.app import GigKioskApp
    from screens.services import Services


def on_ui_thread(fn: Callable[..., Any]) -> Callable[..., None]:
    """Decorator: run fn on the Kivy thread (device callbacks come from driver threads)."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        Clock.schedule_once(lambda _dt: fn(*args, **kwargs), 0)

    return wrapper


def look_up(app: GigKioskApp, fetch: Callable[[], tuple[int, Any]],
            arrived: Callable[[int, Any], Any], screen: str, name: str) -> None:
    """Ask central off the UI thread: `fetch` gives (token, answer or exception); `arrived`
    (a visit intent) takes them on the UI thread, and the visit shows them if it still wants
    them. In large-text mode the answer is read aloud when `screen` is still showing."""

    def shown(token: int, result: Any) -> None:
        app.act(arrived(token, result))
        if app.elderly and app.sm.current == screen:
            app.read_aloud()  # the list itself, not only "looking up…"

    show = on_ui_thread(shown)
    threading.Thread(target=lambda: show(*fetch()), name=name, daemon=True).start()


def wire(app: GigKioskApp, services: Services) -> None:
    visit = app.visit
    services.data_changed.connect(on_ui_thread(lambda: app.act(visit.data_changed())))
    if services.printer is not None:  # print worker thread -> UI thread
        printer = services.printer
        printer.job_done.connect(on_ui_thread(lambda job_id, confirmed: _print_done(app, job_id, confirmed)))
        failed = on_ui_thread(lambda job_id, p: visit.print_failed(job_id, p) and app.act())
        printer.job_problem.connect(failed)
        printer.job_dropped.connect(failed)
    services.sync_attached.connect(lambda sync: wire_sync(app, sync))
    if services.sync is not None:
        wire_sync(app, services.sync)
    for scanner in services.scanners:  # decode thread -> UI thread
        scanner.scanned.connect(on_ui_thread(lambda code: app.act(visit.code_scanned(code.text))))
    if services.idcard is not None:  # reader thread -> UI thread
        idcard = services.idcard
        idcard.card_laid.connect(on_ui_thread(lambda card: app.act(visit.card_laid(card))))
        idcard.card_removed.connect(on_ui_thread(lambda: app.act(visit.card_removed())))
        idcard.card_problem.connect(on_ui_thread(lambda problem: app.act(visit.card_problem(problem))))
    if services.settings.devices.scanner.hid:
        from devices.scanner.hid import HidScanDetector

        # A keyboard-wedge scanner types its code; the seeker journey has no text input,
        # so every key goes to the detector and none reaches the UI as typing.
        hid = HidScanDetector(on_scan=lambda text: app.act(visit.code_scanned(text)), on_key=lambda _k: None)
        Clock.schedule_interval(lambda _dt: hid.poll(time.monotonic()), 0.05)

        def key_down(_window: Any, key: int, _scancode: int, codepoint: str | None, _mods: Any) -> bool:
            visit.activity()
            hid.feed("enter" if key == 13 else (codepoint or ""), time.monotonic())
            return True  # swallowed: never typing in the UI

        Window.bind(on_key_down=key_down)


def _print_done(app: GigKioskApp, job_id: str, confirmed: bool) -> None:
    if app.visit.print_done(job_id, confirmed):
        if app.services.demo is not None:  # the demo shows what the simulated printer printed
            app.preview_path = app.services.demo.last_slip_png()
        app.act()


def wire_sync(app: GigKioskApp, sync: Any) -> None:
    """Listen to the sync worker and the remote config (any thread; events hop to the UI)."""
    app.visit.sync = sync

    def changed(kind: str) -> None:
        if kind in ("jobs", "policies"):
            app.act(app.visit.data_changed())
        elif kind == "connectivity":
            app.online = bool(sync.online)
            t = sync.last_success_at
            app.data_time = time.strftime("%H:%M", time.localtime(t)) if t else ""

    sync.changed.connect(on_ui_thread(changed))
    from screens.remote_commands import attach  # the runner of remote diagnostics commands

    attach(app, sync)
    rc = app.services.remote_config
    if rc is not None:
        rc.applied.connect(on_ui_thread(app.apply_remote_config))
        on_ui_thread(app.apply_remote_config)(rc.current)  # the last known good, from disk
