"""Maintenance PIN: the format of the remote config's `maintenance_pin_hash`, and the check.

A maintainer whose phone cannot show a signed maintenance code (or whose camera is the
broken device) types the station's PIN on the kiosk instead. The hash format, chosen by the
kiosk (central/README.md leaves it to us), uses only characters the config allows:

    scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<derived key, base64url>

scrypt is memory-hard (N=2^17, r=8: 128 MiB per guess), so a GPU cannot run thousands of
guesses side by side as it could against the old PBKDF2 format. A hash still reaches the
station's disk, so each station should have its own PIN, of 10-12 digits where practical.

The old `pbkdf2-sha256$...` format is refused, not verified: those hashes went to every
station of a county, world-readable, and must be assumed cracked. A station that still has
one says so on the PIN screen (signed maintenance codes keep working meanwhile).

`gig-kiosk pin-hash` makes a hash for county staff to paste into the admin page. A PIN is 6
to 12 digits. `PinGuard` locks entry for five minutes after five wrong PINs in a row, so a
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

SCHEME = "scrypt"
LOG2_N, R, P = 17, 8, 1  # OWASP's scrypt minimum; ~0.4 s on a desktop CPU, once per attempt
MIN_LOG2_N, MAX_LOG2_N = 14, 20  # a signed config still must not name trivial or absurd costs
OLD_SCHEME = "pbkdf2-sha256"
_PIN = re.compile(r"^[0-9]{6,12}$")  # ASCII only: \d would also take fullwidth digits


def validate_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise ValueError("a maintenance PIN is 6 to 12 digits")
    return pin


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 2**log2_n
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=2 * 128 * n * r * p)


def hash_pin(pin: str, *, salt: bytes | None = None, log2_n: int = LOG2_N) -> str:
    salt = salt if salt is not None else os.urandom(16)
    key = _scrypt(validate_pin(pin), salt, log2_n, R, P)
    return f"{SCHEME}${log2_n}${R}${P}${_b64(salt)}${_b64(key)}"


def is_old_format(encoded: str) -> bool:
    """True for a hash in the refused PBKDF2 format (the PIN screen explains it)."""
    return encoded.startswith(OLD_SCHEME + "$")


def verify_pin(pin: str, encoded: str) -> bool:
    """True if pin matches; False for a wrong PIN and for a hash in another format."""
    try:
        scheme, log2_n, r, p, salt, key = encoded.split("$")
        cost = int(log2_n)
        if scheme != SCHEME or not MIN_LOG2_N <= cost <= MAX_LOG2_N or (int(r), int(p)) != (R, P):
            return False
        expected = _unb64(key)
        got = _scrypt(pin, _unb64(salt), cost, R, P)
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
