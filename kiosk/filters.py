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

    def with_toggled(self, attr: str, value: object) -> JobFilter:
        """A copy with `value` added to or removed from the set field `attr` (chip tap)."""
        current = set(getattr(self, attr))
        current.symmetric_difference_update({value})
        changes: dict[str, Any] = {attr: frozenset(current)}
        return replace(self, **changes)
