"""One seeker's visit, held in memory only.

Whatever identifies the person (ID card fields, phone) lives here and nowhere else on the
kiosk until they consent to send an application; `clear()` drops it at the end of the
visit (done button, card removed, idle timeout). Nothing here is ever written to disk or logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.worker import Signal


@dataclass
class Session:
    identity: Any = None  # kiosk.identity.IdentityCard once a card is read
    phone: str = ""
    consent_version: str = ""
    consent_at: float = 0.0
    viewed_job_ids: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    # emitted by clear(): listeners (screens) wipe what they show
    cleared: Signal[[]] = field(default_factory=lambda: Signal("session.cleared"), repr=False,
                                compare=False)

    @property
    def identified(self) -> bool:
        return self.identity is not None

    def clear(self) -> None:
        """Forget the person. Listeners (screens) wipe what they show."""
        self.identity = None
        self.phone = ""
        self.consent_version = ""
        self.consent_at = 0.0
        self.viewed_job_ids.clear()
        self.started_at = time.monotonic()
        self.cleared.emit()

    def __repr__(self) -> str:  # never print personal fields, even in a traceback
        return f"Session(identified={self.identified}, viewed={len(self.viewed_job_ids)})"
