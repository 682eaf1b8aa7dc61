"""Phone number on a big numeric keypad: no free-text typing anywhere in the journey."""

from __future__ import annotations

from kiosk.phone import LENGTH
from screens.widgets import DigitsScreen


class ApplyPhoneScreen(DigitsScreen):
    max_digits = LENGTH

    def confirm(self) -> None:
        step = self.visit.submit_phone(self.digits)
        self.error = self.t(step.error) if step.error else ""
        self.app.act(step)  # an error is also said aloud (screens/voice.py)

    def spoken_text(self) -> str:  # never the number being typed: a kiosk speaks in public
        return self.t("Your mobile number, so the employer can call you")
