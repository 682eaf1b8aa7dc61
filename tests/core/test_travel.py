"""The 15-minute model (kiosk.travel) and the walking filter it drives in the search."""

from __future__ import annotations

import datetime as dt
import doctest
import math
from pathlib import Path

import pytest

from bench.synthetic import make_jobs
from kiosk import travel
from kiosk.filters import JobFilter
from kiosk.formatting import count_text, minutes_text, travel_text, walk_text
from kiosk.geo import haversine_km
from kiosk.models import Job
from kiosk.search import full_scan_nearby, nearby
from kiosk.store import Store

TODAY = dt.date(2026, 11, 23)
CENTRE = (31.30, 117.25)


def test_doctests() -> None:
    assert doctest.testmod(travel).failed == 0


@pytest.mark.parametrize(("km", "walk", "cycle", "bus"), [
    (0.0, 0, 0, 10),
    (0.1, 2, 1, 11),       # 1.3 * 0.1 km = 130 m: 1.73 min on foot
    (0.865, 15, 6, 14),    # the 15-minute circle
    (1.0, 18, 7, 15),      # 17.3 min on foot, 6.5 by bicycle, 4.3 by bus + 10
    (3.0, 52, 20, 23),
    (10.0, 174, 65, 54),
])
def test_minutes_by_the_stated_model(km: float, walk: int, cycle: int, bus: int) -> None:
    assert travel.walk_minutes(km) == walk == math.ceil(round(1.3 * km / 4.5 * 60, 9))
    assert travel.cycle_minutes(km) == cycle
    assert travel.bus_minutes(km) == bus


def test_walk_km_is_the_exact_boundary_of_walk_minutes() -> None:
    for minutes in (1, 5, 10, 15, 30, 60):
        edge = travel.walk_km(minutes)
        assert travel.walk_minutes(edge) == minutes
        assert travel.walk_minutes(edge + 1e-6) == minutes + 1
    assert travel.walk_km(15) == pytest.approx(0.8654, abs=1e-4)  # "≈ 0.865 km straight line"


def test_texts_in_both_languages() -> None:
    assert walk_text(0.45, "en") == "about 8 min walk"
    assert walk_text(0.45, "zh") == "步行约 8 分钟"
    assert minutes_text(174, "en") == "2 h 50 min" and minutes_text(120, "zh") == "2 小时"
    assert travel_text(2.0, "en") == "about 35 min walk\nabout 13 min by bicycle\nabout 19 min by bus"
    assert travel_text(2.0, "zh") == "步行约 35 分钟\n骑车约 13 分钟\n公交约 19 分钟"
    assert count_text(3, JobFilter(within_walk_minutes=15), "zh") == "步行 15 分钟内共 3 个工作"
    assert count_text(3, JobFilter(radius_km=10), "en") == "3 jobs within 10 km"
    assert count_text(1, JobFilter(within_walk_minutes=15), "en") == "1 job within 15 min walk"
    assert count_text(1, JobFilter(radius_km=10), "zh") == "10 公里内共 1 个工作"


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Job]]:
    """600 jobs within 2 km: about a fifth inside the 15-minute circle."""
    store = Store(tmp_path_factory.mktemp("travel") / "cache.db")
    jobs = make_jobs(600, *CENTRE, spread_km=2, seed=7, today=TODAY)
    store.upsert_jobs(jobs)
    return store, [store.get_job(j.id) for j in jobs]


def test_within_15_minutes_is_exactly_walk_minutes_at_most_15(dense: tuple[Store, list[Job]]) -> None:
    store, jobs = dense
    flt = JobFilter(within_walk_minutes=15)
    got = nearby(store, *CENTRE, flt, limit=1000, today=TODAY)
    want = {h.job.id for h in full_scan_nearby(jobs, *CENTRE, JobFilter(), limit=1000, today=TODAY)
            if travel.walk_minutes(haversine_km(*CENTRE, h.job.lat, h.job.lng)) <= 15}
    assert 20 < len(want) < 400  # both sides of the circle are populated
    assert {h.job.id for h in got.hits} == want and got.total == len(want)
    assert {h.job.id for h in full_scan_nearby(jobs, *CENTRE, flt, limit=1000, today=TODAY)} == want
    assert all(travel.walk_minutes(h.distance_km) <= 15 for h in got.hits)
    # hits carry where the job is (for the map), the same as the store's record
    for h in got.hits[:20]:
        job = store.get_job(h.job.id)
        assert (h.lat, h.lng) == (job.lat, job.lng)


def test_the_smaller_of_radius_and_walking_distance_wins() -> None:
    assert JobFilter(within_walk_minutes=15).reach_km == travel.walk_km(15)
    assert JobFilter(radius_km=0.5, within_walk_minutes=15).reach_km == 0.5
    assert JobFilter(radius_km=3).reach_km == 3


def test_jobs_exactly_on_the_circle(tmp_path: Path) -> None:
    """A job a metre inside the 15-minute circle is in, a metre outside is out."""
    base = make_jobs(1, *CENTRE, spread_km=1, seed=1, today=TODAY)[0].to_dict()
    dlat = math.degrees(travel.walk_km(15) / 6371.0088)
    inside = Job.from_dict(base | {"id": "in", "lat": CENTRE[0] + dlat * 0.999, "lng": CENTRE[1], "status": "open",
                                   "valid_through": None})
    outside = Job.from_dict(base | {"id": "out", "lat": CENTRE[0] + dlat * 1.001, "lng": CENTRE[1],
                                    "status": "open", "valid_through": None})
    store = Store(tmp_path / "c.db")
    store.upsert_jobs([inside, outside])
    hits = nearby(store, *CENTRE, JobFilter(within_walk_minutes=15), today=TODAY).hits
    assert [h.job.id for h in hits] == ["in"]
    assert [h.job.id for h in nearby(store, *CENTRE, JobFilter(), today=TODAY).hits] == ["in", "out"]
