"""A station that rolled an update back says so in its heartbeat (`update_failed`), and the
reference server accepts the field (central/schemas.py Heartbeat)."""

from __future__ import annotations

from pathlib import Path

from sync_helpers import Central, kiosk_settings, make_outbox

from kiosk.api import ApiClient
from kiosk.remote_config import RemoteConfig
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.sync import SyncWorker
from kiosk.update import state


def test_heartbeat_carries_the_last_rollback(central: Central, tmp_path: Path) -> None:
    root = tmp_path / "gig"
    root.mkdir()
    doc = state.load(root)
    doc["last_failure"] = {"version": "2.1", "reason": "no first_frame within 600 s", "at": 1}
    state.save(root, doc)
    base = kiosk_settings(central, tmp_path / "data")
    settings = from_dict(base.model_dump() | {"update": {"root": str(root)}})
    w = SyncWorker(settings, Store(tmp_path / "cache.db"), make_outbox(tmp_path / "data"),
                   ApiClient(settings.api), RemoteConfig(settings, tmp_path / "data"), device_health=dict)
    body = w.heartbeat_body()
    assert body["update_failed"] == {"version": "2.1", "reason": "no first_frame within 600 s"}
    w.send_heartbeat()  # 200 from the real server: the field is part of the contract
    assert kiosk_settings(central, tmp_path / "d2").update.root == ""  # off by default
