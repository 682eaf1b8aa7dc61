"""Phone number on a big numeric keypad: no free-text typing anywhere in the journey."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

MAX_DIGITS = 11


def grouped(digits: str) -> str:
    """'13812345678' -> '138 1234 5678' for easy checking while typing."""
    return " ".join(p for p in (digits[:3], digits[3:7], digits[7:]) if p)


class ApplyPhoneScreen(Screen):
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
        app = App.get_running_app()
        self.error = app.submit_application(self.digits)

    def on_leave(self, *_args: object) -> None:
        self.digits = ""  # never leave a phone number on a screen
