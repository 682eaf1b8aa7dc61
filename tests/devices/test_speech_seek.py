"""The texts issue 18's new dialogs and notices say, composed as the screens compose them
(screens/overlays.py, screens/voice.py, screens/jobs.py), are Mandarin only: no switch to
another language in their phonemes (the catalogue test covers each msgstr on its own)."""

from __future__ import annotations

import datetime as dt

import pytest

from devices.speech import language_switches, library, phonemes, worded
from kiosk.formatting import distance_text, start_text
from kiosk.i18n import N_, joined, tr
from kiosk.visit.core import ORDER, PHONE_BAD_START, PHONE_NO_SUCH, PHONE_TOO_SHORT

pytestmark = pytest.mark.skipif(library() is None, reason="espeakng-loader is a dependency (pyproject)")
TODAY = dt.date(2026, 11, 23)


def _texts() -> list[str]:
    zh = "zh"
    help_title = tr(N_("Need help? Call the station's staff"), zh)
    row = joined(["急招：展会临时安保", "28元/时", "日结", start_text(TODAY, TODAY, zh), distance_text(3.8, zh)], zh,
                 N_("{first}, {second}"))
    later = joined(["小区保洁", "150元/天", "周结", start_text(TODAY + dt.timedelta(days=5), TODAY, zh),
                    distance_text(0.4, zh)], zh, N_("{first}, {second}"))
    return [
        tr(N_("{title}: {number}"), zh).format(title=help_title, number="0556-1234567"),
        tr(N_("{title}: {number}"), zh).format(title=tr(N_("Need help? Call the HR & social security hotline"), zh),
                                               number="12333"),
        tr(N_("Do you need more time? Tap Continue."), zh),
        tr(N_("Back to the start in {n} seconds. Your details will be cleared."), zh).format(n=14),
        tr(N_("Large text and reading aloud can make this easier."), zh),
        tr(N_("End now and clear your details from this kiosk?"), zh),
        joined([tr("{n} jobs within {km:g} km", zh).format(n=173, km=20), tr(ORDER, zh), row, later], zh),
        *(tr(m, zh) for m in (PHONE_TOO_SHORT, PHONE_BAD_START, PHONE_NO_SUCH)),
        tr(N_("The printer is out of paper. Take the job on your phone with the QR code."), zh),
        tr(N_("No internet right now. Registrations are saved and sent later."), zh),
    ]


def test_new_spoken_texts_are_mandarin_only() -> None:
    texts = _texts()
    assert all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts)  # translated, not English
    switched = {t: phonemes(worded(t)) for t in texts if language_switches(phonemes(worded(t)))}
    assert switched == {}
