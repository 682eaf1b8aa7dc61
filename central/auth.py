"""Bearer-token principals: a station acts only for itself, staff only within their county."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from central import staff_tokens
from central.models import Staff, Station
from central.security import hash_token
from central.services import as_utc


@dataclass(frozen=True)
class Principal:
    kind: str  # "station" or "staff"
    county: str
    station_id: str | None = None
    username: str | None = None
    role: str | None = None  # staff only: central.roles
    expires_at: float | None = None  # staff only: POSIX time the token stops (checked per request)

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()


def unauthorized(detail: str = "missing or invalid bearer token") -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


class TokenCache:
    """token hash -> Principal, kept for a short TTL so a busy fleet costs no auth query.

    Tokens are never reassigned in this server; a removed station or staff member stops
    working within `ttl_s`.
    """

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = 60.0, size: int = 20000) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def lookup(self, token: str) -> Principal | None:
        digest = hash_token(token)
        t = time.monotonic()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and hit[0] > t:
            return hit[1]
        principal = self._load(digest)
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()  # crude but bounded; refills at one query per token
            # Unknown tokens are cached briefly too, so a flood of bad tokens stays cheap.
            self._entries[digest] = (t + (self._ttl if principal else 5.0), principal)
        return principal

    def forget(self, digest: str | None = None) -> None:
        """Drop one token hash (or every entry) at once: call after revoking, rotating or
        disabling, so the old token stops working on this process now, not after the TTL."""
        with self._lock:
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)

    def _load(self, digest: str) -> Principal | None:
        with self._sessions() as s:
            row = s.execute(select(Station.id, Station.county).where(
                Station.token_hash == digest, Station.disabled.is_(False))).first()
            if row:
                return Principal("station", row.county, station_id=row.id)
            row = s.execute(select(Staff.username, Staff.county, Staff.role, Staff.token_expires_at,
                                   Staff.token_revoked_at).where(
                Staff.token_hash == digest, Staff.disabled.is_(False))).first()
            if row and staff_tokens.usable(row.token_expires_at, row.token_revoked_at):
                return Principal("staff", row.county, username=row.username, role=row.role,
                                 expires_at=as_utc(row.token_expires_at).timestamp())
        return None
