"""kiosk.opening_hours: staffed hours, including over midnight and 24:00."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import opening_hours as oh


def at(hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2026, 11, 23, h, m)


@pytest.mark.parametrize(
    ("hours", "time", "expected"),
    [
        ("06:00-22:00", "05:59", False),
        ("06:00-22:00", "06:00", True),
        ("06:00-22:00", "21:59", True),
        ("06:00-22:00", "22:00", False),
        ("08:30-24:00", "23:59", True),
        ("08:30-24:00", "00:10", False),
        ("20:00-02:00", "23:00", True),
        ("20:00-02:00", "01:59", True),
        ("20:00-02:00", "02:00", False),
        ("20:00-02:00", "12:00", False),
        ("00:00-24:00", "03:00", True),
        ("00:00-00:00", "03:00", True),
    ],
)
def test_is_open(hours: str, time: str, expected: bool) -> None:
    assert oh.is_open(hours, at(time)) is expected


def test_display_and_bad_input() -> None:
    assert oh.display("06:00-22:00") == "06:00–22:00"
    assert oh.display("08:30-24:00") == "08:30–24:00"
    for bad in ("25:00-26:00", "6:00-22:00", "06:00", "06:00-24:30", ""):
        with pytest.raises(ValueError):
            oh.parse(bad)


@given(st.integers(0, 1439), st.integers(0, 1439))
def test_a_day_is_split_into_open_and_closed_minutes_as_the_hours_say(start: int, end: int) -> None:
    hours = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    day = dt.datetime(2026, 11, 23)
    open_minutes = sum(oh.is_open(hours, day + dt.timedelta(minutes=m)) for m in range(1440))
    assert open_minutes == ((end - start) % 1440 or 1440)
