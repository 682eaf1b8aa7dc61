"""Standing registration, step 2: its own consent (PIPL art. 29), with its own expiry (30 days
unless another chip is chosen) and the SMS opt-in (off until tapped)."""

from __future__ import annotations

from kiosk.i18n import N_, joined
from kiosk.visit import standing
from screens.base import VisitScreen
from screens.widgets import Chip

CONSENT_TEXT = N_("To register for work we send your name, ID card number, phone number and birth date, with "
                  "the work you chose, to the county employment service. Station staff use them only to call "
                  "you about jobs that fit. They are kept until the date you choose below and then deleted; "
                  "you can end it earlier at any station with your card. Your card photo is never kept.")
SMS_TEXT = N_("Also send me a text message when a job fits")


class RegisterConsentScreen(VisitScreen):
    def refresh(self) -> None:
        s = self.visit.standing
        row = self.ids.days_row
        row.clear_widgets()
        for days in standing.CONSENT_DAYS:
            chip = Chip(label=self.t(N_("{n} days")).format(n=days), value=days, group="days",
                        selected=s.days == days)
            chip.bind(on_release=lambda c: self.app.act(self.visit.standing_days(c.value)))
            row.add_widget(chip)
        self.ids.sms.selected = s.sms

    def spoken_text(self) -> str:
        s = self.visit.standing
        return joined([self.t(N_("Before you register for work")), self.t(CONSENT_TEXT),
                       self.t(N_("Keep my registration for {n} days")).format(n=s.days)], self.app.lang)
