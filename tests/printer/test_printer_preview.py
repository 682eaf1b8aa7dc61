"""ESC/POS → picture: text, sizes, alignment, native and raster QR (decoded back), cuts; CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from devices.printer import preview
from devices.printer.render import RenderOptions, render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from kiosk import cli
from kiosk import receipts as r

SLIP = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "receipts"


def _ink_columns(img: Image.Image, rows: int = 0) -> np.ndarray:
    """Columns with ink (in the first `rows` pixel rows if given: the first text line)."""
    a = np.asarray(img.convert("L"))
    a = a[: rows or None]
    return np.where((a < 128).any(axis=0))[0]


def _decode(img: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(img.convert("L"))]


@pytest.mark.parametrize(("paper", "profile"), [(r.PAPER_80, "default"), (r.PAPER_58, "POS-5890")])
def test_qr_in_preview_decodes(paper: r.Paper, profile: str) -> None:
    data = render(SLIP, RenderOptions(paper, profile))  # native QR, then the raster fallback
    result = preview.render_preview(data, paper.dots)
    assert result.skipped == []
    assert result.cuts == (1 if profile == "default" else 0)  # POS-5890 has a tear bar, no cutter
    assert _decode(result.image) == ["job:qh-0001"]
    assert result.image.width == paper.dots + 2 * preview.MARGIN


def test_alignment_size_and_bold_are_drawn() -> None:
    def picture(block: r.Text) -> Image.Image:
        return preview.render(render(r.Receipt("t", (block,)), RenderOptions(r.PAPER_80)))

    line = preview.MARGIN + preview.CELL_H  # first text line only, not the cut line below
    left = _ink_columns(picture(r.Text("零工")), line)
    center = _ink_columns(picture(r.Text("零工", align=r.Align.CENTER)), line)
    right = _ink_columns(picture(r.Text("零工", align=r.Align.RIGHT)), line)
    assert left[0] < center[0] < right[0]
    assert abs((center[0] + center[-1]) / 2 - (576 / 2 + preview.MARGIN)) < 4
    big = _ink_columns(picture(r.Text("零工", size=2)), preview.MARGIN + 2 * preview.CELL_H)
    assert 1.7 < (big[-1] - big[0]) / (left[-1] - left[0]) < 2.3
    ink = lambda img: int((np.asarray(img.convert("L")) < 128).sum())  # noqa: E731
    assert ink(picture(r.Text("零工", bold=True))) > ink(picture(r.Text("零工"))) * 1.1


def test_kanji_mode_off_prints_garbage_like_a_printer() -> None:
    good = render(r.Receipt("t", (r.Text("零工驿站"),)), RenderOptions(r.PAPER_80))
    without_fs = good.replace(b"\x1c&", b"")
    assert preview.render(good).tobytes() != preview.render(without_fs).tobytes()
    # Same bytes, Kanji off: two single-byte glyphs per character instead of one wide glyph.
    line = preview.MARGIN + preview.CELL_H
    assert len(_ink_columns(preview.render(without_fs), line)) != len(_ink_columns(preview.render(good), line))


def test_unknown_commands_are_listed_not_fatal() -> None:
    result = preview.render_preview(b"\x1b@\x1bzAB\n\x1dV\x00")
    assert result.skipped == ["?"] and result.cuts == 1


def test_cli_sample_and_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "slip.bin"
    png = tmp_path / "slip.png"
    assert cli.main(["receipt", "sample", "--width", "58", "--out", str(out)]) == 0
    assert out.read_bytes() == render(SLIP, RenderOptions(r.PAPER_58))
    assert cli.main(["receipt", "preview", str(out), "--width", "58", "--out", str(png)]) == 0
    assert "1 cut(s), 1 QR" in capsys.readouterr().out
    img = Image.open(png)
    assert img.width == 384 + 2 * preview.MARGIN and _decode(img) == ["job:qh-0001"]
    assert cli.main(["receipt", "preview", str(tmp_path / "missing.bin"), "--out", str(png)]) == 2


def test_cli_print_test_on_simulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "test.png"
    config = tmp_path / "station.toml"
    config.write_text('[devices.printer]\nmodel = "epson-tm-t88"\n', encoding="utf-8")
    args = ["print-test", "--simulate", "--preview", str(png), "--timeout", "10"]
    assert cli.main([*args, "--config", str(config)]) == 0
    assert "confirmed by the printer" in capsys.readouterr().out
    assert sorted(_decode(Image.open(png))) == ["test:demo-park:image", "test:demo-park:native"]
    # A model without status (XP-58 class) is asked nothing: the page goes out unconfirmed,
    # and print-test says so and exits 1 (the maintainer must look at the slip).
    config.write_text('[devices.printer]\nmodel = "xprinter-xp58"\n', encoding="utf-8")
    assert cli.main([*args, "--config", str(config)]) == 1
    assert "unconfirmed" in capsys.readouterr().out


def test_docs_samples_exist() -> None:
    for name in ("job_slip_80mm.png", "job_slip_58mm.png"):
        assert (DOCS / name).exists(), name


def test_raster_rendering_in_threads_leaves_stdout_alone(capsys: pytest.CaptureFixture[str]) -> None:
    """The print service and a preview render at the same time; rendering once swapped the
    process-wide sys.stdout (redirect_stdout), and a race left it pointing at a buffer, so
    `gig-kiosk print-test` lost its result line and exited 0 having said nothing."""
    import sys
    import threading

    from devices.printer.render import qr_image, raster_bytes

    before = sys.stdout
    img = qr_image("job:qh-0001", 4, 384)
    threads = [threading.Thread(target=lambda: [raster_bytes(img) for _ in range(30)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sys.stdout is before
    assert capsys.readouterr().out == ""  # escpos' width notice is not printed either
