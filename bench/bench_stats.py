"""服务成效 statistics at county scale: 2,000 stations x 365 days on PostgreSQL; p95 of one
month's dashboard queries (issue 13 goal: <= 200 ms) and of the API's month report.

Data: station_stats_daily gets 10 metrics a station-day (7.3 M rows); station_stats (hourly)
gets the visits of 12 opening hours a day (8.8 M rows); the monthly sums and the county's
busiest hours are filled from them as central.stats.store keeps them. A whole month reads the
monthly tables (one row per station and metric; 7 x 24 heat cells for the county).
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from sqlalchemy import text

from bench.run import Row

METRICS = ("visits", "card_reads", "codes_scanned", "job_views", "slips", "phone_saves", "registrations",
           "policy_views", "large_text", "visit_1_3m")


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def _fill(engine, stations: int, days: int) -> None:  # noqa: ANN001
    from sqlalchemy.orm import Session

    from central.models import County, Station

    with Session(engine) as s:
        s.add(County(code="big", name="大县", key_id="k", public_key=b"0" * 32, private_key_enc=b"0"))
        s.add_all(Station(id=f"s{i:04d}", county="big", name=f"驿站{i}", lat=31.0, lng=117.0,
                          token_hash=f"{i:064d}") for i in range(stations))
        s.commit()
    metrics = ",".join(f"'{m}'" for m in METRICS)
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO station_stats_daily (day, station_id, metric, value)
            SELECT DATE '2025-01-01' + d, 's' || lpad(i::text, 4, '0'), m, (random() * 60)::int
            FROM generate_series(0, {days - 1}) d, generate_series(0, {stations - 1}) i,
                 unnest(ARRAY[{metrics}]) m"""))
        conn.execute(text(f"""
            INSERT INTO station_stats (station_id, day, hour, metric, value)
            SELECT 's' || lpad(i::text, 4, '0'), DATE '2025-01-01' + d, h, 'visits', (random() * 8)::int
            FROM generate_series(0, {days - 1}) d, generate_series(0, {stations - 1}) i,
                 generate_series(8, 19) h"""))
        # the roll-ups central.stats.store keeps (tests check it keeps them equal to the hours)
        conn.execute(text("""
            INSERT INTO station_stats_monthly (month, station_id, metric, value)
            SELECT date_trunc('month', day)::date, station_id, metric, sum(value)
            FROM station_stats_daily GROUP BY 1, 2, 3"""))
        conn.execute(text("""
            INSERT INTO county_visit_hours (county, month, weekday, hour, value)
            SELECT 'big', date_trunc('month', day)::date, extract(isodow FROM day)::int - 1, hour, sum(value)
            FROM station_stats WHERE metric = 'visits' GROUP BY 1, 2, 3, 4"""))
        conn.execute(text("ANALYZE"))


def run(quick: bool) -> list[Row]:
    from sqlalchemy.orm import Session

    from central import db, stats
    from central.pgcluster import PostgresUnavailable, create_database, start_cluster

    stations, days, reps = (200, 365, 10) if quick else (2000, 365, 20)
    try:
        admin, stop = start_cluster()
    except PostgresUnavailable as exc:
        return [Row("stats", f"skipped: {exc}", 0, "", ok=None)]
    try:
        engine = db.make_engine(create_database(admin, f"bench_stats_{int(time.time())}"))
        db.migrate(engine)
        t0 = time.perf_counter()
        _fill(engine, stations, days)
        fill_s = time.perf_counter() - t0
        start, end = date(2025, 7, 1), date(2025, 7, 31)
        dash, api, base = [], [], []
        for _ in range(reps + 2):
            with Session(engine) as s:
                # baseline: fetching the month's rows as stored, with no work at all on them
                t = time.perf_counter()
                s.execute(text("SELECT station_id, metric, value FROM station_stats_monthly WHERE month = :m"),
                          {"m": start}).all()
                base.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                per = stats.station_totals(s, "big", start, end)
                top = sorted(per, key=lambda k: -per[k]["visits"])[:6]
                stats.daily_series(s, top, ("visits", "registrations"), start, end)
                grid = stats.heatmap(s, "big", start, end)
                dash.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                rows = stats.report(s, "big", start, end, "month")
                api.append((time.perf_counter() - t) * 1000)
        dash, api, base = dash[2:], api[2:], base[2:]  # the first runs warm the cache
        assert len(per) == stations and len(rows) == stations and sum(map(sum, grid)) > 0
        engine.dispose()
    finally:
        stop()
    return [
        Row("stats", f"fill {stations} stations x {days} days (PostgreSQL)", fill_s, "s", ok=None),
        Row("stats", "baseline p95: fetch the month's stored rows, no work", _p95(base), "ms", ok=None),
        Row("stats", "dashboard month p95 / baseline", _p95(dash) / _p95(base), "x", ok=None),
        Row("stats", "dashboard month p95 (totals + 6 lines + heat map)", _p95(dash), "ms", "<= 200 ms",
            _p95(dash) <= 200),
        Row("stats", "API month report p95 (GET /v1/counties/{code}/stats)", _p95(api), "ms", "<= 200 ms",
            _p95(api) <= 200),
    ]
