"""The TUF release repository at central, on SQLite and PostgreSQL: publish, assign (county,
then a canary station), the files served at /tuf/, the timestamp re-signed before expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import httpx
import pytest
from central_helpers import Server
from tuf.api.metadata import Metadata

from central import db
from central.releases import tuf_repo
from central.releases.periodic import run_timestamp_resign
from central.security import DataCipher


def _wheel(name: str) -> bytes:
    return hashlib.shake_256(name.encode()).digest(2000)


def _manifest(files: dict[str, bytes]) -> dict:
    return {"project": "gig_station", "project_wheel": next(iter(files)),
            "wheels": [{"file": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                       for n, d in files.items()]}


def _get(server: Server, path: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/tuf/{path}", timeout=10)


def _target(server: Server, targets: Metadata, path: str) -> bytes:
    info = targets.signed.targets[path]
    head, _, name = path.rpartition("/")
    r = _get(server, f"targets/{head}/{info.hashes['sha256']}.{name}")
    assert r.status_code == 200
    return r.content


def test_publish_assign_serve_and_resign(server: Server) -> None:
    engine = db.make_engine(server.database_url)
    cipher = DataCipher(server.data_key)
    sessions = db.session_factory(engine)
    now = tuf_repo.now_utc()
    files = {"gig_station-1.0-py3-none-any.whl": _wheel("a"), "dep-1.0-py3-none-any.whl": _wheel("b")}
    station = server.seed["stations"][0]
    other = next(s for s in server.seed["stations"] if s["county"] == station["county"] and s is not station)
    with sessions() as s:
        tuf_repo.publish(s, cipher, "1.0", _manifest(files), files, now)
        tuf_repo.publish(s, cipher, "1.1", _manifest(files), files, now)
        out = tuf_repo.assign(s, cipher, "1.0", now, county=station["county"])
        assert station["id"] in out["stations"] and other["id"] in out["stations"]
        tuf_repo.assign(s, cipher, "1.1", now, station=station["id"])  # the canary
        with pytest.raises(tuf_repo.ReleaseError):
            tuf_repo.publish(s, cipher, "1.0", _manifest(files), files, now)
        with pytest.raises(tuf_repo.ReleaseError):
            tuf_repo.assign(s, cipher, "9.9", now, station=station["id"])
        s.commit()
    assert _get(server, "metadata/1.root.json").status_code == 200
    ts = Metadata.from_bytes(_get(server, "metadata/timestamp.json").content)
    assert _get(server, "metadata/timestamp.json").headers["cache-control"] == "no-cache"
    snap = Metadata.from_bytes(_get(server, f"metadata/{ts.signed.snapshot_meta.version}.snapshot.json").content)
    targets_v = snap.signed.meta["targets.json"].version
    targets = Metadata.from_bytes(_get(server, f"metadata/{targets_v}.targets.json").content)
    assert json.loads(_target(server, targets, f"stations/{station['id']}.json"))["version"] == "1.1"
    assert json.loads(_target(server, targets, f"stations/{other['id']}.json"))["version"] == "1.0"
    assert _target(server, targets, "wheels/dep-1.0-py3-none-any.whl") == files["dep-1.0-py3-none-any.whl"]
    assert _get(server, "targets/nothing.whl").status_code == 404

    assert run_timestamp_resign(engine, now, cipher) == {"resigned": []}  # fresh: nothing to do
    later = run_timestamp_resign(engine, now + dt.timedelta(hours=13), cipher)
    assert later == {"resigned": ["timestamp"]}
    ts2 = Metadata.from_bytes(_get(server, "metadata/timestamp.json").content)
    assert ts2.signed.version == ts.signed.version + 1 and ts2.signed.expires > ts.signed.expires
    assert run_timestamp_resign(engine, now + dt.timedelta(days=6), cipher)["resigned"] == [
        "snapshot", "timestamp"]
    with sessions() as s:  # signing keys are stored encrypted, never in clear
        from central.models import TufKey

        for row in s.query(TufKey):
            assert len(row.private_enc) == 12 + 32 + 16
    engine.dispose()


def test_rollout_page_states_and_scoped_assignment(server: Server) -> None:
    from central_helpers import admin_login, csrf_of

    engine = db.make_engine(server.database_url)
    cipher = DataCipher(server.data_key)
    now = tuf_repo.now_utc()
    files = {"gig_station-2.0-py3-none-any.whl": _wheel("c")}
    county = server.seed["stations"][0]["county"]
    mine = [s for s in server.seed["stations"] if s["county"] == county]
    foreign = next(s for s in server.seed["stations"] if s["county"] != county)
    with db.session_factory(engine)() as s:
        for v in ("2.0", "2.1"):
            tuf_repo.publish(s, cipher, v, _manifest(files), files, now)
        tuf_repo.assign(s, cipher, "2.0", now, county=county)
        tuf_repo.assign(s, cipher, "2.0", now, station=mine[0]["id"])  # over the first test's canary
        s.commit()
    engine.dispose()
    # one station runs 2.0; the other rolled 2.0 back and says so in its heartbeat
    beat = {"app_version": "2.0"}
    failed = {"app_version": "1.0", "update_failed": {"version": "2.0", "reason": "crash loop: 3 starts"}}
    for st, body in ((mine[0], beat), (mine[1], failed)):
        r = server.client.post(f"/v1/stations/{st['id']}/heartbeats", json=body, headers=server.as_(st["token"]))
        assert r.status_code == 200, r.text

    admin = admin_login(server.base_url, server.staff[county]["username"], server.staff[county]["password"])
    page = admin.get("/admin/releases").text
    assert f'data-station="{mine[0]["id"]}" data-state="current"' in page
    assert f'data-station="{mine[1]["id"]}" data-state="failed"' in page and "crash loop" in page
    assert foreign["id"] not in page
    csrf = csrf_of(page)
    r = admin.post("/admin/releases/assign", data={"csrf": csrf, "version": "2.1", "station": mine[0]["id"]})
    assert r.status_code == 200 and f'data-station="{mine[0]["id"]}" data-state="pending"' in r.text
    assert admin.post("/admin/releases/assign", data={"csrf": csrf, "version": "2.1",
                                                      "station": foreign["id"]}).status_code == 404
    assert admin.post("/admin/releases/assign", data={"csrf": csrf, "version": "9.9"}).status_code == 422
    assert admin.post("/admin/releases/assign", data={"csrf": "x", "version": "2.1"}).status_code == 403
    operator = next(u for u in server.by_user.values() if u["county"] == county and u["role"] == "operator")
    op = admin_login(server.base_url, operator["username"], operator["password"])
    assert op.get("/admin/releases").status_code == 200  # may look
    r = op.post("/admin/releases/assign", data={"csrf": csrf_of(op.get("/admin/releases").text),
                                                "version": "2.1"})
    assert r.status_code == 403  # may not roll out
    big = admin.post("/admin/releases/assign", data={"csrf": csrf, "version": "x" * 70000})
    assert big.status_code == 413
