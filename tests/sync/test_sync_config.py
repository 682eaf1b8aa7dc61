"""Signed remote configuration: every kind of bad document is refused, the last known good
stays in force (in memory and on disk), and the refusal is reported in the next heartbeat."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sync_helpers import Central, kiosk_settings, make_outbox

from kiosk.api import ApiClient
from kiosk.remote_config import RemoteConfig, canonical_bytes, key_id
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.sync import SyncWorker

COUNTY_KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
STATION, COUNTY = "park-1", "qinghe"


def pub(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ago(days: float = 0.0) -> str:
    """issued_at `days` ago (documents older than remote_config.MAX_AGE_S are refused)."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")


ISSUED = ago(1)  # one time for all the test documents, so "unchanged" compares equal


def doc(version: int, config: dict | None = None, key: Ed25519PrivateKey = COUNTY_KEY,
        **fields) -> dict:
    d = {"station_id": STATION, "county": COUNTY, "version": version,
         "issued_at": ISSUED, "config": {"banner": f"v{version}", **(config or {})},
         **fields}
    d["signature"] = base64.b64encode(key.sign(canonical_bytes(d))).decode()
    d["key_id"] = key_id(pub(key))
    return d


def raw(d: dict) -> bytes:
    return json.dumps(d, ensure_ascii=False).encode()


def remote(tmp: Path, county: str = COUNTY) -> RemoteConfig:
    settings = from_dict({"station": {"id": STATION, "county": county},
                          "storage": {"data_dir": str(tmp)},
                          "security": {"trusted_config_keys": [base64.b64encode(pub(COUNTY_KEY)).decode()]}})
    return RemoteConfig(settings)


def tampered() -> bytes:
    d = doc(3)
    d["config"]["banner"] = "changed after signing"
    return raw(d)


BAD = {
    "bad signature": (tampered, "signature"),
    "untrusted key (other county's key)": (lambda: raw(doc(3, key=OTHER_KEY)), "signature"),
    "signature not base64": (lambda: raw(doc(3) | {"signature": "!!"}), "signature"),
    "other station": (lambda: raw(doc(3, station_id="park-2")), "another station"),
    "other county": (lambda: raw(doc(3, county="baishui")), "another county"),
    "version downgrade": (lambda: raw(doc(1)), "older"),
    "same version, other content": (lambda: raw(doc(2, {"radius_km": 9.0})), "reused"),
    "out of range idle timeout": (lambda: raw(doc(3, {"idle_timeout_s": 5})), "idle_timeout_s"),
    "out of range radius": (lambda: raw(doc(3, {"radius_km": 500})), "radius_km"),
    "bad opening hours": (lambda: raw(doc(3, {"opening_hours": "25:00-26:00"})), "opening_hours"),
    "wrong type": (lambda: raw(doc(3, {"elderly_mode_default": "yes"})), "elderly_mode_default"),
    "unknown field": (lambda: raw(doc(3, {"shell": "rm -rf /"})), "unknown field"),
    "unknown feature": (lambda: raw(doc(3, {"features": {"camera": True}})), "unknown field"),
    "malformed JSON": (lambda: b'{"station_id": "park-1", "version": 3,', "malformed JSON"),
    "not UTF-8": (lambda: b"\xff\xfe{}", "malformed JSON"),
    "not an object": (lambda: b"[1, 2]", "not a JSON object"),
    "no version": (lambda: raw({k: v for k, v in doc(3).items() if k != "version"}), "version"),
}


def test_good_document_applies_live_and_persists(tmp_path: Path) -> None:
    rc = remote(tmp_path)
    assert rc.version == 0 and rc.current.idle_timeout_s == 90  # defaults before any document
    seen = []
    rc.applied.connect(seen.append)
    result = rc.apply(raw(doc(1, {"idle_timeout_s": 30, "features": {"print": False}})))
    assert (result.status, result.version) == ("applied", 1)
    assert seen[-1].idle_timeout_s == 30 and seen[-1].features.print is False
    assert seen[-1].features.apply is True and seen[-1].version == 1
    assert rc.apply(raw(doc(1, {"idle_timeout_s": 30, "features": {"print": False}}))).status == "unchanged"
    again = remote(tmp_path)  # restart: last known good loaded from disk
    assert again.current == rc.current and again.etag == f'"{STATION}.v1"'


@pytest.mark.parametrize("case", list(BAD))
def test_bad_document_changes_nothing(tmp_path: Path, case: str) -> None:
    rc = remote(tmp_path)
    assert rc.apply(raw(doc(2, {"idle_timeout_s": 45}))).status == "applied"
    good, on_disk = rc.current, (tmp_path / "station-config.json").read_bytes()
    calls = []
    rc.applied.connect(calls.append)
    make, reason = BAD[case]
    result = rc.apply(make())
    assert result.status == "rejected" and reason in result.reason, result
    assert rc.current == good and rc.current.idle_timeout_s == 45 and not calls
    assert (tmp_path / "station-config.json").read_bytes() == on_disk
    assert rc.rejected is not None and reason in rc.rejected.reason
    assert remote(tmp_path).current == good  # still in force after a restart
    assert remote(tmp_path).rejected == rc.rejected  # and still reported


