"""At rest: what the whole kiosk costs while nobody is at it, against a bare Kivy app idling.

`gig-kiosk demo --camera-fps 30` (attract screen, simulated camera at 30 fps, ID-card reader
and printer polled, embedded central and sync running) and `bench/bare_kivy.py --idle` (one
label, nothing else) run side by side in the same windows of time, so machine load hits both
alike. CPU is process CPU time (user + sys of the process and its children, from /proc), not
wall-clock: the machine is shared. Goal (issue 17): kiosk <= 1.0x bare.

Needs a display (make bench runs under xvfb-run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.run import Row

HERE = Path(__file__).resolve().parent
NAME = "rest"
_TICKS = os.sysconf("SC_CLK_TCK")
CALM = 0.05  # below 5 % of a core over 3 s: the demo's start-up work is over


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        return f.read().rsplit(")", 1)[1].split()  # after "pid (comm)": comm may hold spaces


def cpu_seconds(root: int) -> float:
    """user + sys CPU seconds of `root` and every live descendant (threads included)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent[int(entry)] = int(_stat(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / _TICKS


def _start(cmd: list[str]) -> subprocess.Popen:
    env = os.environ | {"KIVY_NO_CONSOLELOG": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def measure(settle_s: float, window_s: float, rounds: int, extra_args: tuple[str, ...] = ()) -> dict[str, list[float]]:
    """Fractions of a core per round for the kiosk and the bare app, measured in the same windows."""
    procs = {
        "kiosk": _start([sys.executable, "-m", "kiosk.cli", "demo", "--camera-fps", "30", *extra_args]),
        "bare": _start([sys.executable, str(HERE / "bare_kivy.py"), "--idle"]),
    }
    out: dict[str, list[float]] = {name: [] for name in procs}
    try:
        time.sleep(settle_s)  # windows open, services started
        # The embedded central's first sync (jobs, policies, config) can take tens of seconds
        # on a loaded machine: at rest only once the kiosk stops working (or 90 s have passed).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            before = cpu_seconds(procs["kiosk"].pid)
            time.sleep(3)
            if (cpu_seconds(procs["kiosk"].pid) - before) / 3 < CALM:
                break
        for _ in range(rounds):
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} while at rest")
            c0 = {name: cpu_seconds(p.pid) for name, p in procs.items()}
            t0 = time.monotonic()
            time.sleep(window_s)
            c1 = {name: cpu_seconds(p.pid) for name, p in procs.items()}
            dt = time.monotonic() - t0
            for name in procs:
                out[name].append((c1[name] - c0[name]) / dt)
    finally:
        for proc in procs.values():
            _stop(proc)
    return out


class _Copying:
    """A capture that hands out a fresh copy of each frame (the simulator before issue 17's
    rest work, and what cv2.VideoCapture.read() without an output array does)."""

    def __init__(self, cap: Any) -> None:
        self._cap = cap

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self._cap.isOpened()

    def read(self) -> tuple[bool, Any]:
        ok, frame = self._cap.read()
        return ok, (frame.copy() if ok else frame)

    def release(self) -> None:
        self._cap.release()


CAMERA_CASES: dict[str, tuple[dict[str, Any], bool]] = {  # name -> CameraScanner keywords, and whether each frame is copied
    "every": ({"scene_watch": False}, False),
    "copy": ({"rest_fps": None}, True),
    "change": ({"rest_fps": None}, False),
    "rest": ({}, False),
}


def camera_at_rest(seconds: float) -> dict[str, float]:
    """Fraction of a core of the camera pipeline alone on a static empty scene at 30 fps, one
    case after the other in this process: decoding every frame (extra passes 3 times a
    second); the scene watch (decode on change) with each frame copied; without the copy;
    and with the camera read at rest_fps while the scene is unchanged."""
    from devices.scanner import synthetic
    from devices.scanner.camera import CameraScanner
    from devices.scanner.simulator import SimulatedCamera

    out = {}
    for name, (kw, copying) in CAMERA_CASES.items():
        cam = SimulatedCamera([synthetic.empty_scene(0)], fps=30)
        source = (lambda cam=cam: _Copying(cam())) if copying else cam
        scanner = CameraScanner(source, lambda _c: None, **kw)
        scanner.start()
        time.sleep(2.0)  # opened, first decodes and the settling second over
        c0, t0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        out[name] = (time.process_time() - c0) / (time.monotonic() - t0)
        scanner.stop()
    return out


def run(quick: bool = False) -> list[Row]:
    cam = camera_at_rest(3 if quick else 10)
    rows = [
        Row(NAME, "camera alone, static scene 30 fps: CPU, decode on change, read at 6 fps at rest",
            cam["rest"] * 100, "% of a core"),
        Row(NAME, "same, every frame read (same run)", cam["change"] * 100, "% of a core"),
        Row(NAME, "same, every frame read and copied (the simulator before; same run)", cam["copy"] * 100,
            "% of a core"),
        Row(NAME, "same, decoding every frame (same run)", cam["every"] * 100, "% of a core"),
    ]
    if not os.environ.get("DISPLAY"):
        return [*rows, Row(NAME, "skipped: no DISPLAY (run under xvfb-run)", 0, "", ok=None)]
    res = measure(settle_s=10 if quick else 20, window_s=5 if quick else 20, rounds=1 if quick else 3)
    kiosk, bare = statistics.median(res["kiosk"]), statistics.median(res["bare"])
    ratios = ", ".join(f"{k / b:.2f}" for k, b in zip(res["kiosk"], res["bare"], strict=True))
    return [
        *rows,
        Row(NAME, "bare Kivy label app idling: CPU (median of windows)", bare * 100, "% of a core"),
        Row(NAME, "demo at rest on the attract screen, camera 30 fps: CPU", kiosk * 100, "% of a core"),
        Row(NAME, f"ratio kiosk at rest / bare Kivy (per window: {ratios})", kiosk / bare, "x",
            "<= 1.0x", kiosk / bare <= 1.0),
    ]
