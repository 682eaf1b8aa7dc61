"""The job list's rows are reused across searches and visits while nothing they show changed
(issue 17: building ~170 rows of text on the tap was most of home -> jobs's frame)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from visit_helpers import NOW, make_world

from kiosk import demo_data
from kiosk.models import Settlement
from kiosk.store import Store


def _counting(tmp_path: Path) -> tuple[Any, list[Any], Store]:
    store = Store(tmp_path / "cache.db")  # its own: this test writes jobs
    store.upsert_jobs(demo_data.load_jobs(NOW.date()))
    world = make_world(store, tmp_path)
    v, searched, inner = world.visit, [], world.visit._search
    v._search = lambda flt, today: searched.append(flt) or inner(flt, today)
    return world, searched, store


def test_rows_are_reused_until_the_filter_language_day_or_jobs_change(tmp_path: Path) -> None:
    world, searched, store = _counting(tmp_path)
    v = world.visit
    v.open_jobs()
    first, count = v.rows, v.job_count
    assert len(searched) == 1 and count > 10
    v.end()
    v.open_jobs()  # the next visit, no filter: the same rows, in a new list (drawn from the top)
    assert len(searched) == 1 and v.rows == first and v.rows is not first and v.job_count == count
    v.toggle_filter("settlements", Settlement.DAILY)
    assert len(searched) == 2 and v.job_count < count
    v.toggle_filter("settlements", Settlement.DAILY)  # undone: the rows of the first search
    assert len(searched) == 2 and v.rows == first
    v.toggle_language()
    assert len(searched) == 3 and v.rows[0]["pay"] != first[0]["pay"]
    v.toggle_language()
    assert len(searched) == 3
    world.clock.advance(24 * 3600)  # "starts today" is tomorrow's "started yesterday"
    v.refresh_rows()
    assert len(searched) == 4
    store.upsert_jobs(demo_data.load_jobs(NOW.date() + dt.timedelta(days=1)))  # a sync wrote jobs
    v.data_changed()
    assert len(searched) == 5


def test_rows_are_prepared_before_the_list_is_opened(tmp_path: Path) -> None:
    world, searched, _store = _counting(tmp_path)
    v = world.visit
    v.toggle_language()  # a different search than any before
    v.prepare_rows()
    assert len(searched) == 1 and v.rows == [] and v.job_count == 0  # nothing shown yet
    v.open_jobs()
    assert len(searched) == 1 and v.job_count > 10 and "¥" in v.rows[0]["pay"]
