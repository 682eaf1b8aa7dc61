"""`gig-kiosk sync --once --config FILE` prints exactly the JSON the issue gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sync_helpers import Central

ROOT = Path(__file__).resolve().parents[2]


def run(cfg: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(cfg)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def toml(tmp: Path, base_url: str, station: dict, token_file: bool = False, extra: str = "") -> Path:
    cfg = tmp / "kiosk.toml"
    if token_file:
        (tmp / "token").write_text(station["token"] + "\n")
        api = f'token_file = "{tmp / "token"}"'
    else:
        api = f'token = "{station["token"]}"'
    cfg.write_text(f'[station]\nid = "{station["id"]}"\n[api]\nbase_url = "{base_url}"\n{api}\n'
                   f'[storage]\ndata_dir = "{tmp / "data"}"\noutbox_key_file = "{tmp / "keys" / "outbox.key"}"\n'
                   f'{extra}', encoding="utf-8")
    return cfg


def test_sync_once_json(central: Central, tmp_path: Path) -> None:
    cfg = toml(tmp_path, central.base_url, central.station, token_file=True)
    first = run(cfg)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert list(out) == ["jobs", "policies", "config", "outbox", "stats"]
    assert out["stats"] == {"sent": 0, "pending": 0}  # no visits counted on this station yet
    assert set(out["jobs"]) == set(out["policies"]) == {"added", "updated", "deleted", "total"}
    assert out["jobs"]["added"] == out["jobs"]["total"] > 0
    # The minimal TOML names no trusted county key: jobs sync, the config is refused.
    version = central.station_client().get(f"/v1/stations/{central.station['id']}/config").json()["version"]
    assert out["config"] == {"status": "rejected", "version": version}
    assert out["outbox"] == {"sent": 0, "pending": 0}
    key = central.counties[central.station["county"]]["public_key"]
    cfg = toml(tmp_path, central.base_url, central.station, token_file=True,
               extra=f'[security]\ntrusted_config_keys = ["{key}"]\n')
    trusted = json.loads(run(cfg).stdout)
    assert trusted["config"] == {"status": "applied", "version": version}
    assert trusted["jobs"]["added"] == 0
    second = json.loads(run(cfg).stdout)
    assert second["jobs"]["added"] == 0 and second["config"]["status"] == "unchanged"


def test_sync_once_errors(central: Central, tmp_path: Path) -> None:
    offline = run(toml(tmp_path, "http://127.0.0.1:9", central.station))
    assert offline.returncode == 1 and "ApiOffline" in offline.stderr and not offline.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[station]\nid = 3\nnope = 1\n")
    r = run(bad)
    assert r.returncode == 2 and "station" in r.stderr
    missing = run(tmp_path / "missing.toml")
    assert missing.returncode == 2
