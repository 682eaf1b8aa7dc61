"""Thermal printing: bytes of an 80 mm job slip in text mode vs the same slip as one raster
image (how image-based POS stacks print it), time on a 9600-baud serial line, time to build
the bytes, submit→confirmed through the print queue on the simulator (loopback TCP), and the
cost of python-escpos's printer database in a new process with and without our cache.

The raster baseline is the text slip drawn by our preview (exactly what the paper shows),
cropped to the 576-dot print width and sent as GS v 0 — built in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.run import Row
from devices.printer import preview
from devices.printer.render import RenderOptions, raster_bytes, render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from devices.printer.service import PrintService
from devices.printer.simulator import PrinterSimulator
from kiosk import receipts as r
from kiosk.settings import PrinterSettings

NAME = "bench_printer"
BAUD = 9600


def _serial_s(size: int, baud: int = BAUD) -> float:
    return size * 10 / baud  # 8N1: start + 8 data + stop bits per byte


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _raster_slip(text_bytes: bytes) -> bytes:
    img = preview.render(text_bytes, r.PAPER_80.dots)
    m = preview.MARGIN
    img = img.crop((m, m, m + r.PAPER_80.dots, img.height - m)).convert("1")
    return b"\x1b@" + raster_bytes(img) + b"\x1dV\x00"


def _queue_ms(jobs: int) -> list[float]:
    sim = PrinterSimulator()
    host, port = sim.start()
    done: dict[str, float] = {}
    cond = threading.Condition()

    def on_done(job_id: str, ok: bool) -> None:
        with cond:
            done[job_id] = time.perf_counter()
            cond.notify_all()

    svc = PrintService(PrinterSettings(connection="network", host=host, port=port),
                       on_job_done=on_done, poll_s=0.02, idle_poll_s=1.0)
    svc.start()
    out = []
    try:
        slip = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
        for _ in range(jobs):
            t0 = time.perf_counter()
            job_id = svc.submit(slip)
            with cond:
                cond.wait_for(lambda jid=job_id: jid in done, 10)
            out.append((done[job_id] - t0) * 1000)
    finally:
        svc.stop()
        sim.stop()
    return out


def _import_ms(rounds: int) -> tuple[float, float]:
    """`import devices.printer` in a new process: with our cached printer database, and the
    way python-escpos does it alone (a fresh pickle folder each time: a full parse)."""
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-c", "import devices.printer"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCPOS_")} | {"PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as tmp:
        cached_env = env | {"XDG_CACHE_HOME": tmp}
        subprocess.run(cmd, env=cached_env, check=True)  # builds the cache
        cached, fresh = [], []
        for _ in range(rounds):
            for times, extra in ((cached, {}), (fresh, {"ESCPOS_CAPABILITIES_PICKLE_DIR": tempfile.mkdtemp(dir=tmp)})):
                t0 = time.perf_counter()
                subprocess.run(cmd, env=cached_env | extra, check=True)
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(cached), statistics.median(fresh)


def run(quick: bool) -> list[Row]:
    repeat = 5 if quick else 40
    slip = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
    opts = RenderOptions(r.PAPER_80)
    text = render(slip, opts)
    raster = _raster_slip(text)
    ratio = len(text) / len(raster)
    build_ms = _median_ms(lambda: render(slip, opts), repeat)
    raster_ms = _median_ms(lambda: _raster_slip(render(slip, opts)), max(3, repeat // 8))
    queue = _queue_ms(3 if quick else 20)
    cached_ms, fresh_ms = _import_ms(3 if quick else 12)
    return [
        Row(NAME, "80mm job slip, text mode + native QR", len(text), "B", "<= 2048 B", len(text) <= 2048),
        Row(NAME, "same slip as one raster image (GS v 0)", len(raster), "B"),
        Row(NAME, "text / raster size", ratio, "x", "<= 0.05", ratio <= 0.05),
        Row(NAME, "text slip on 9600-baud serial (computed)", _serial_s(len(text)), "s"),
        Row(NAME, "raster slip on 9600-baud serial (computed)", _serial_s(len(raster)), "s"),
        Row(NAME, "build text bytes (median)", build_ms, "ms"),
        Row(NAME, "build raster bytes (median, same run)", raster_ms, "ms"),
        Row(NAME, "text build / raster build time", build_ms / raster_ms, "x", "<= 0.2", build_ms / raster_ms <= 0.2),
        Row(NAME, "submit -> confirmed on simulator (median, TCP)", statistics.median(queue), "ms"),
        Row(NAME, "new process: import devices.printer, cached database", cached_ms, "ms"),
        Row(NAME, "same, python-escpos parsing its database (same run)", fresh_ms, "ms"),
        Row(NAME, "cached / parsing", cached_ms / fresh_ms, "x", "<= 0.8", cached_ms / fresh_ms <= 0.8),
    ]
