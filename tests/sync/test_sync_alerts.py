"""The station's own open alerts travel back with the heartbeat answer (central/alerts.py) and
are kept by the kiosk for the maintenance screen, across a restart; the heartbeat carries the
vitals central's alerts need (clock, interval, outbox age, disk)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sync_helpers import Central, kiosk_settings, make_outbox

from central import db
from central.alerts import run_alerts
from central.services import now
from kiosk.api import ApiClient
from kiosk.remote_config import RemoteConfig
from kiosk.store import Store
from kiosk.sync import SyncWorker


def _worker(central: Central, tmp_path: Path, paper: str) -> SyncWorker:
    settings = kiosk_settings(central, tmp_path)
    return SyncWorker(settings, Store(tmp_path / "cache.db"), make_outbox(tmp_path), ApiClient(settings.api),
                      RemoteConfig(settings, tmp_path), device_health=lambda: {"printer": {"state": "ok"}},
                      paper_state=lambda: paper)


def test_open_alerts_come_back_with_the_heartbeat(central: Central, tmp_path: Path) -> None:
    w = _worker(central, tmp_path, "out")
    body = w.heartbeat_body()
    assert body["heartbeat_interval_s"] == 60 and body["outbox_oldest_s"] == 0
    assert body["disk_total_mb"] > 0 and 0 <= body["disk_free_mb"] <= body["disk_total_mb"]
    assert abs((now() - datetime.fromisoformat(body["sent_at"])).total_seconds()) < 5
    seen: list[str] = []
    w.changed.connect(seen.append)
    w.send_heartbeat()
    assert w.alerts == []
    engine = db.make_engine(central.database_url)
    try:
        t = now()
        run_alerts(engine, t)
        run_alerts(engine, t + timedelta(minutes=2))  # paper out held 2 min: open
    finally:
        engine.dispose()
    w.send_heartbeat()
    assert [(a.kind, a.name) for a in w.alerts] == [("paper_out", "Out of paper")]
    assert w.alerts[0].detail == "printer is out of paper" and seen == ["alerts"]
    # kept across a restart, before the next heartbeat
    again = _worker(central, tmp_path, "ok")
    assert again.alerts == w.alerts
