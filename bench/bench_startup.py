"""Start-up: `gig-kiosk demo --smoke` (first frame of the attract screen, then exit) against a
bare Kivy app drawing one label, run alternately in the same session. Goal: <= 1.25x, in wall
time and in CPU time (issue 17).

The kiosk validates its settings, opens its cache and starts its devices in the frame after
the first one, so the row for `--smoke ready` (stop on the first frame drawn once the devices
have answered) shows what the deferral moves, and how long it is until a tap is served by the
real services.

Needs a display (make bench runs under xvfb-run).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.run import Row

HERE = Path(__file__).resolve().parent


def _time(cmd: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (user + system, every thread) appended to cpu."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=120, env=os.environ | {"KIVY_NO_CONSOLELOG": "1"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def run(quick: bool = False) -> list[Row]:
    if not os.environ.get("DISPLAY"):
        return [Row("startup", "skipped: no DISPLAY (run under xvfb-run)", 0, "", ok=None)]
    rounds = 3 if quick else 15  # alternating; the machine is noisy, medians need many
    commands = {
        "first": [sys.executable, "-m", "kiosk.cli", "demo", "--smoke"],
        "bare": [sys.executable, str(HERE / "bare_kivy.py")],
        "ready": [sys.executable, "-m", "kiosk.cli", "demo", "--smoke", "ready"],
    }
    load_before = os.getloadavg()[0]
    for cmd in commands.values():  # warm the OS file cache for each
        _time(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(_time(cmd, cpu[name]))
    first, bare, ready = (statistics.median(times[n]) for n in ("first", "bare", "ready"))
    load_after = os.getloadavg()[0]
    cpu_ratio = statistics.median(cpu["first"]) / statistics.median(cpu["bare"])
    # Each round runs the three back to back, so a round's own ratio cancels the machine's slow
    # spells; its median and quartiles show how far to trust the ratio of medians.
    paired = sorted(f / b for f, b in zip(times["first"], times["bare"], strict=True))
    q1, _, q3 = statistics.quantiles(paired, n=4) if len(paired) > 1 else (paired[0],) * 3
    return [
        Row("startup", "bare Kivy app, first frame (median)", bare, "s"),
        Row("startup", f"  its spread, max - min (min {min(times['bare']):.2f} s)",
            max(times["bare"]) - min(times["bare"]), "s"),
        Row("startup", "gig-kiosk demo --smoke: first frame (median)", first, "s"),
        Row("startup", f"  its spread, max - min (min {min(times['first']):.2f} s)",
            max(times["first"]) - min(times["first"]), "s"),
        Row("startup", "ratio kiosk / bare", first / bare, "x", "<= 1.25x", first / bare <= 1.25),
        Row("startup", f"ratio per round, median of {rounds} (quartiles {q1:.2f}-{q3:.2f})",
            statistics.median(paired), "x"),
        # On a busy machine the fastest run of each is the one least slowed by the others.
        Row("startup", "ratio of the fastest runs, kiosk / bare", min(times["first"]) / min(times["bare"]), "x"),
        # CPU time hardly depends on how busy the machine is (wall time does: the X server and
        # the other processes); the process's CPU includes Mesa's llvmpipe drawing the frame.
        Row("startup", "CPU time ratio kiosk / bare (medians; "
            f"{statistics.median(cpu['first']):.2f} s / {statistics.median(cpu['bare']):.2f} s)",
            cpu_ratio, "x", "<= 1.25x", cpu_ratio <= 1.25),
        Row("startup", f"machine load (1-min average) before the runs; after: {load_after:.1f}", load_before, ""),
        Row("startup", "demo --smoke ready: services started, devices answered, next frame (median)", ready, "s"),
        Row("startup", "ratio ready / bare", ready / bare, "x"),
    ]
