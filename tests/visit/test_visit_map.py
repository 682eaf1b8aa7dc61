"""Issue 16's 15-minute circle, headless: the walking chip, walking times on rows, the map's
intents (switch, tap a dot, tap a count). tests/ui/test_ui_map.py shows them drawn."""

from __future__ import annotations

from visit_helpers import World

from kiosk.travel import walk_km, walk_minutes
from kiosk.visit.core import JOB_DETAIL, JOBS, JOBS_MAP


def test_the_15_minute_chip_keeps_only_jobs_within_15_minutes_walk(world: World) -> None:
    v = world.visit
    v.open_jobs()
    everything = v.job_count
    v.toggle_walk_filter()
    assert v.job_filter.within_walk_minutes == 15
    assert 0 < v.job_count < everything
    st = v.settings.station
    for row in v.rows:
        job = world.store.get_job(row["job_id"])
        from kiosk.geo import haversine_km

        assert walk_minutes(haversine_km(st.lat, st.lng, job.lat, job.lng)) <= 15
    v.toggle_walk_filter()  # the same chip again: off
    assert v.job_filter.within_walk_minutes is None and v.job_count == everything


def test_rows_say_the_walking_time(world: World) -> None:
    v = world.visit
    v.open_jobs()
    row = v.rows[0]
    assert row["walk"].startswith("步行约 ") and row["walk"].endswith("分钟")
    v.set_language("en")
    assert v.rows[0]["walk"].startswith("about ") and v.rows[0]["walk"].endswith(" walk")


def test_the_map_switch_shows_the_same_filters_and_back_leaves_the_jobs(world: World) -> None:
    v = world.visit
    v.start()
    v.open_jobs()
    v.toggle_filter("settlements", "daily")
    assert v.open_map().screen == JOBS_MAP
    assert v.map_rows and all(r["daily"] for r in v.map_rows)  # the list's filter holds on the map
    inside = [r for r in v.map_rows if r["km"] <= walk_km(15)]
    assert len(inside) == v.map_inside
    assert v.map_farther == v.job_count - v.map_inside
    assert v.open_list().screen == JOBS
    v.open_map()
    assert v.back().screen == "home"  # the switch is not a step of its own


def test_tapping_a_dot_opens_its_job_and_back_returns_to_the_map(world: World) -> None:
    v = world.visit
    v.start()
    v.open_jobs()
    v.open_map()
    row = v.map_rows[0]
    assert v.map_pick((row["job_id"],)).screen == JOB_DETAIL
    assert v.job is not None and v.job.id == row["job_id"]
    assert v.back().screen == JOBS_MAP


def test_tapping_a_count_lists_its_jobs_under_the_map(world: World) -> None:
    v = world.visit
    v.start()
    v.open_jobs()
    v.open_map()
    ids = tuple(r["job_id"] for r in v.map_rows[:3])
    assert v.map_pick(ids).screen == JOBS_MAP and v.map_group == ids
    assert v.map_unpick().screen == JOBS_MAP and v.map_group == ()
    v.map_pick(ids)
    v.open_list()
    assert v.map_group == ()


def test_the_map_follows_the_language_and_new_data(world: World) -> None:
    v = world.visit
    v.start()
    v.open_jobs()
    v.open_map()
    v.set_language("en")
    assert v.map_rows[0]["walk"].endswith(" walk")
    before = len(v.map_rows)
    v.data_changed()
    assert len(v.map_rows) == before
