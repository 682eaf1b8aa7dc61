"""Staffed hours of a station, as county staff set them in the remote config ("06:00-22:00").

The end may be "24:00"; an end before the start runs over midnight ("20:00-02:00"). Outside
these hours the kiosk still serves seekers; the attract screen says staff are not there.
"""

from __future__ import annotations

import datetime as dt
import re

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$")


def parse(text: str) -> tuple[int, int]:
    """(start, end) in minutes after midnight; end may be 1440. ValueError if malformed."""
    m = _HOURS.match(text.strip())
    if not m:
        raise ValueError(f"opening hours must look like 06:00-22:00, not {text!r}")
    start = int(m.group(1)) * 60 + int(m.group(2))
    end = 1440 if m.group(3) == "24:00" else int(m.group(4)) * 60 + int(m.group(5))
    return start, end


def is_open(text: str, at: dt.datetime) -> bool:
    start, end = parse(text)
    now = at.hour * 60 + at.minute
    if start == end:  # "00:00-00:00": around the clock, never a zero-length day
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end  # over midnight


def display(text: str) -> str:
    """"06:00-22:00" as shown: with an en dash."""
    start, end = parse(text)
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"
