"""Maintenance PIN entry, for maintainers without a signed maintenance code. Reached by
holding the station name in the top bar for three seconds, only when the county has set a
PIN (remote config maintenance_pin_hash)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

MAX_DIGITS = 12


class MaintenancePinScreen(Screen):
    digits = StringProperty("")
    error = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        self.digits, self.error = "", ""

    def press(self, key: str) -> None:
        self.error = ""
        if key == "del":
            self.digits = self.digits[:-1]
        elif key == "clear":
            self.digits = ""
        elif len(self.digits) < MAX_DIGITS:
            self.digits += key

    def confirm(self) -> None:
        self.error = App.get_running_app().check_maintenance_pin(self.digits)
        self.digits = ""

    def on_leave(self, *_args: object) -> None:
        self.digits = ""
