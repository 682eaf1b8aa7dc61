"""Quiet hours ("22:00-07:00", local time): when a county does not want to be disturbed by
warning alerts, and when seekers are not sent text messages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse(value: str) -> tuple[time, time] | None:
    """"22:00-07:00" -> (22:00, 07:00); "" -> None. Raises ValueError when malformed."""
    if not value:
        return None
    start, end = value.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def until(value: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (in now's timezone), or None outside them.
    A span may run over midnight; "08:00-08:00" means none."""
    span = parse(value)
    if span is None or span[0] == span[1]:
        return None
    local = now.astimezone(zone)
    start, end = span
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, zone).astimezone(now.tzinfo)
