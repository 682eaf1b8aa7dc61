"""Attract/idle screen: station name, banner, clock, staffed hours; any touch starts a visit."""

from __future__ import annotations

import datetime as dt
import time

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.formatting import short_date
from screens.base import VisitScreen

REMIND_EVERY_S = 12  # how often "please take your ID card" is said while the card stays


class AttractScreen(VisitScreen):
    clock_text = StringProperty("")
    hours_text = StringProperty("")  # the county's staffed hours, both languages; "" = none set
    _reminded = 0.0  # monotonic time the forgotten-card reminder was last said

    def on_enter(self, *_args: object) -> None:
        self._tick(0)
        Clock.schedule_interval(self._tick, 10)
        Clock.schedule_once(self._give_back_memory, 1)

    @staticmethod
    def _give_back_memory(_dt: float) -> None:
        """A visit ended: its unreachable cycles are freed and the C heap's free pages go back
        (kiosk.malloc_trim, issue 17)."""
        from kiosk import garbage, malloc_trim  # ctypes: not needed to draw the first frame

        garbage.collect_visit()  # a visit's cycles: nobody is at the screen now
        malloc_trim.trim()

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._tick)
        Clock.unschedule(self._give_back_memory)  # not in the next seeker's visit

    def _tick(self, _dt: float) -> None:
        now = dt.datetime.now()
        # Both languages, like the rest of this screen: nobody has chosen one yet.
        self.clock_text = f"{now:%H:%M}   {short_date(now.date(), 'zh')} · {short_date(now.date(), 'en')}"

    def refresh(self) -> None:
        """Drawn on the way in and every second by the App's tick."""
        self._remind_card()
        hours = self.visit.hours() if self.app.visit is not None else None
        if hours is None:
            self.hours_text = ""
            return
        msgid, shown = hours
        zh, en = (self.app.tr(msgid, lang).format(hours=shown) for lang in ("zh", "en"))
        # Open: one short line. Closed: two lines, Chinese first (nobody has chosen a language).
        self.hours_text = f"{zh} · {en}" if msgid == "Staffed {hours}" else f"{zh}\n{en}"

    def _remind_card(self) -> None:
        """A visit ended with its ID card still on the reader: say "please take your ID card"
        (Chinese; the notice shows both languages) until it is taken."""
        v, speaker = self.app.visit, self.app.services.speaker if self.app.services else None
        if v is None or not v.take_card or time.monotonic() - self._reminded < REMIND_EVERY_S:
            return
        self._reminded = time.monotonic()
        if v.voice and speaker is not None and speaker.available:
            from kiosk.visit.core import TAKE_CARD  # the visit exists: its module is loaded

            speaker.say(self.app.tr(TAKE_CARD, "zh"), "zh")

    def on_touch_down(self, touch: object) -> bool:
        self.app.act(self.visit.start())
        return True
