"""Standing registration, step 3: the phone on the big keypad (as when applying for a job)."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.phone import LENGTH
from screens.widgets import DigitsScreen

ASK = N_("Your mobile number, so station staff can call you")


class RegisterPhoneScreen(DigitsScreen):
    max_digits = LENGTH

    def confirm(self) -> None:
        step = self.visit.standing_phone(self.digits)
        self.error = self.t(step.error) if step.error else ""
        self.app.act(step)

    def spoken_text(self) -> str:  # never the number being typed: a kiosk speaks in public
        return self.t(ASK)
