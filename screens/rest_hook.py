"""At rest, Kivy's loop runs at REST_FPS instead of its maxfps (60): nobody is looking closely
and nothing moves, so 60 wake-ups a second only burn the fanless box's CPU. The first touch,
key, scan or card, a screen change or a running Animation brings the full rate back at once.

Kivy reads its frame rate limit from `Clock._max_fps` in every idle() (all clock types);
Config's graphics.maxfps is only read when the clock is made, so the attribute is the live
knob. At rest a touch waits at most 1/REST_FPS s in SDL's queue before it is dispatched; from
there it is handled and drawn at the full rate.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.core.window import Window

REST_FPS = 10.0
QUIET_S = 3.0  # no touch, key, device event or screen change for this long: at rest


class FrameRate:
    """The loop's frame rate limit: full, or REST_FPS while the kiosk is at rest."""

    def __init__(self, rest_fps: float = REST_FPS, quiet_s: float = QUIET_S) -> None:
        self.full_fps = Clock._max_fps  # Config graphics.maxfps, as the clock read it
        self.rest_fps, self.quiet_s = rest_fps, quiet_s
        self.resting = False
        self._last_wake = time.monotonic()

    def wake(self, *_args: Any) -> None:
        """Full rate now (any thread: a device driver's callback may call it)."""
        self._last_wake = time.monotonic()
        if self.resting:
            self.resting = False
            Clock._max_fps = self.full_fps

    def check(self, _dt: float = 0) -> None:
        if self.resting or Animation._instances or time.monotonic() - self._last_wake < self.quiet_s:
            return
        self.resting = True
        Clock._max_fps = self.rest_fps


def attach(app: Any, rest_fps: float = REST_FPS, quiet_s: float = QUIET_S) -> FrameRate:
    """Call before app.run(). Returns the FrameRate (tests look at `resting`)."""
    rate = FrameRate(rest_fps, quiet_s)
    # Bound before the app's own handlers: these return None, so the touch goes on as before.
    Window.bind(on_touch_down=rate.wake, on_touch_move=rate.wake, on_touch_up=rate.wake,
                on_key_down=rate.wake)
    Clock.schedule_interval(rate.check, 0.5)

    def services_ready(_app: Any, ready: bool) -> None:
        if not ready:
            return
        app.sm.bind(current=rate.wake)  # any screen change, whatever caused it
        s = app.services
        signals = [sc.scanned for sc in s.scanners]
        if s.idcard is not None:
            signals += [s.idcard.card_laid, s.idcard.card_removed, s.idcard.card_problem]
        if s.printer is not None:
            signals += [s.printer.job_done, s.printer.job_problem]
        for signal in signals:  # on the driver's thread, before the UI hop is even scheduled
            signal.connect(rate.wake)

    if getattr(app, "ready", False):
        services_ready(app, True)
    else:
        app.bind(ready=services_ready)
    return rate
