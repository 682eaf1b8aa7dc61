"""When a station may install: never during a visit; outside opening hours, or after the
kiosk has been idle for `idle_minutes`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk import opening_hours


@dataclass(frozen=True)
class Activity:
    visit_active: bool = False
    last_touch: float | None = None  # epoch seconds; None = no touch seen since start


def may_install(now: dt.datetime, hours: str | None, activity: Activity,
                idle_minutes: int) -> tuple[bool, str]:
    if activity.visit_active:
        return False, "a visit is in progress"
    if hours and not opening_hours.is_open(hours, now):
        return True, "outside opening hours"
    if activity.last_touch is None:
        return True, "no touch since start"
    idle_s = now.timestamp() - activity.last_touch
    if idle_s >= idle_minutes * 60:
        return True, f"idle for {int(idle_s // 60)} min"
    return False, f"in use {int(idle_s // 60)} min ago (needs {idle_minutes} min idle)"
