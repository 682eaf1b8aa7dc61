"""Soak and touch latency (issue 17), from one `bench.soak` run in its own process and window:
RSS growth after the first 500 visits (goal <= 5 MB), threads / open files / live Kivy widgets
and textures and their leaked bindings flat, and touch -> flipped frame showing the new screen, p95 <= 2 frames at 60 Hz.

Full: the quick soak (1,000 visits; growth from visit 500). Quick: 100 visits, growth from
visit 50 (a smoke test of the harness; its RSS figure is informational). Needs a display.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import Row

RSS_GOAL_MB = 5.0
LATENCY_GOAL_FRAMES = 2.0


def run(quick: bool = False) -> list[Row]:
    if not os.environ.get("DISPLAY"):
        return [Row("soak", "skipped: no DISPLAY (run under xvfb-run)", 0, "", ok=None)]
    visits, every = (100, 50) if quick else (1_000, 500)
    with tempfile.TemporaryDirectory(prefix="gig-bench-soak-") as tmp:
        out = Path(tmp) / "soak.json"
        subprocess.run([sys.executable, "-m", "bench.soak", "--visits", str(visits), "--every", str(every),
                        "--json", str(out)], check=True, capture_output=True, timeout=6 * 3600,
                       env=os.environ | {"KIVY_NO_CONSOLELOG": "1"})
        s = json.loads(out.read_text())["summary"]
    span = f"visits {s['from_visit']}-{s['visits']}"
    rows = [
        Row("soak", f"RSS growth, {span}", s["rss_growth_mb"], "MB", f"<= {RSS_GOAL_MB:g} MB",
            None if quick else s["rss_growth_mb"] <= RSS_GOAL_MB),
    ]
    if "rss_trend_mb" in s:  # the same growth from the line through every sample, not two of them
        rows.append(Row("soak", f"RSS growth by the trend of all samples, {span}", s["rss_trend_mb"], "MB",
                        f"<= {RSS_GOAL_MB:g} MB", None if quick else s["rss_trend_mb"] <= RSS_GOAL_MB))
    for key in ("threads", "fds", "widgets", "textures", "bindings"):
        rows.append(Row("soak", f"{key} growth, {span}", s[f"{key}_growth"], "", "0", s[f"{key}_growth"] <= 0))
    if "s_per_visit" in s:
        rows.append(Row("soak", "time to drive one visit (real window, real touches)", s["s_per_visit"], "s"))
    for name, lat in s["latency_frames"].items():
        rows.append(Row("touch", f"{name}: p50 ({lat['n']} taps)", lat["p50"], "frames@60Hz"))
        rows.append(Row("touch", f"{name}: p95", lat["p95"], "frames@60Hz", f"<= {LATENCY_GOAL_FRAMES:g}",
                        lat["p95"] <= LATENCY_GOAL_FRAMES))
    return rows
