"""The map view's layout (kiosk.mapview.layout) with a full circle: 200 jobs (the search's
page) inside the 15-minute ring, placed and merged into markers, as on every map redraw.

Baseline, measured in the same run: the same merge comparing every pair of groups again
after each merge (the first version, 0.5 s on the development machine: too slow for a tap).
Goal: the grid merge at least 20 times faster and p95 <= 50 ms, with no two markers overlapping
and every job in one of them.
"""

from __future__ import annotations

import math
import random
import statistics
import time

from bench.run import Row
from kiosk import mapview
from kiosk.geo import haversine_km

LAT0, LNG0 = 31.30, 117.25


def _points(n: int, seed: int = 1) -> list[mapview.MapPoint]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        e, north = rng.uniform(-0.85, 0.85), rng.uniform(-0.85, 0.85)
        lat = LAT0 + math.degrees(north / 6371.0088)
        lng = LNG0 + math.degrees(e / (6371.0088 * math.cos(math.radians(LAT0))))
        out.append(mapview.MapPoint(f"j{i}", lat, lng, haversine_km(LAT0, LNG0, lat, lng), i % 3 == 0))
    return out


def _all_pairs_merge(groups: list, dot_px: float, edge_px: float) -> list:
    """The baseline: after every merge, compare all pairs again from the start."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            xi, yi = groups[i].centre(edge_px)
            for j in range(i + 1, len(groups)):
                if groups[j].edge != groups[i].edge:
                    continue
                xj, yj = groups[j].centre(edge_px)
                if math.hypot(xi - xj, yi - yj) < dot_px:
                    groups[i].absorb(groups[j])
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def _time(fn, repeat: int) -> list[float]:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def run(quick: bool = False) -> list[Row]:
    pts = _points(200)
    kw = dict(radius_px=300, dot_px=48)
    grid = _time(lambda: mapview.layout(pts, LAT0, LNG0, **kw), 10 if quick else 50)
    fast = mapview.layout(pts, LAT0, LNG0, **kw)
    real = mapview._merge
    try:
        mapview._merge = _all_pairs_merge
        base = _time(lambda: mapview.layout(pts, LAT0, LNG0, **kw), 2 if quick else 5)
        slow = mapview.layout(pts, LAT0, LNG0, **kw)
    finally:
        mapview._merge = real
    p95 = statistics.quantiles(grid, n=20)[-1]
    ratio = statistics.median(base) / statistics.median(grid)
    apart = all(math.hypot(a.x - b.x, a.y - b.y) >= kw["dot_px"] for i, a in enumerate(fast) for b in fast[i + 1:]
                if a.edge == b.edge)
    kept = sorted(j for m in fast for j in m.job_ids) == sorted(p.job_id for p in pts)
    return [
        Row("mapview", "layout of 200 jobs in the circle, p95", p95, "ms", "<= 50 ms", p95 <= 50),
        Row("mapview", "all-pairs merge (baseline), median", statistics.median(base), "ms"),
        Row("mapview", "speed-up over the all-pairs merge", ratio, "x", ">= 20x", ratio >= 20),
        Row("mapview", f"markers (all-pairs: {len(slow)})", len(fast), "", "none overlap, no job lost", apart and kept),
    ]
