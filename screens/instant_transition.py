"""A screen change completed in the call that makes it, with no Animation and no clock event.

Kivy's NoTransition still runs a zero-length Animation: the screen manager ignores every touch
until the clock ticks it to the end, the old screen stays on the canvas for that frame, and
the soak (bench/soak.py) caught that Animation's clock event not being run at all after some
visits — the ScreenManager then stayed "in transition" and the kiosk ignored every touch.
"""

from __future__ import annotations

from typing import Any

from kivy.uix.screenmanager import NoTransition, ScreenManagerException


class InstantTransition(NoTransition):
    def start(self, manager: Any) -> None:
        if self.is_active:
            raise ScreenManagerException("start() is called twice!")
        self.manager = manager
        self.add_screen(self.screen_in)
        self.screen_in.transition_progress, self.screen_in.transition_state = 1.0, "in"
        self.screen_out.transition_progress, self.screen_out.transition_state = 0.0, "out"
        self.screen_in.dispatch("on_pre_enter")
        self.screen_out.dispatch("on_pre_leave")
        self.is_active = True
        self._on_complete()  # is_active False, old screen removed, on_enter / on_leave

    def stop(self) -> None:
        self.is_active = False
