"""Phone number on a big numeric keypad: no free-text typing anywhere in the journey."""

from __future__ import annotations

from kivy.app import App

from screens.widgets import DigitsScreen

MAX_DIGITS = 11


class ApplyPhoneScreen(DigitsScreen):
    max_digits = MAX_DIGITS

    def confirm(self) -> None:
        self.error = App.get_running_app().submit_application(self.digits)
