"""Attract/idle screen: station name, banner, clock; any touch starts a visit."""

from __future__ import annotations

import datetime as dt

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen


class AttractScreen(Screen):
    clock_text = StringProperty("")

    def on_enter(self, *_args: object) -> None:
        self._tick(0)
        Clock.schedule_interval(self._tick, 10)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._tick)

    def _tick(self, _dt: float) -> None:
        now = dt.datetime.now()
        self.clock_text = now.strftime("%H:%M") + f"   {now.month}月{now.day}日"

    def on_touch_down(self, touch: object) -> bool:
        from kivy.app import App

        App.get_running_app().start_visit()
        return True
