"""The job list's rows, built while attract or home is being read, so the tap on "browse"
finds them ready (issue 17: home → jobs within 2 frames). Never before that screen's first
frame is shown: the work waits for its flip, then PREPARE_AFTER_S more."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

PREPARE_AFTER_S = 0.1  # after the screen's first frame: a seeker reads it far longer than this
READ_SCREENS = ("attract", "home")


class RowsAhead:
    def __init__(self, app: Any) -> None:
        self.app = app

    def screen_shown(self, name: str) -> None:
        if name in READ_SCREENS:
            Window.unbind(on_flip=self._flipped)
            Window.bind(on_flip=self._flipped)

    def _flipped(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._flipped)
        Clock.schedule_once(self._prepare, PREPARE_AFTER_S)

    def _prepare(self, _dt: float) -> None:
        app = self.app
        if app.visit is not None and app.sm.current in READ_SCREENS:
            app.visit.prepare_rows()
