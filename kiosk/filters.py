"""What a seeker filters jobs by (the chips on the job list). Pure data, cheap to import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from kiosk.models import PayUnit, Settlement


@dataclass(frozen=True)
class JobFilter:
    categories: frozenset[str] = frozenset()
    pay_units: frozenset[PayUnit] = frozenset()
    settlements: frozenset[Settlement] = frozenset()
    start_from: dt.date | None = None  # start date window, inclusive
    start_to: dt.date | None = None
    radius_km: float = 10.0
    seeker_age: int | None = None  # set from an ID card: hide jobs whose age range excludes it
    within_walk_minutes: int | None = None  # the "15 分钟内" chip: only jobs this many minutes' walk away

    @property
    def reach_km(self) -> float:
        """How far a job may be (straight line): the radius, or less with the walking chip on."""
        if self.within_walk_minutes is None:
            return self.radius_km
        from kiosk.travel import walk_km

        return min(self.radius_km, walk_km(self.within_walk_minutes))

    def with_toggled(self, attr: str, value: object) -> JobFilter:
        """A copy with `value` added to or removed from the set field `attr` (chip tap)."""
        current = set(getattr(self, attr))
        current.symmetric_difference_update({value})
        changes: dict[str, Any] = {attr: frozenset(current)}
        return replace(self, **changes)
