"""Failed-login throttle for the admin pages, per user name and per client address.

State is in the database (`login_throttle`), so the limit holds however many server
processes there are. A fixed window starts at the first failure; once a key has `limit`
failures in its window, logins for it answer 429 until the window ends, before any password
is hashed. A success clears the user name's count (not the address's).

Trade-off: anyone can lock a user name out for one window by failing on purpose; a 15-minute
lock-out is the accepted price for not letting a password be guessed.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central import services
from central.models import LoginThrottle

WINDOW = timedelta(minutes=15)
USER_LIMIT = 5      # failures per user name per window
ADDRESS_LIMIT = 30  # per client address: one office behind NAT has several staff


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, address: str) -> dict[str, int]:
    return {_key("user", username): USER_LIMIT, _key("addr", address): ADDRESS_LIMIT}


def retry_after(s: Session, username: str, address: str) -> int:
    """Seconds until a login for this user name from this address may be tried (0: now)."""
    limits = _keys(username, address)
    at = services.now()
    wait = 0.0
    for row in s.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(limits))):
        ends = services.as_utc(row.window_start) + WINDOW
        if row.failures >= limits[row.key] and ends > at:
            wait = max(wait, (ends - at).total_seconds())
    return math.ceil(wait)


def count(s: Session, key: str, window: timedelta = WINDOW) -> None:
    """Counts one event against `key` in its fixed window (the caller commits)."""
    at = services.now()
    table = LoginThrottle
    # In the window: count on. Window over: start a new one. No row yet: insert one.
    if s.execute(update(table).where(table.key == key, table.window_start > at - window)
                 .values(failures=table.failures + 1)).rowcount:
        return
    if s.execute(update(table).where(table.key == key).values(failures=1, window_start=at)).rowcount:
        return
    try:
        with s.begin_nested():
            s.add(LoginThrottle(key=key, failures=1, window_start=at))
    except IntegrityError:  # another process inserted it first
        s.execute(update(table).where(table.key == key).values(failures=table.failures + 1))


def wait_s(s: Session, key: str, limit: int, window: timedelta = WINDOW) -> float:
    """Seconds until `key` is below `limit` events in its window again (0: now)."""
    row = s.get(LoginThrottle, key, populate_existing=True)
    if row is None or row.failures < limit:
        return 0.0
    return max(0.0, (services.as_utc(row.window_start) + window - services.now()).total_seconds())


def record_failure(s: Session, username: str, address: str) -> None:
    """Counts one failure against both keys (the caller commits)."""
    for key in _keys(username, address):
        count(s, key)
    # Old windows are of no use; dropping them keeps the table to recent failures.
    s.execute(delete(LoginThrottle).where(LoginThrottle.window_start <= services.now() - WINDOW))


def record_success(s: Session, username: str) -> None:
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == _key("user", username)))
