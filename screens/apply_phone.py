"""Phone number on a big numeric keypad: no free-text typing anywhere in the journey."""

from __future__ import annotations

from kivy.app import App

from screens.widgets import DigitsScreen

MAX_DIGITS = 11


def grouped(digits: str) -> str:
    """'13812345678' -> '138 1234 5678' for easy checking while typing."""
    return " ".join(p for p in (digits[:3], digits[3:7], digits[7:]) if p)


class ApplyPhoneScreen(DigitsScreen):
    max_digits = MAX_DIGITS

    def confirm(self) -> None:
        self.error = App.get_running_app().submit_application(self.digits)
