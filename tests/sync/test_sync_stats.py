"""Statistics through the real sync against the real server: a kiosk offline for a week
delivers its week when back; a lost answer re-sends the same absolute values (no double
count); the counter keeps no personal data and buckets visit lengths."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sync_helpers import Central, kiosk_settings, make_outbox

from kiosk.api import ApiClient, ApiOffline
from kiosk.netsim import FaultProxy
from kiosk.remote_config import RemoteConfig
from kiosk.stats import StatsCounter, hour_of
from kiosk.store import Store
from kiosk.sync import SyncWorker

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def _central_sums(central: Central, station: str) -> dict[str, int]:
    engine = create_engine(central.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT metric, sum(value) FROM station_stats WHERE station_id = :s "
                                 "GROUP BY metric"), {"s": station}).all()
    engine.dispose()
    return {m: int(v) for m, v in rows}


def _visit(counter: StatsCounter, now: list[float], events: list[str], seconds: float) -> None:
    for e in ["visit_started", *events]:
        counter.record(e)
    now[0] += seconds
    counter.record("visit_ended")


def test_a_week_offline_is_delivered_once_when_back(fresh_central: Central, tmp_path: Path) -> None:
    central = fresh_central
    now = [T0]
    counter = StatsCounter(tmp_path / "stats.db", clock=lambda: now[0], monotonic=lambda: now[0])
    proxy = FaultProxy(("127.0.0.1", central.port))
    settings = kiosk_settings(central, tmp_path, base_url=proxy.url)
    w = SyncWorker(settings, Store(tmp_path / "cache.db"), make_outbox(tmp_path),
                   ApiClient(settings.api, retries=0), RemoteConfig(settings, tmp_path), device_health=dict,
                   stats=counter)
    proxy.set("refuse")
    visits = 0
    for hour in range(7 * 24):  # a week, a visit every 2 hours, each with a job view and a slip
        now[0] = T0 + hour * 3600
        if hour % 2 == 0:
            _visit(counter, now, ["job_viewed", "slip_printed", "english_on", "english_on"], 200)
            visits += 1
        if hour % 24 == 0:
            with pytest.raises(ApiOffline):
                w.send_stats()
    assert counter.pending() == 84 * 5  # visits, job views, slips, english, length bucket per hour
    proxy.set("pass")
    report = w.run_cycle()
    assert report.stats == {"sent": 84 * 5, "pending": 0}
    want = {"visits": visits, "job_views": visits, "slips": visits, "english": visits, "visit_3_10m": visits}
    assert _central_sums(central, central.station["id"]) == want
    # the same rows again (as after a lost answer): central sets, so nothing doubles
    with sqlite3.connect(tmp_path / "stats.db") as conn:
        conn.execute("UPDATE stats_hours SET sent = -1")
    assert w.send_stats() == {"sent": 84 * 5, "pending": 0}
    assert _central_sums(central, central.station["id"]) == want
    proxy.stop()


def test_counter_rows_and_buckets(tmp_path: Path) -> None:
    now = [T0]
    c = StatsCounter(tmp_path / "stats.db", clock=lambda: now[0], monotonic=lambda: now[0])
    for seconds in (30, 90, 400, 900):
        _visit(c, now, ["card_read", "card_read_foreign_2023", "large_text_on", "read_aloud", "read_aloud"], seconds)
    c.record("not_an_event")  # unknown names are not counted and never raise
    assert c.totals() == {"visits": 4, "card_reads": 4, "card_reads_foreign_2023": 4, "large_text": 4,
                          "read_aloud": 4, "visit_under_1m": 1, "visit_1_3m": 1, "visit_3_10m": 1,
                          "visit_10m_plus": 1}
    with sqlite3.connect(tmp_path / "stats.db") as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(stats_hours)")]
        hours = {r[0] for r in conn.execute("SELECT hour FROM stats_hours")}
    assert cols == ["hour", "metric", "value", "sent"]  # no person, no visit, nothing finer than the hour
    assert hours == {hour_of(T0)}
