"""The job's public page as a QR code, for the seeker's phone."""

from __future__ import annotations

import io

import qrcode
from kivy.app import App
from kivy.core.image import Image as CoreImage
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen


def qr_png(text: str, box: int = 10) -> bytes:
    img = qrcode.make(text, box_size=box, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class JobQrScreen(Screen):
    texture = ObjectProperty(None, allownone=True)

    def on_pre_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        if app.current_job is None:
            self.texture = None
            return
        data = io.BytesIO(qr_png(app.job_url(app.current_job)))
        self.texture = CoreImage(data, ext="png").texture
        self.texture.mag_filter = "nearest"  # keep modules sharp when scaled up