def test_altered_file_on_disk_is_not_trusted_at_start(tmp_path: Path) -> None:
    rc = remote(tmp_path)
    rc.apply(raw(doc(1, {"idle_timeout_s": 30})))
    path = tmp_path / "station-config.json"
    path.write_bytes(path.read_bytes().replace(b'"v1"', b'"pwned"'))
    assert remote(tmp_path).version == 0


def test_newer_good_document_clears_the_rejection(tmp_path: Path) -> None:
    rc = remote(tmp_path)
    rc.apply(raw(doc(1)))
    rc.apply(raw(doc(2, {"idle_timeout_s": 1})))
    assert rc.rejected and rc.rejected.version == 2
    assert rc.apply(raw(doc(3))).status == "applied" and rc.rejected is None


def worker(central: Central, tmp: Path, **kw) -> SyncWorker:
    s = kiosk_settings(central, tmp, **kw)
    return SyncWorker(s, Store(tmp / "cache.db"), make_outbox(tmp), ApiClient(s.api), RemoteConfig(s, tmp),
                      device_health=lambda: {"printer": {"state": "ok", "paper_near_end": True}})


def test_real_server_config_applies_and_rejection_reaches_the_heartbeat(fresh_central: Central,
                                                                       tmp_path: Path) -> None:
    w = worker(fresh_central, tmp_path, county=fresh_central.station["county"])
    applied = []
    w.remote_config.applied.connect(applied.append)
    w.run_cycle()
    v1 = w.remote_config.version
    assert v1 > 0
    staff = fresh_central.staff_client()
    sid = fresh_central.station["id"]
    assert staff.put(f"/v1/stations/{sid}/config",
                     json={"config": {"banner": "今日招聘会", "idle_timeout_s": 120}}).status_code == 200
    ack = w.send_heartbeat()
    v2 = ack["config_version"]
    assert v2 > v1 and w._config_due  # the heartbeat tells us to fetch
    assert w.sync_config() == {"status": "applied", "version": v2}
    assert applied[-1].banner == "今日招聘会" and w.remote_config.current.idle_timeout_s == 120
    assert w.sync_config()["status"] == "unchanged"  # ETag: 304

    # a document for this station signed by another county's key (a forged one)
    other = next(s for s in fresh_central.seed["stations"] if s["county"] != fresh_central.station["county"])
    forged_raw, _ = ApiClient(kiosk_settings(fresh_central, tmp_path / "o", station=other).api) \
        .station_config(other["id"])
    forged = json.loads(forged_raw)
    result = w.remote_config.apply(forged_raw)
    assert result.status == "rejected" and w.remote_config.version == v2
    w.send_heartbeat()
    health = {s["id"]: s for s in staff.get("/v1/stations").json()}[sid]
    assert health["rejected_config"]["version"] == forged["version"]
    assert "signature" in health["rejected_config"]["reason"]
    assert health["config_version_applied"] == v2 and health["paper"] == "low"
    assert "sync" in health["devices"] and health["app_version"]


def test_without_trusted_keys_every_config_is_rejected(central: Central, tmp_path: Path) -> None:
    w = worker(central, tmp_path, keys=[])
    result = w.sync_config()
    assert result["status"] == "rejected"
    assert w.remote_config.rejected.reason == "no trusted county key configured"
    assert not (tmp_path / "station-config-key.json").exists()


def test_trust_on_first_use_pins_the_county_key(central: Central, tmp_path: Path) -> None:
    w = worker(central, tmp_path, keys=[], pin=True)
    assert w.remote_config.needs_key
    assert w.sync_config()["status"] == "applied"
    pinned = json.loads((tmp_path / "station-config-key.json").read_text())
    assert pinned["public_key"] == central.counties[central.station["county"]]["public_key"]
    assert not RemoteConfig(w.settings, tmp_path).needs_key


# --- rollback and freshness (issue 11, item 11) ------------------------------------------------
def test_lost_state_and_an_old_document_is_refused(tmp_path: Path) -> None:
    rc = remote(tmp_path)
    old = raw(doc(5))
    assert rc.apply(old).status == "applied"
    assert rc.apply(raw(doc(6))).status == "applied"
    # the state file alone lost (or replaced): the floor file still says 6
    (tmp_path / "station-config.json").unlink()
    assert remote(tmp_path).apply(old).status == "rejected"
    # an older signed document copied over the state file is not loaded at start either
    (tmp_path / "station-config.json").write_bytes(old)
    assert remote(tmp_path).version == 0
    # an older issued_at under a higher version number is refused too
    stale = raw(doc(7, issued_at=ago(2)))
    assert "issued before" in remote(tmp_path).apply(stale).reason


