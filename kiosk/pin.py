"""Maintenance PIN: the format of the remote config's `maintenance_pin_hash`, and the check.

A maintainer whose phone cannot show a signed maintenance code (or whose camera is the
broken device) types the county's PIN on the kiosk instead. The hash format, chosen by the
kiosk (central/README.md leaves it to us), uses only characters the config allows:

    pbkdf2-sha256$<iterations>$<salt, base64url>$<derived key, base64url>

`gig-kiosk pin-hash` makes one for county staff to paste into the admin page. A PIN is 6 to
12 digits. `PinGuard` locks entry for five minutes after five wrong PINs in a row, so a
PIN cannot be guessed at the screen; the lock lives in memory (a restart clears it, and
takes longer than the lock is worth to an attacker at a public kiosk).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable

SCHEME = "pbkdf2-sha256"
ITERATIONS = 120_000  # ~0.1 s on a kiosk CPU: once per attempt, never in a loop
_PIN = re.compile(r"^[0-9]{6,12}$")  # ASCII only: \d would also take fullwidth digits


def validate_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise ValueError("a maintenance PIN is 6 to 12 digits")
    return pin


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", validate_pin(pin).encode("ascii"), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(key)}"


def verify_pin(pin: str, encoded: str) -> bool:
    """True if pin matches; False for a wrong PIN and for a hash in another format."""
    try:
        scheme, iterations, salt, key = encoded.split("$")
        rounds = int(iterations)
        if scheme != SCHEME or not 1_000 <= rounds <= 10_000_000:
            return False
        expected = _unb64(key)
        got = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), _unb64(salt), rounds)
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(got, expected)


class PinGuard:
    """Counts wrong PINs; after `max_failures` in a row, refuses for `lockout_s`."""

    def __init__(self, max_failures: int = 5, lockout_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    def locked_for(self) -> float:
        """Seconds until a PIN may be tried again (0: now)."""
        return max(0.0, self._locked_until - self._clock())

    def check(self, pin: str, encoded: str) -> bool:
        """False while locked (without looking at the PIN), or for a wrong PIN."""
        if self.locked_for() > 0:
            return False
        if verify_pin(pin, encoded):
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self.max_failures:
            self._failures = 0
            self._locked_until = self._clock() + self.lockout_s
        return False
