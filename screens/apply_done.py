"""The application is safely in the outbox: say so, with masked details and the reference,
and follow it to the server while the screen is shown."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import StringProperty

from screens.base import VisitScreen


class ApplyDoneScreen(VisitScreen):
    summary = StringProperty("")  # masked: job, name, ID number, phone, reference
    followup = StringProperty("")  # who calls back, from which number, by when (county config)

    def refresh(self) -> None:
        application = self.visit.application
        lines = application.lines if application is not None else ()
        self.summary = "\n".join(f"{self.t(label)}: {value}" for label, value in lines)
        self.followup = self.visit.followup()

    def on_enter(self, *_args: object) -> None:
        Clock.schedule_interval(self._follow, 0.5)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._follow)

    def _follow(self, _dt: float) -> bool:
        more = self.visit.poll_application()
        self.app.application_state = self.visit.application_state
        return more

    def more_jobs(self) -> None:
        self.app.act(self.visit.open_jobs())

    def print_receipt(self) -> None:
        self.app.act(self.visit.print_application_receipt())

    def spoken_text(self) -> str:
        """Received, who calls back by when, and what happens next (sent, or saved until the
        network is back)."""
        from kiosk.i18n import joined

        delivery = self.ids.delivery.text.lstrip("✓⚠ ")
        parts = (self.t("Your registration has been received"), self.followup, delivery)
        return joined([t for t in parts if t], self.visit.lang)
