"""One seeker's visit, held in memory only.

Whatever identifies the person (ID card fields, phone) lives here and nowhere else on the
kiosk until they consent to send an application; `clear()` drops it at the end of the
visit (done button, card removed, idle timeout). Nothing here is ever written to disk or logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    identity: Any = None  # kiosk.identity.IdentityCard once a card is read
    phone: str = ""
    consent_version: str = ""
    consent_at: float = 0.0
    viewed_job_ids: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    _on_clear: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def identified(self) -> bool:
        return self.identity is not None

    def on_clear(self, callback: Callable[[], None]) -> None:
        self._on_clear.append(callback)

    def clear(self) -> None:
        """Forget the person. Listeners (screens) wipe what they show."""
        self.identity = None
        self.phone = ""
        self.consent_version = ""
        self.consent_at = 0.0
        self.viewed_job_ids.clear()
        self.started_at = time.monotonic()
        for callback in list(self._on_clear):
            callback()

    def __repr__(self) -> str:  # never print personal fields, even in a traceback
        return f"Session(identified={self.identified}, viewed={len(self.viewed_job_ids)})"
