"""The map view's geometry (kiosk.mapview): projection, rings, edge markers, clustering."""

from __future__ import annotations

import doctest
import math

import pytest

from kiosk import mapview
from kiosk.geo import haversine_km
from kiosk.mapview import MapPoint, layout, project, ring_radii
from kiosk.travel import walk_km

LAT0, LNG0 = 31.3021, 117.2468  # the demo park station


def point(job_id: str, east_km: float, north_km: float, daily: bool = False) -> MapPoint:
    lat = LAT0 + math.degrees(north_km / 6371.0088)
    lng = LNG0 + math.degrees(east_km / (6371.0088 * math.cos(math.radians(LAT0))))
    return MapPoint(job_id, lat, lng, haversine_km(LAT0, LNG0, lat, lng), daily)


def test_doctests() -> None:
    assert doctest.testmod(mapview).failed == 0


@pytest.mark.parametrize(("de", "dn"), [(0.5, 0.0), (0.0, -0.7), (0.4, 0.4), (-0.6, 0.3), (1.5, -1.0)])
def test_projection_keeps_distances_at_town_scale(de: float, dn: float) -> None:
    p = point("j", de, dn)
    e, n = project(p.lat, p.lng, LAT0, LNG0)
    assert (e, n) == pytest.approx((de, dn), abs=1e-6)
    # against the great circle: under 0.1 % at a couple of kilometres (a fraction of a pixel)
    assert math.hypot(e, n) == pytest.approx(p.km, rel=1e-3)


def test_north_is_up_and_east_is_right() -> None:
    north, east = point("n", 0, 0.5), point("e", 0.5, 0)
    m = {mk.job_ids[0]: mk for mk in layout([north, east], LAT0, LNG0, radius_px=300, dot_px=48)}
    assert m["n"].x == pytest.approx(0, abs=1e-6) and m["n"].y > 0 and m["n"].bearing == pytest.approx(0)
    assert m["e"].y == pytest.approx(0, abs=1e-6) and m["e"].x > 0 and m["e"].bearing == pytest.approx(90)


def test_rings_are_5_10_15_minutes_walk() -> None:
    radii = ring_radii(300)
    assert [m for m, _ in radii] == [5, 10, 15]
    assert [r for _, r in radii] == pytest.approx([100, 200, 300])
    # a job 10 minutes' walk away lands on the 10-minute ring
    p = point("ten", walk_km(10), 0)
    (mk,) = layout([p], LAT0, LNG0, radius_px=300, dot_px=48)
    assert math.hypot(mk.x, mk.y) == pytest.approx(200, rel=1e-3) and not mk.edge


def test_jobs_beyond_the_outer_ring_sit_on_the_edge_on_their_bearing() -> None:
    far = [point("far-ne", 3, 3), point("far-w", -8, 0), point("just-out", 0, -walk_km(15) * 1.01)]
    marks = {m.job_ids[0]: m for m in layout(far, LAT0, LNG0, radius_px=300, dot_px=48, edge_px=340,
                                             edge_sectors=0)}
    assert all(m.edge for m in marks.values())
    for m in marks.values():
        assert math.hypot(m.x, m.y) == pytest.approx(340)
    assert marks["far-ne"].bearing == pytest.approx(45, abs=0.5)
    assert marks["far-w"].bearing == pytest.approx(270)
    assert marks["just-out"].bearing == pytest.approx(180)


def test_close_dots_merge_into_one_counted_marker_nearest_first() -> None:
    # three jobs within 50 m of each other 600 m north; a fourth well apart
    pts = [point("b", 0.02, 0.62), point("a", 0.0, 0.6), point("c", -0.02, 0.63, daily=True), point("d", 0.6, 0.0)]
    marks = layout(pts, LAT0, LNG0, radius_px=300, dot_px=48)
    by_count = sorted(marks, key=lambda m: -m.count)
    assert [m.count for m in by_count] == [3, 1]
    assert by_count[0].job_ids == ("a", "b", "c")  # nearest first
    assert by_count[0].any_daily and not by_count[0].daily
    # no two markers overlap (their centres are at least a dot apart)
    for i, m in enumerate(marks):
        for n in marks[i + 1:]:
            assert math.hypot(m.x - n.x, m.y - n.y) >= 48


def test_many_random_jobs_never_overlap_and_none_is_lost() -> None:
    import random

    rng = random.Random(3)
    pts = [point(f"j{i}", rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.random() < 0.4) for i in range(120)]
    marks = layout(pts, LAT0, LNG0, radius_px=250, dot_px=64)
    assert sorted(j for m in marks for j in m.job_ids) == sorted(p.job_id for p in pts)
    for i, m in enumerate(marks):
        for n in marks[i + 1:]:
            if m.edge == n.edge:
                assert math.hypot(m.x - n.x, m.y - n.y) >= 64
        r = math.hypot(m.x, m.y)
        assert r >= 64 - 1e-6  # clear of the station's mark
        assert (r > 250) == m.edge


def test_a_job_next_to_the_station_is_moved_off_its_mark() -> None:
    (mk,) = layout([point("door", 0.01, 0.0, daily=True)], LAT0, LNG0, radius_px=300, dot_px=48)
    assert math.hypot(mk.x, mk.y) == pytest.approx(48) and mk.bearing == pytest.approx(90) and mk.daily
    (same,) = layout([MapPoint("same", LAT0, LNG0, 0.0, False)], LAT0, LNG0, radius_px=300, dot_px=48)
    assert math.hypot(same.x, same.y) == pytest.approx(48)


def test_farther_jobs_gather_in_eight_compass_directions() -> None:
    import random

    rng = random.Random(5)
    pts = [point(f"f{i}", rng.uniform(-9, 9), rng.uniform(-9, 9)) for i in range(200)]
    pts = [p for p in pts if p.km > walk_km(15)]
    marks = layout(pts, LAT0, LNG0, radius_px=300, dot_px=64, edge_px=350)
    assert len(marks) == 8 and all(m.edge for m in marks)
    assert sorted(round(m.bearing) % 360 for m in marks) == [0, 45, 90, 135, 180, 225, 270, 315]
    assert sum(m.count for m in marks) == len(pts)
    north = next(m for m in marks if round(m.bearing) % 360 == 0)
    e, n = project(*(next((p.lat, p.lng) for p in pts if p.job_id == north.job_ids[0])), LAT0, LNG0)
    assert abs((math.degrees(math.atan2(e, n)) + 180) % 360 - 180) <= 22.5


def test_edge_markers_merge_across_north() -> None:
    pts = [point("w", -0.05, 5), point("e", 0.05, 5)]  # bearings about 359.4 and 0.6 degrees
    (mk,) = layout(pts, LAT0, LNG0, radius_px=300, dot_px=48)
    assert mk.edge and mk.count == 2
    assert min(mk.bearing, 360 - mk.bearing) < 1  # the circular mean: north, not south


def test_the_direction_of_a_group_of_farther_jobs() -> None:
    from kiosk.mapview import direction_of

    assert direction_of([point("a", 3, -3), point("b", 5, -4)], LAT0, LNG0) == "south-east"
    assert direction_of([point("a", -0.1, 4), point("b", 0.1, 6)], LAT0, LNG0) == "north"


def test_compass_words_are_translated() -> None:
    from kiosk.i18n import tr
    from kiosk.mapview import COMPASS

    assert [tr(m, "zh") for m in COMPASS] == ["北", "东北", "东", "东南", "南", "西南", "西", "西北"]
