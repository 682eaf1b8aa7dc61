"""Tells systemd (Type=notify, WatchdogSec) that the kiosk is up and its main loop alive:
READY=1 once the first frame is on the glass, then WATCHDOG=1 from a Kivy Clock interval, so a
hung UI thread (not just a dead process) gets the kiosk restarted."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk import sdnotify


def attach(app: Any) -> None:
    """Call before app.run(); does nothing when the kiosk is not started by systemd."""
    if sdnotify.enabled_address() is None:
        return

    def first_frame(*_args: Any) -> None:
        Window.unbind(on_flip=first_frame)
        sdnotify.notify("READY=1")
        interval = sdnotify.watchdog_interval()
        if interval is not None:
            sdnotify.notify("WATCHDOG=1")
            Clock.schedule_interval(lambda _dt: sdnotify.notify("WATCHDOG=1"), interval)

    Window.bind(on_flip=first_frame)