def test_document_past_max_age_is_refused(tmp_path: Path) -> None:
    rc = remote(tmp_path)
    result = rc.apply(raw(doc(3, issued_at=ago(181))))
    assert result.status == "rejected" and "expired" in result.reason and "180 days" in result.reason
    assert rc.version == 0
    for bad in ("", "yesterday", "2025-05-01T01:00:00"):  # missing, malformed, no zone
        assert "issued_at" in rc.apply(raw(doc(3, issued_at=bad))).reason
    assert rc.apply(raw(doc(3, issued_at=ago(179)))).status == "applied"


def test_wiped_station_learns_the_floor_from_central(fresh_central: Central, tmp_path: Path) -> None:
    """A re-imaged station (empty data_dir) must not accept an older signed document: the
    heartbeat ack names the current version before any document is taken."""
    sid = fresh_central.station["id"]
    old_raw, _ = ApiClient(kiosk_settings(fresh_central, tmp_path / "a").api).station_config(sid)
    assert fresh_central.staff_client().put(f"/v1/stations/{sid}/config",
                                            json={"config": {"banner": "新"}}).status_code == 200
    w = worker(fresh_central, tmp_path / "wiped")
    assert not w.remote_config.floor_known
    assert w.sync_config()["status"] == "applied"
    current = w.remote_config.version
    assert current > json.loads(old_raw)["version"] and w.remote_config.floor_version == current
    # the same re-imaged station, also losing what it just applied: the ack alone sets the floor
    fresh = worker(fresh_central, tmp_path / "wiped-again")
    fresh.send_heartbeat()
    result = fresh.remote_config.apply(old_raw)
    assert result.status == "rejected" and "known to be current" in result.reason


def test_expired_document_is_reported_in_the_next_heartbeat(fresh_central: Central, tmp_path: Path) -> None:
    sid = fresh_central.station["id"]
    w = worker(fresh_central, tmp_path, keys=[base64.b64encode(pub(COUNTY_KEY)).decode()])
    expired = doc(2**30, station_id=sid, issued_at=ago(400))
    assert w.remote_config.apply(raw(expired)).status == "rejected"
    w.send_heartbeat()
    health = {s["id"]: s for s in fresh_central.staff_client().get("/v1/stations").json()}[sid]
    assert health["rejected_config"]["version"] == 2**30
    assert "expired" in health["rejected_config"]["reason"]


def test_restored_central_never_reissues_a_version(fresh_central: Central, tmp_path: Path) -> None:
    """Back up the database, publish, restore the backup: the next version is above every
    version issued before the restore (before: it reused the restored counter + 1)."""
    import sqlite3
    import time as _time

    sid = fresh_central.station["id"]
    db_file = Path(fresh_central.database_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    with sqlite3.connect(db_file) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    staff = fresh_central.staff_client()
    issued = []
    for banner in ("一", "二", "三"):
        assert staff.put(f"/v1/stations/{sid}/config", json={"config": {"banner": banner}}).status_code == 200
        issued.append(fresh_central.station_client().get(f"/v1/stations/{sid}/config").json()["version"])
    assert issued == sorted(set(issued))

    def restore() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(backup) as src, sqlite3.connect(db_file) as dst:
            src.backup(dst)
        # The stated premise: a restore happens later than the burst of publishes ran ahead of
        # the clock (3 publishes within a second: at most 3 s here; minutes in real life).
        version_epoch = 1_704_067_200  # central.services.VERSION_EPOCH
        _time.sleep(min(5.0, max(0.0, max(issued) + version_epoch + 1 - _time.time())))

    fresh_central.restart(between=restore)
    staff = fresh_central.staff_client()
    assert staff.put(f"/v1/stations/{sid}/config", json={"config": {"banner": "四"}}).status_code == 200
    after = fresh_central.station_client().get(f"/v1/stations/{sid}/config").json()["version"]
    assert after > max(issued)


def test_central_resigns_a_document_too_old_to_serve(fresh_central: Central) -> None:
    """A station fetching a document older than REISSUE_AFTER_S gets the same config signed
    again as a new version, so it never receives a document near the kiosk's maximum age."""
    from sqlalchemy import create_engine, text

    sid = fresh_central.station["id"]
    first = fresh_central.station_client().get(f"/v1/stations/{sid}/config").json()
    engine = create_engine(fresh_central.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE station_config_versions SET created_at = :t WHERE station_id = :s"),
                     {"t": dt.datetime.now(dt.UTC) - dt.timedelta(days=31), "s": sid})
    engine.dispose()
    r = fresh_central.station_client().get(f"/v1/stations/{sid}/config")
    again = r.json()
    assert again["version"] > first["version"] and again["config"] == first["config"]
    assert again["issued_at"] > first["issued_at"] and r.headers["etag"] == f'"{sid}.v{again["version"]}"'
    assert fresh_central.station_client().get(f"/v1/stations/{sid}/config").json()["version"] == again["version"]
