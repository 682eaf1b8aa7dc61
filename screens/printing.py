"""Printing: progress, then the slip (a preview image in the demo) or what went wrong, with
the job's QR code right there so the seeker still leaves with it."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen

from screens.job_qr import qr_texture


class PrintingScreen(Screen):
    qr = ObjectProperty(None, allownone=True)

    def on_kv_post(self, _base: object) -> None:
        App.get_running_app().bind(print_state=self._state_changed)

    def _state_changed(self, app: App, state: str) -> None:
        # "sent": the printer could not confirm the slip, so the QR is shown in case none came out
        self.qr = qr_texture(app.job_url(app.current_job)) if state in ("problem", "sent") and app.current_job else None
