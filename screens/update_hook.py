"""What the updater's health gate and install window need from the running app
(kiosk/update/): the `first_frame` marker once the attract screen is drawn with services
attached, and every 30 s whether a visit is on and when the screen was last touched."""

from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.update import state as update_state

ACTIVITY_EVERY_S = 30


def attach(app: Any) -> None:
    """Call before app.run(). Markers are only written when the app runs from a release folder
    (update_state.mark checks), so a checkout or the demo never confirms a release."""

    def mark(*_args: Any) -> None:
        if app.services is not None:
            update_state.mark(app.services.settings.update.root, "first_frame")

    def first_frame(*_args: Any) -> None:
        Window.unbind(on_flip=first_frame)
        if app.services is not None:
            mark()
        else:  # services are built in the frame after the first one (GigKioskApp._start_services)
            app.bind(ready=lambda _app, ready: ready and mark())

    def activity(_dt: float) -> None:
        if app.visit is None or app.services is None:
            return
        idle_s = app.visit.clock.monotonic() - app.visit.last_activity
        update_state.write_activity(app.services.settings.update.root,
                                    app.sm.current != "attract", time.time() - idle_s)

    Window.bind(on_flip=first_frame)
    Clock.schedule_interval(activity, ACTIVITY_EVERY_S)
