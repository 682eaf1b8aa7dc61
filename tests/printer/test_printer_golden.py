"""Golden ESC/POS bytes for every slip at both widths, plus what the bytes must contain.

Regenerate after an intended change with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/printer`
and look at the previews (`gig-kiosk receipt preview`) before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devices.printer.cli_receipt import build_sample
from devices.printer.escpos_stream import tokens
from devices.printer.render import RenderOptions, encode_text, render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from kiosk import receipts as r

GOLDEN = Path(__file__).parent / "golden"
KINDS = ["job", "application", "policy", "test"]


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("kind", KINDS)
def test_golden_bytes(kind: str, width: int) -> None:
    data = build_sample(kind, width, SAMPLE_TIME)
    path = GOLDEN / f"{kind}_{width}.bin"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_bytes(data)
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
    assert data == path.read_bytes(), f"{path.name} changed; see the module docstring"


@pytest.mark.parametrize("width", [58, 80])
def test_slip_bytes_are_explicit_about_chinese(width: int) -> None:
    data = build_sample("job", width, SAMPLE_TIME)
    assert data.startswith(b"\x1b@\x1c&")  # ESC @ then FS & (Kanji on) before any text
    assert data.endswith(b"\x1dV\x00")  # full cut
    text = b"".join(t.data for t in tokens(data) if t.op == "text")
    assert b"?" not in text  # nothing fell back to a code page
    decoded = text.decode("gb18030")
    assert "商场保洁员" in decoded and "，" in decoded and "元/天" in decoded
    assert b"\x1d(k" in data  # native QR with the default profile
    assert len(data) < 2048  # the budget for a text-mode slip


def test_punctuation_and_yen_are_gb18030() -> None:
    # MagicEncode would send these alone as single-byte code page '?'
    assert encode_text("，￥") == "，￥".encode("gb18030") == b"\xa3\xac\xa3\xa4"
    assert encode_text("¥") == b"\xa3\xa4"  # the 4-byte GB18030 yen most fonts lack -> fullwidth
    assert encode_text("ok") == b"ok"


def test_japanese_market_printer_is_switched_back() -> None:
    slip = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
    data = render(slip, RenderOptions(r.PAPER_80, kanji_mode_default=False))
    assert data.startswith(b"\x1b@\x1c&") and b"\x1c." in data[-16:]


def test_qr_falls_back_to_an_image_without_native_support() -> None:
    slip = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
    data = render(slip, RenderOptions(r.PAPER_58, profile="POS-5890"))  # profile without qrCode
    ops = [t.op for t in tokens(data)]
    assert "GS v 0" in ops and "GS ( k" not in ops
