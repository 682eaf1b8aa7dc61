"""Jobs and policies delta sync against the real reference server: first sync, updates,
closures, reset, radius change, and a cache that always equals a fresh full sync."""

from __future__ import annotations

import json
from pathlib import Path

from sync_helpers import Central, editable, kiosk_settings, make_outbox

from kiosk.api import ApiClient
from kiosk.remote_config import RemoteConfig
from kiosk.store import Store
from kiosk.sync import META_JOBS_CURSOR, SyncWorker


def make_worker(central: Central, data_dir: Path, **kw) -> SyncWorker:
    settings = kiosk_settings(central, data_dir, **kw)
    store = Store(data_dir / "cache.db")
    return SyncWorker(settings, store, make_outbox(data_dir), ApiClient(settings.api),
                      RemoteConfig(settings, data_dir), device_health=dict)


def cache(worker: SyncWorker) -> dict[str, dict]:
    rows = worker.store.conn.execute("SELECT id, data FROM jobs")
    return {r[0]: json.loads(r[1]) for r in rows}


def fresh_copy(central: Central, tmp: Path) -> dict[str, dict]:
    w = make_worker(central, tmp)
    w.run_cycle(heartbeat=False)
    return cache(w)


def test_first_sync_then_updates_closures_and_new_jobs(fresh_central: Central, tmp_path: Path) -> None:
    w = make_worker(fresh_central, tmp_path / "k")
    kinds: list[str] = []
    w.changed.connect(kinds.append)
    first = w.run_cycle(heartbeat=False).as_dict()
    assert first["jobs"]["added"] == first["jobs"]["total"] > 50
    assert first["jobs"]["updated"] == first["jobs"]["deleted"] == 0
    assert first["policies"]["added"] == first["policies"]["total"] > 0
    version = fresh_central.station_client().get(
        f"/v1/stations/{fresh_central.station['id']}/config").json()["version"]
    assert first["config"] == {"status": "applied", "version": version}
    assert set(kinds) >= {"jobs", "policies", "config"}

    staff = fresh_central.staff_client()
    ids = sorted(cache(w))
    # edit two jobs, close three, add one near the station
    for job_id in ids[:2]:
        job = staff.get(f"/v1/jobs/{job_id}").json()
        body = editable(job) | {"title": job["title"] + "（加急）", "pay_amount": job["pay_amount"] + 10}
        assert staff.put(f"/v1/jobs/{job_id}", json=body).status_code == 200
    for job_id in ids[2:5]:
        assert staff.post(f"/v1/jobs/{job_id}/close").status_code == 200
    template = editable(staff.get(f"/v1/jobs/{ids[6]}").json())
    new = staff.post("/v1/jobs", json=template | {"id": "qh-sync-test-new", "title": "新岗位"})
    assert new.status_code == 201, new.text

    kinds.clear()
    second = w.run_cycle(heartbeat=False).as_dict()
    assert second["jobs"] == {"added": 1, "updated": 2, "deleted": 3,
                              "total": first["jobs"]["total"] - 2}
    assert second["config"]["status"] == "unchanged"
    assert kinds == ["jobs"]
    got = cache(w)
    assert got[ids[0]]["title"].endswith("（加急）")
    assert not set(ids[2:5]) & set(got)
    assert got["qh-sync-test-new"]["title"] == "新岗位"
    # the incrementally maintained cache equals what a fresh full sync gets
    assert got == fresh_copy(fresh_central, tmp_path / "fresh")

    third = w.run_cycle(heartbeat=False).as_dict()
    assert third["jobs"] == {"added": 0, "updated": 0, "deleted": 0, "total": second["jobs"]["total"]}


def test_policy_withdrawal_and_edit(fresh_central: Central, tmp_path: Path) -> None:
    w = make_worker(fresh_central, tmp_path)
    w.run_cycle(heartbeat=False)
    staff = fresh_central.staff_client()
    policies = w.store.policies()
    a, b = policies[0], policies[1]
    body = {"category": a.category or "其他", "title": a.title, "summary": a.summary, "body": a.body,
            "status": "withdrawn"}
    assert staff.put(f"/v1/policies/{a.id}", json=body).status_code == 200
    body_b = {"category": b.category or "其他", "title": "新标题", "summary": b.summary, "body": b.body}
    assert staff.put(f"/v1/policies/{b.id}", json=body_b).status_code == 200
    report = w.run_cycle(heartbeat=False).as_dict()
    assert report["policies"] == {"added": 0, "updated": 1, "deleted": 1, "total": len(policies) - 1}
    assert w.store.get_policy(a.id) is None
    assert w.store.get_policy(b.id).title == "新标题"


