"""Start-up: `gig-kiosk demo --smoke` (first frame of the attract screen, then exit) against a
bare Kivy app drawing one label, run alternately in the same session. Goal: <= 1.3x.

Needs a display (make bench runs under xvfb-run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.run import Row

HERE = Path(__file__).resolve().parent


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=120, env=os.environ | {"KIVY_NO_CONSOLELOG": "1"})
    return time.perf_counter() - t0


def run(quick: bool = False) -> list[Row]:
    if not os.environ.get("DISPLAY"):
        return [Row("startup", "skipped: no DISPLAY (run under xvfb-run)", 0, "", ok=None)]
    rounds = 3 if quick else 15  # alternating pairs; the machine is noisy, medians need many
    kiosk = [sys.executable, "-m", "kiosk.cli", "demo", "--smoke"]
    bare = [sys.executable, str(HERE / "bare_kivy.py")]
    _time(kiosk), _time(bare)  # warm the OS file cache for both
    kiosk_s, bare_s = [], []
    for _ in range(rounds):
        kiosk_s.append(_time(kiosk))
        bare_s.append(_time(bare))
    k, b = statistics.median(kiosk_s), statistics.median(bare_s)
    ratio = k / b
    return [
        Row("startup", "bare Kivy app, first frame (median)", b, "s"),
        Row("startup", "gig-kiosk demo --smoke (median)", k, "s"),
        Row("startup", "ratio kiosk / bare", ratio, "x", "<= 1.3x", ratio <= 1.3),
    ]
