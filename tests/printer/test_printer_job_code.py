"""The job summary QR (kiosk.jobcode) prints readable on both paper widths, native and
raster, with modules of at least 3 dots, and reads back to the same text (issue 18 item 16)."""

from __future__ import annotations

import dataclasses

import pytest
import zxingcpp
from PIL import Image

from devices.printer import preview
from devices.printer.render import RenderOptions, qr_module_size, render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from kiosk import jobcode
from kiosk import receipts as r
from kiosk.codes import route
from kiosk.settings import from_dict

LONG = dataclasses.replace(SAMPLE_JOB, title="青禾县人民公园绿化养护临时工" * 2, address="青禾县青禾街道府前街" * 6)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("paper", "profile"), [(r.PAPER_80, "default"), (r.PAPER_58, "POS-5890")])
def test_summary_qr_prints_and_reads_back(paper: r.Paper, profile: str, lang: str) -> None:
    code = jobcode.summary(LONG, lang)
    assert qr_module_size(code, paper) >= 3
    slip = r.job_slip(LONG, SAMPLE_STATION, printed_at=SAMPLE_TIME, qr_data=code, lang=lang)
    result = preview.render_preview(render(slip, RenderOptions(paper, profile)), paper.dots)
    read = [b.text for b in zxingcpp.read_barcodes(Image.Image.convert(result.image, "L"))]
    assert read == [code]
    assert route(read[0], from_dict({})).value == SAMPLE_JOB.id
