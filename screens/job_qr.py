"""The job's public page as a QR code, for the seeker's phone."""

from __future__ import annotations

import io

import qrcode
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty, StringProperty

from kiosk.i18n import joined
from kiosk.visit import reports
from screens.base import VisitScreen


def qr_png(text: str, box: int = 10) -> bytes:
    img = qrcode.make(text, box_size=box, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def qr_texture(text: str) -> Texture:
    texture = CoreImage(io.BytesIO(qr_png(text)), ext="png").texture
    texture.mag_filter = "nearest"  # keep modules sharp when scaled up
    return texture


class JobQrScreen(VisitScreen):
    texture = ObjectProperty(None, allownone=True)
    no_fee = StringProperty("")  # issue 16: on every job screen

    def refresh(self) -> None:
        job = self.visit.job
        self.texture = qr_texture(self.visit.phone_code(job)) if job else None
        self.no_fee = self.t(reports.NO_FEE).format(phone=self.visit.complaint_number)

    def spoken_text(self) -> str:
        return joined([self.t("Scan with your phone camera or WeChat to keep this job"), self.no_fee], self.visit.lang)
