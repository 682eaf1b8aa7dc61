"""Each printer family's firmware (simulator modes) gets a slip it prints right from the
model table's settings; the old Epson-style bytes misprint on the same simulated printers.

Golden files: golden/families.json holds the SHA-256 and size of the job slip bytes per model
(the slips with raster lines are 10-25 KB each). Regenerate after an intended change with
`UPDATE_GOLDEN=1` and look at the previews (`PREVIEW_DIR=/tmp/x` writes them) first.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest
import zxingcpp
from printer_testkit import Events

from devices.printer import preview
from devices.printer.render import RenderOptions, render
from devices.printer.sample import SAMPLE_JOB_RARE, SAMPLE_STATION, SAMPLE_TIME
from devices.printer.service import PrintService
from devices.printer.simulator import FAMILIES, PrinterSimulator
from kiosk import printer_models as models
from kiosk import receipts as r
from kiosk.settings import PrinterSettings

GOLDEN = Path(__file__).parent / "golden" / "families.json"
SLIP = r.job_slip(SAMPLE_JOB_RARE, SAMPLE_STATION, printed_at=SAMPLE_TIME)
QR = "job:qh-0002"


def _print_on(sim: PrinterSimulator, data: bytes, dots: int = 576) -> preview.Preview:
    """Send the bytes over the simulator's TCP port; the slip it printed, as it draws it."""
    addr = sim.start()
    with socket.create_connection(addr) as conn:
        conn.sendall(data)
        assert sim.wait_printed(1, 10), "no slip came out"
    return preview.render_preview(sim.printed[0], dots, sim.emulation)


def _codes(p: preview.Preview) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(p.image.convert("L"))]


def _save(p: preview.Preview, name: str) -> None:
    if os.environ.get("PREVIEW_DIR"):
        p.image.save(Path(os.environ["PREVIEW_DIR"]) / f"{name}.png")


def test_every_model_has_a_simulated_family() -> None:
    assert set(FAMILIES) == set(models.table())


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_family_prints_its_slip_right(key: str) -> None:
    m = models.resolve(key)
    data = render(SLIP, RenderOptions.for_model(m))
    with PrinterSimulator.family(key) as sim:
        result = _print_on(sim, data, m.dots)
    _save(result, f"family_{key}")
    assert _codes(result) == [QR]  # the QR reads, whatever the firmware does with GS ( k
    assert not any("\ufffd" in line for line in result.text), result.text  # no broken pair
    assert any("商场保洁员" in line for line in result.text)
    assert not any(QR in line for line in result.text)  # no payload printed as text
    assert result.cuts == (0 if m.cut == "none" else 1)
    assert result.image.width == m.dots + 2 * preview.MARGIN

    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    got = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if os.environ.get("UPDATE_GOLDEN"):
        golden[key] = got
        GOLDEN.write_text(json.dumps(dict(sorted(golden.items())), indent=1) + "\n")
    assert golden.get(key) == got, f"{key}: slip bytes changed; see the module docstring"


@pytest.mark.parametrize(("key", "symptom"), [
    ("xprinter-xp58", "payload as text"),  # ZJ-5890: no QR command
    ("epson-tm-t88iii", "payload as text"),
    ("sprt-pos76ii", "broken pairs"),  # GBK lead bytes in 0x80-0x9F
    ("cashino-kp628e", "broken pairs"),  # GBK font, 4-byte GB18030 sequences
    ("gprinter", "broken pairs"),  # GB2312 font
])
def test_the_old_epson_style_bytes_misprint_there(key: str, symptom: str) -> None:
    data = render(SLIP, RenderOptions(r.PAPER_80))  # native QR, all text GB18030 (before issue 21)
    with PrinterSimulator.family(key) as sim:
        result = _print_on(sim, data)
    _save(result, f"old_{key}")
    if symptom == "payload as text":
        assert QR not in _codes(result) and any(QR in line for line in result.text)
    else:
        assert any("\ufffd" in line for line in result.text)


@pytest.mark.parametrize(("key", "confirmed"), [
    ("xprinter-xp58", False),  # no DLE EOT: sent, unconfirmed
    ("rongta-02n", False),
    ("epson-tm-t88", True),  # GS ( H answered
    ("epson-tm-t82", True),  # status ready for the whole print time
])
def test_print_service_on_each_kind_of_status(key: str, confirmed: bool) -> None:
    ev = Events()
    with PrinterSimulator.family(key) as sim:
        host, port = sim.start()
        cfg = PrinterSettings(connection="network", host=host, port=port, model=key)
        svc = PrintService(cfg, on_job_done=ev.on_done, on_job_problem=ev.on_problem, poll_s=0.05,
                           idle_poll_s=0.1, status_timeout_s=0.3)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.done, 15), (svc.status, ev.problems)
            assert ev.done == [(job_id, confirmed)] and ev.problems == []
            assert sim.wait_printed(1, 5)
            assert sim.printed[0] == render(SLIP, svc.options)
        finally:
            svc.stop()


@pytest.mark.parametrize(("key", "readable"), [
    ("epson-tm-t88", ["test:demo-park:native", "test:demo-park:image"]),
    ("xprinter-xp58", ["test:demo-park:image"]),  # no QR command: A prints as text
])
def test_maintenance_page_shows_which_qr_and_charset_work(key: str, readable: list[str]) -> None:
    from devices.printer.cli_receipt import build_sample

    m = models.resolve(key)
    data = build_sample("test", m.width_mm, SAMPLE_TIME, model=key)
    with PrinterSimulator.family(key) as sim:
        result = _print_on(sim, data, m.dots)
    _save(result, f"test_page_{key}")
    assert sorted(_codes(result)) == sorted(readable)
    lines = result.text
    gbk = next(line for line in lines if line.startswith("GBK:"))
    assert ("喆堃珺" in gbk) is (sim.state.charset != "gb2312")  # the printer's own font shows
    ruler = lines[lines.index("12345678901234567890123456789|32"):][:5]
    # the 42- and 48-column rulers wrap on a 32-column printer, only the 48 on a 42-column one
    wrapped = {32: ["3456789|42", "3456789012345|48"], 42: ["345|48"]}
    assert all(part in ruler for part in wrapped[m.columns]), ruler
