"""Statistics delivered exactly once: a kiosk process counting scripted visits is SIGKILLed at
random instants and central restarts in between; at the end central's hourly counts equal the
kiosk's to the unit, and both match the ground truth of events recorded (a kill may lose or
repeat only the event in flight). SQLite and PostgreSQL."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from central_helpers import DEMO
from sqlalchemy.orm import Session
from stats_kiosk import SPACING_S, T0, script

from central import db, stats
from central.app import create_app
from central.security import new_data_key
from central.testing import start_seeded_server, start_server
from kiosk.stats import StatsCounter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOTAL = 1500


def _central_rows(url: str, station: str) -> dict[tuple[str, str], int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT day, hour, metric, value FROM station_stats WHERE station_id = :s"),
                            {"s": station}).all()
        daily = conn.execute(sa.text("SELECT metric, sum(value) FROM station_stats_daily WHERE station_id = :s "
                                     "GROUP BY metric"), {"s": station}).all()
    engine.dispose()
    hourly = {(f"{str(d)[:10]}T{int(h):02d}", m): int(v) for d, h, m, v in rows}
    by_metric = Counter()
    for (_, m), v in hourly.items():
        by_metric[m] += v
    assert dict(by_metric) == {m: int(v) for m, v in daily}  # the day sums agree with the hours
    return hourly


def _rollups_agree(url: str, county: str) -> None:
    """The monthly sums and the county's busiest hours (kept by adding differences) say the
    same as the hours themselves, after every repeat, kill and restart."""
    engine = sa.create_engine(url)
    with Session(engine) as s:
        jan, dec31 = (date(2026, 1, 1), date(2026, 1, 31)), (date(2025, 12, 31), date(2026, 1, 31))
        assert stats.whole_months(*jan) and not stats.whole_months(*dec31)
        assert stats.heatmap(s, county, *jan) == stats.heatmap(s, county, *dec31)  # table == hours
        assert sum(map(sum, stats.heatmap(s, county, *jan))) > 0
        by_month = stats.report(s, county, *jan, "month")
        by_day = stats.report(s, county, *dec31, "month")  # partial month: from the daily table
        assert [{k: v for k, v in r.items() if k != "period"} for r in by_month] == \
               [{k: v for k, v in r.items() if k != "period"} for r in by_day]
    engine.dispose()


def test_kill_9_and_central_restarts_count_each_event_once(database_url: str, tmp_path: Path) -> None:
    key = new_data_key()
    base_url, seed, stop = start_seeded_server(database_url, demo_dir=DEMO, data_key=key, admin=False)
    station = seed["stations"][0]
    url_file, truth, data_dir = tmp_path / "url", tmp_path / "truth", tmp_path / "kiosk"
    url_file.write_text(base_url)
    env_path = f"{HERE}:{ROOT}"
    rng = random.Random(7)
    kills = restarts = 0

    def spawn() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(HERE / "stats_kiosk.py"), str(data_dir), str(url_file),
                                 station["token"], station["id"], str(truth), str(TOTAL)],
                                env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "TZ": "Asia/Shanghai"})

    def recorded() -> int:
        return len(truth.read_text().split()) if truth.exists() else 0

    try:
        while recorded() < TOTAL * 0.9:
            proc = spawn()
            time.sleep(rng.uniform(0.5, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            if kills % 3 == 0:  # central restarts on the same database, on a new port
                stop()
                engine = db.make_engine(database_url)
                base_url, stop_server = start_server(create_app(engine, key, admin=False))

                def stop(stop_server=stop_server, engine=engine) -> None:  # noqa: ANN001
                    stop_server()
                    engine.dispose()

                url_file.write_text(base_url)
                restarts += 1
        proc = spawn()  # the last run finishes counting, delivers everything and exits 0
        assert proc.wait(timeout=180) == 0
    finally:
        stop()

    assert recorded() == TOTAL and kills >= 3 and restarts >= 1
    kiosk = StatsCounter(data_dir / "stats.db")
    with kiosk._lock:
        local = {(h, m): v for h, m, v in kiosk._conn.execute("SELECT hour, metric, value FROM stats_hours")}
    assert kiosk.pending() == 0
    central = _central_rows(database_url, station["id"])
    assert central == local  # delivery: exactly once, to the unit, every hour and metric
    _rollups_agree(database_url, seed["stations"][0]["county"])

    # Ground truth: the scripted events, counted once each by a counter that never died.
    ideal = StatsCounter(tmp_path / "ideal.db")
    clock = [0.0]
    ideal.clock = ideal.monotonic = lambda: clock[0]
    for i, event in enumerate(script(TOTAL)):
        clock[0] = T0 + i * SPACING_S
        ideal.record(event)
    want, got = ideal.totals(), kiosk.totals()
    simple = ("visits", "card_reads", "job_views", "slips", "phone_saves", "registrations", "policy_views",
              "codes_scanned", "card_reads_resident", "card_reads_foreign_2023")
    extra = sum(got.get(m, 0) - want.get(m, 0) for m in simple)
    # A kill between the counter's commit and the truth line repeats that one event: at most one a kill.
    assert all(got.get(m, 0) >= want.get(m, 0) for m in simple), (got, want)
    assert extra <= kills, (extra, kills)
    assert want["visits"] > 150 and len(central) > 100  # a week of hours really travelled
    print(f"kills={kills} restarts={restarts} events={TOTAL} visits={want['visits']} "
          f"rows={len(central)} repeated_in_flight={extra}")
