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


def test_sync_from_a_release_marks_sync_ok_for_the_health_gate(central: Central, tmp_path: Path) -> None:
    """`gig-kiosk sync --once` run by the python of <root>/releases/9.9 (a venv that sees this
    checkout and the shared packages through a .pth) marks health/9.9.sync_ok, and reports
    9.9 as its app_version."""
    import json
    import site
    import subprocess
    import venv

    import httpx

    root = tmp_path / "gig"
    release = root / "releases" / "9.9"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(release)
    pth = next(release.glob("lib/python3*/site-packages")) / "bridge.pth"
    pth.write_text("\n".join([str(Path(__file__).resolve().parents[2]), *site.getsitepackages()]) + "\n")
    data = tmp_path / "data"
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nid = "{central.station["id"]}"\n\n[api]\nbase_url = "{central.base_url}"\n'
        f'token = "{central.station["token"]}"\n\n[storage]\ndata_dir = "{data}"\n'
        f'outbox_key_file = "{tmp_path / "keys" / "outbox.key"}"\n\n[security]\n'
        f'trusted_config_keys = ["{central.counties[central.station["county"]]["public_key"]}"]\n\n'
        f'[update]\nroot = "{root}"\n', encoding="utf-8")
    proc = subprocess.run([str(release / "bin" / "python"), "-m", "kiosk.cli", "sync", "--once",
                           "--config", str(config)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (root / "health" / "9.9.sync_ok").exists()
    with httpx.Client(base_url=central.base_url, timeout=10) as c:
        county = central.station["county"]
        rows = c.get("/v1/stations",
                     headers={"Authorization": f"Bearer {central.staff[county]['token']}"}).json()
    mine = next(r for r in rows if r["id"] == central.station["id"])
    assert mine["app_version"] == "9.9", json.dumps(mine)[:300]
