"""Separate consent before any personal data leaves the kiosk (PIPL art. 29). The wording's
version (kiosk.visit.CONSENT_VERSION) is sent with each application."""

from __future__ import annotations

from screens.base import VisitScreen


class ApplyConsentScreen(VisitScreen):
    def agree(self) -> None:
        self.app.act(self.visit.consent())

    def spoken_text(self) -> str:
        return self.ids.consent.text  # the whole consent wording, as shown