def test_unusable_cursor_resets_and_replaces_the_cache(central: Central, tmp_path: Path) -> None:
    w = make_worker(central, tmp_path)
    total = w.run_cycle(heartbeat=False).jobs.total
    # a stale job the server never sent and a cursor from a restored (older) database
    with w.store.transaction() as conn:
        conn.execute("UPDATE jobs SET id = 'ghost-job' WHERE rowid = (SELECT min(rowid) FROM jobs)")
        w.store.set_meta(META_JOBS_CURSOR, "j.999999999", conn)
    report = w.run_cycle(heartbeat=False)
    assert report.jobs.total == total
    assert "ghost-job" not in cache(w)
    assert report.jobs.deleted == 1 and report.jobs.added == 1


def test_paging_applies_each_page_with_its_cursor(central: Central, tmp_path: Path, monkeypatch) -> None:
    import kiosk.sync as sync_mod

    monkeypatch.setattr(sync_mod, "PAGE_LIMIT", 7)
    w = make_worker(central, tmp_path)
    calls: list[str | None] = []
    real = w.api.jobs_page

    def counting(station_id, since, limit):
        calls.append(since)
        return real(station_id, since, limit)

    w.api.jobs_page = counting
    report = w.run_cycle(heartbeat=False)
    assert len(calls) >= -(-report.jobs.total // 7)  # paged, not one big response
    assert calls[0] is None and all(calls[1:])
    assert w.store.get_meta(META_JOBS_CURSOR) not in (None, "")


def test_radius_change_triggers_a_full_resync(fresh_central: Central, tmp_path: Path) -> None:
    w = make_worker(fresh_central, tmp_path)
    before = w.run_cycle(heartbeat=False).jobs.total
    staff = fresh_central.staff_client()
    sid = fresh_central.station["id"]
    r = staff.put(f"/v1/stations/{sid}/config", json={"config": {"radius_km": 3}})
    assert r.status_code == 200, r.text
    report = w.run_cycle(heartbeat=False)
    assert report.config["status"] == "applied" and w.remote_config.current.radius_km == 3
    assert 0 < report.jobs.total < before
    assert report.jobs.deleted == before - report.jobs.total
    assert cache(w) == fresh_copy(fresh_central, tmp_path / "fresh")


def test_interrupted_first_sync_resumes_and_ends_consistent(central: Central, tmp_path: Path,
                                                            monkeypatch) -> None:
    """Pages are fetched one ahead of the one being applied. A failure while applying page 3
    leaves pages 1-2 committed with their cursor (the page fetched ahead is dropped); the next
    cycle resumes there and the cache ends equal to a fresh full sync."""
    import sqlite3

    import pytest

    import kiosk.sync as sync_mod

    monkeypatch.setattr(sync_mod, "PAGE_LIMIT", 7)
    w = make_worker(central, tmp_path / "k")
    cursors: list[str | None] = []
    asked: list[str | None] = []
    real = w.api.jobs_page

    def recording(station_id, since, limit):
        asked.append(since)
        page = real(station_id, since, limit)
        cursors.append(page["cursor"])
        return page

    w.api.jobs_page = recording
    real_upsert = w.store.upsert_jobs
    applied = []

    def failing_third(jobs, conn=None):
        applied.append(len(jobs))
        if len(applied) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return real_upsert(jobs, conn)

    monkeypatch.setattr(w.store, "upsert_jobs", failing_third)
    with pytest.raises(sqlite3.OperationalError):
        w.run_cycle(heartbeat=False)
    assert w.store.get_meta(META_JOBS_CURSOR) == cursors[1]  # pages 1-2 committed, not 3
    assert w.store.count_jobs() == 14
    assert len(cursors) in (3, 4)  # page 4 may have been fetched ahead, never applied

    monkeypatch.setattr(w.store, "upsert_jobs", real_upsert)
    fetched = len(asked)
    report = w.run_cycle(heartbeat=False)
    assert report.jobs.added == report.jobs.total - 14 and report.jobs.updated == 0
    resumed = asked[fetched:]
    assert resumed[0] == cursors[1] and len(set(resumed)) == len(resumed)  # from page 3, each once
    assert cache(w) == fresh_copy(central, tmp_path / "fresh")
