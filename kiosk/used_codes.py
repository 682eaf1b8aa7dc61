"""Maintenance codes are single-use on a station: the nonces of codes already used, kept until
the code would have expired anyway (then it is refused as expired), on disk so a restart does
not reopen them, and bounded (MAX_ENTRIES) so the file stays small.

Only codes whose county signature verified reach this ledger, so filling it takes the
county's signing key; when full, further codes are refused until entries expire (failing
closed: evicting a live entry would make that code usable again).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

MAX_ENTRIES = 2000  # ~80 KB; far above what maintainers scan in a month (codes live <= 31 days)
MAX_LIFETIME_S = 31 * 24 * 3600  # kiosk.codes.MAX_MAINT_LIFETIME_S: no code lives longer


class UsedCodes:
    FILE = "used-maintenance-codes.json"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._closed_until = 0.0  # set when the file is unreadable
        self._used: dict[str, float] = self._load()

    @classmethod
    def in_dir(cls, data_dir: Path) -> UsedCodes:
        return cls(Path(data_dir) / cls.FILE)

    def use(self, nonce: str, expires_at: float, now: float) -> str:
        """"ok" (recorded, durable on return), "used" (seen before) or "full"."""
        with self._lock:
            if now < self._closed_until:
                return "used"
            self._used = {n: exp for n, exp in self._used.items() if exp > now}
            if nonce in self._used:
                return "used"
            if len(self._used) >= MAX_ENTRIES:
                log.error("maintenance codes: %d unexpired codes already used; refusing more", MAX_ENTRIES)
                return "full"
            self._used[nonce] = float(expires_at)
            self._save()
            return "ok"

    def __len__(self) -> int:
        return len(self._used)

    def _load(self) -> dict[str, float]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(n): float(e) for n, e in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError, TypeError):
            # Unreadable: refuse codes (the PIN still works) rather than reopen used ones,
            # until every code that could have been in it has expired.
            log.error("maintenance codes: %s unreadable; refusing codes for now", self.path.name)
            try:
                self._closed_until = self.path.stat().st_mtime + MAX_LIFETIME_S
            except OSError:
                self._closed_until = float("inf")
            return {}

    def _save(self) -> None:
        """Write-then-rename with fsync: a code counts as used only once this returns."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(self._used, separators=(",", ":")).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
