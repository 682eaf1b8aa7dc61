"""Printing: progress, then the slip (a preview image in the demo) or what went wrong, with
the job's QR code right there so the seeker still leaves with it."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty

from screens.base import VisitScreen
from screens.job_qr import qr_texture


class PrintingScreen(VisitScreen):
    qr = ObjectProperty(None, allownone=True)

    def on_kv_post(self, _base: object) -> None:
        App.get_running_app().bind(print_state=lambda *_: self.refresh())

    def refresh(self) -> None:
        job = self.visit.job
        # "sent": the printer could not confirm the slip, so the QR is shown in case none came out
        self.qr = (qr_texture(self.visit.phone_code(job))
                   if self.visit.print_state in ("problem", "sent") and job else None)

    def show_qr(self) -> None:
        self.app.act(self.visit.show_qr())

    def spoken_text(self) -> str:
        if self.app.print_state == "problem":
            return self.app.print_problem
        if self.app.print_state == "sent":
            return self.t("Please take your job slip from the slot below the screen. If none came out, scan this QR code.")
        return self.t("Please take your job slip from the slot below the screen")
