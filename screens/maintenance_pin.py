"""Maintenance PIN entry, for maintainers without a signed maintenance code. Reached by
holding the station name in the top bar for three seconds, only when the county has set a
PIN (remote config maintenance_pin_hash)."""

from __future__ import annotations

from screens.widgets import DigitsScreen

MAX_DIGITS = 12


class MaintenancePinScreen(DigitsScreen):
    max_digits = MAX_DIGITS

    def confirm(self) -> None:
        step = self.visit.pin_entered(self.digits)
        self.digits = ""
        self.error = self.t(step.error) if step.error else ""
        self.app.act(step)
