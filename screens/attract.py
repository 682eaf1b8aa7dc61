"""Attract/idle screen: station name, banner, clock, staffed hours; any touch starts a visit."""

from __future__ import annotations

import datetime as dt

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.formatting import short_date
from screens.base import VisitScreen


class AttractScreen(VisitScreen):
    clock_text = StringProperty("")
    hours_text = StringProperty("")  # the county's staffed hours, both languages; "" = none set

    def on_enter(self, *_args: object) -> None:
        self._tick(0)
        Clock.schedule_interval(self._tick, 10)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._tick)

    def _tick(self, _dt: float) -> None:
        now = dt.datetime.now()
        self.clock_text = now.strftime("%H:%M") + "   " + short_date(now.date(), "zh")  # nobody chose a language yet

    def refresh(self) -> None:
        hours = self.visit.hours() if self.app.visit is not None else None
        if hours is None:
            self.hours_text = ""
            return
        msgid, shown = hours
        zh, en = (self.app.tr(msgid, lang).format(hours=shown) for lang in ("zh", "en"))
        # Open: one short line. Closed: two lines, Chinese first (nobody has chosen a language).
        self.hours_text = f"{zh} · {en}" if msgid == "Staffed {hours}" else f"{zh}\n{en}"

    def on_touch_down(self, touch: object) -> bool:
        self.app.act(self.visit.start())
        return True
