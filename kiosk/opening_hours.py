"""Staffed hours of a station, as county staff set them in the remote config ("06:00-22:00").

The end may be "24:00"; an end before the start runs over midnight ("20:00-02:00"). Outside
these hours the kiosk still serves seekers; the attract screen says staff are not there.
"""

from __future__ import annotations

import datetime as dt
import re

# The remote config validates opening_hours with this pattern too (kiosk.remote_config); it
# is the central server's, character for character (tests/sync/test_sync_contract.py).
PATTERN = r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$"
_HOURS = re.compile(PATTERN)


def parse(text: str) -> tuple[int, int]:
    """(start, end) in minutes after midnight; end may be 1440. ValueError if malformed."""
    text = text.strip()
    if not _HOURS.match(text):
        raise ValueError(f"opening hours must look like 06:00-22:00, not {text!r}")
    start = int(text[0:2]) * 60 + int(text[3:5])  # HH:MM-HH:MM, fixed positions
    end = 1440 if text[6:] == "24:00" else int(text[6:8]) * 60 + int(text[9:11])
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
