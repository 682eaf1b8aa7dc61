"""Home: the three ways in (ID card, QR code, browse) and policies."""

from __future__ import annotations

from kiosk.i18n import joined
from screens.base import VisitScreen


class HomeScreen(VisitScreen):
    def browse(self) -> None:
        self.app.act(self.visit.open_jobs())

    def policies(self) -> None:
        self.app.act(self.visit.open_policies())

    def spoken_text(self) -> str:
        t = self.t
        return joined([t("What would you like to do?"), t("Find work nearby"), t("Place your ID card"),
                       t("Scan a code"), t("Employment policies and services")], self.visit.lang)
