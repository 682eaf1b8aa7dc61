import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bench.synthetic import make_jobs
from kiosk.filters import JobFilter
from kiosk.geo import bounding_box, haversine_km
from kiosk.models import Job, JobStatus, PayUnit, Policy, Settlement
from kiosk.search import full_scan_nearby, nearby, tier
from kiosk.store import MIGRATIONS, Store

TODAY = dt.date(2026, 11, 23)
CENTRE = (31.30, 117.25)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "cache.db")
    s.upsert_jobs(make_jobs(3000, *CENTRE, spread_km=30, seed=1, today=TODAY))
    return s


def test_schema_version_and_wal(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.db")
    assert s.schema_version == len(MIGRATIONS)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Store(tmp_path / "c.db")  # re-opening an up-to-date database is a no-op


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_haversine_known_distance() -> None:
    # Beijing Tiananmen -> Shanghai People's Square, about 1,067 km
    assert haversine_km(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1067, rel=0.01)
    assert haversine_km(31.3, 117.25, 31.3, 117.25) == 0


def test_bounding_box_contains_radius() -> None:
    lat, lng = CENTRE
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, 10)
    assert haversine_km(lat, lng, max_lat, lng) == pytest.approx(10, rel=1e-3)
    assert haversine_km(lat, lng, lat, max_lng) == pytest.approx(10, rel=1e-3)
    assert min_lat < lat < max_lat and min_lng < lng < max_lng


@pytest.mark.parametrize(
    "flt",
    [
        JobFilter(),
        JobFilter(radius_km=3),
        JobFilter(categories=frozenset({"保洁", "搬运"})),
        JobFilter(pay_units=frozenset({PayUnit.DAY}), settlements=frozenset({Settlement.DAILY})),
        JobFilter(start_from=TODAY, start_to=TODAY + dt.timedelta(days=2), radius_km=25),
        JobFilter(seeker_age=58, radius_km=15),
        JobFilter(seeker_age=17, settlements=frozenset({Settlement.DAILY})),
    ],
)
def test_index_matches_full_scan(store: Store, flt: JobFilter) -> None:
    all_jobs = [store.get_job(f"syn-{i:06d}") for i in range(3000)]
    expected = full_scan_nearby(all_jobs, *CENTRE, flt, limit=50, today=TODAY)
    got = nearby(store, *CENTRE, flt, limit=50, today=TODAY)
    assert [round(h.distance_km, 9) for h in got.hits] == [round(h.distance_km, 9) for h in expected]
    assert len({tier(h.job.settlement == "daily", h.job.start_date <= TODAY) for h in got.hits}) > 1 or flt.settlements
    assert {h.job.id for h in got.hits} == {h.job.id for h in expected}
    assert all(h.distance_km <= flt.radius_km for h in got.hits)
    # day-paid and today's work first (issue 18), nearest first within each tier
    assert got.hits == sorted(got.hits, key=lambda h: (tier(h.job.settlement == "daily", h.job.start_date <= TODAY),
                                                       h.distance_km))
    for hit in got.hits:
        assert hit.job.status == JobStatus.OPEN
        assert hit.job.valid_through is None or hit.job.valid_through >= TODAY
        if flt.categories:
            assert hit.job.category in flt.categories


def test_update_moves_job_and_delete_removes_it(store: Store) -> None:
    job = store.get_job("syn-000001")
    moved = Job.from_dict(job.to_dict() | {"lat": CENTRE[0], "lng": CENTRE[1], "status": "open",
                                           "valid_through": None})
    store.upsert_jobs([moved])
    hits = nearby(store, *CENTRE, JobFilter(radius_km=0.01), today=TODAY).hits
    assert [h.job.id for h in hits] == ["syn-000001"]
    assert store.delete_jobs(["syn-000001", "nope"]) == 1
    assert nearby(store, *CENTRE, JobFilter(radius_km=0.01), today=TODAY).hits == []
    assert store.get_job("syn-000001") is None


def test_closed_and_expired_jobs_are_hidden(store: Store) -> None:
    job = store.get_job("syn-000002")
    base = job.to_dict() | {"lat": CENTRE[0], "lng": CENTRE[1]}
    store.upsert_jobs([Job.from_dict(base | {"status": "closed", "valid_through": None})])
    assert nearby(store, *CENTRE, JobFilter(radius_km=0.01), today=TODAY).hits == []
    store.upsert_jobs([Job.from_dict(base | {"status": "open", "valid_through": "2026-11-22"})])
    assert nearby(store, *CENTRE, JobFilter(radius_km=0.01), today=TODAY).hits == []


def test_filter_chip_toggle() -> None:
    f = JobFilter().with_toggled("categories", "保洁")
    assert f.categories == {"保洁"}
    assert f.with_toggled("categories", "保洁").categories == frozenset()


def test_policies_and_meta_roundtrip(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.db")
    s.upsert_policies([Policy(id="p1", title="标题", summary="摘要", body="正文", title_en="T")])
    s.upsert_policies([Policy(id="p1", title="新标题", summary="摘要", body="正文")])
    assert [p.title for p in s.policies()] == ["新标题"]
    s.set_meta("jobs_cursor", "abc")
    assert s.get_meta("jobs_cursor") == "abc"
    assert s.delete_policies(["p1"]) == 1 and s.policies() == []


def test_store_is_usable_from_another_thread(store: Store) -> None:
    import threading

    counts = []
    t = threading.Thread(target=lambda: counts.append(store.count_jobs()))
    t.start()
    t.join()
    assert counts == [3000]


def test_job_to_dict_is_the_generic_dataclass_form() -> None:
    """Job.to_dict is written out by hand (asdict's deep copy dominated a first sync); it must
    stay exactly the generic form, so a field added to Job cannot silently miss the cache."""
    import dataclasses

    from kiosk.models import Requirements

    base = make_jobs(1, *CENTRE, spread_km=1, seed=3, today=TODAY)[0]
    for job in (base, dataclasses.replace(base, valid_through=None, district="东城", directions="地铁2号线",
                                          requirements=Requirements(age_min=18, age_max=55, notes="能吃苦"))):
        generic = dataclasses.asdict(job)
        for k in ("start_date", "end_date", "valid_through"):
            generic[k] = generic[k].isoformat() if generic[k] else None
        for k in ("pay_unit", "settlement", "status"):
            generic[k] = generic[k].value
        assert list(job.to_dict().items()) == list(generic.items())
        assert Job.from_dict(job.to_dict()) == job


def test_upsert_writes_every_row_of_a_batch_and_updates_in_place(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.db")
    jobs = make_jobs(1500, *CENTRE, spread_km=30, seed=4, today=TODAY)
    gen = s.jobs_generation
    assert s.upsert_jobs(jobs) == 1500
    assert s.count_jobs() == 1500 and s.jobs_generation == gen + 1
    changed = Job.from_dict(jobs[7].to_dict() | {"title": "新标题"})
    assert s.upsert_jobs([changed, jobs[8]]) == 2
    assert s.count_jobs() == 1500 and s.get_job(changed.id) == changed
    assert s.get_job(jobs[9].id) == jobs[9]
