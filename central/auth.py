"""Bearer-token principals: a station acts only for itself, staff only within their county."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from central import staff_tokens
from central.models import Staff, Station
from central.security import hash_token
from central.services import as_utc

log = logging.getLogger("central.auth")


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

    Tokens are never reassigned in this server. On PostgreSQL every instance runs a
    `TokenListener`: a database trigger NOTIFYs the token hash when a token is replaced,
    revoked, disabled or deleted, and each instance drops it within milliseconds; while the
    listener is not connected the cache is bypassed (`live` False), so a missed event can never
    keep a stopped token working. On SQLite (one process) `forget` after the change is enough;
    with several SQLite worker processes a removed token still works for up to `ttl_s`. Unknown tokens are remembered too (briefly, so a flood of bad
    tokens stays cheap) but in a separate bounded LRU: no number of bad tokens can evict a
    good one.
    """

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = 60.0, size: int = 20000,
                 negative_ttl_s: float = 5.0, negative_size: int = 10000) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._size = size
        self._negative_ttl = negative_ttl_s
        self._negative_size = negative_size
        self._lock = threading.Lock()
        self._good: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._bad: OrderedDict[str, float] = OrderedDict()
        self._generation = 0  # bumped by forget: a lookup that raced with one is not cached
        self.live = True  # False: entries may be stale (invalidation feed down): do not use them

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(True, principal or None) if the cache knows the token, else (False, None): then
        call `lookup` (it queries the database, so from a worker thread)."""
        digest = hash_token(token)
        t = time.monotonic()
        if not self.live:
            return False, None
        with self._lock:
            good = self._good.get(digest)
            if good is not None and good[0] > t:
                self._good.move_to_end(digest)
                return True, good[1]
            bad = self._bad.get(digest)
            if bad is not None and bad > t:
                return True, None
        return False, None

    def lookup(self, token: str) -> Principal | None:
        hit, principal = self.cached(token)
        if hit:
            return principal
        digest = hash_token(token)
        generation = self._generation  # before the query: an event during it wins
        principal = self._load(digest)
        t = time.monotonic()
        with self._lock:
            if not self.live or generation != self._generation:
                return principal
            if principal is not None:
                self._bad.pop(digest, None)
                self._remember(self._good, digest, (t + self._ttl, principal), self._size)
            else:
                self._good.pop(digest, None)
                self._remember(self._bad, digest, t + self._negative_ttl, self._negative_size)
        return principal

    @staticmethod
    def _remember(entries: OrderedDict, digest: str, value: object, size: int) -> None:
        entries[digest] = value
        entries.move_to_end(digest)
        while len(entries) > size:
            entries.popitem(last=False)  # least recently used

    def forget(self, digest: str | None = None) -> None:
        """Drop one token hash (or every entry) at once: call after revoking, rotating or
        disabling, so the old token stops working on this process now, not after the TTL."""
        with self._lock:
            self._generation += 1
            if digest is None:
                self._good.clear()
                self._bad.clear()
            else:
                self._good.pop(digest, None)
                self._bad.pop(digest, None)

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


TOKEN_CHANNEL = "gig_central_tokens"  # NOTIFY'd by the triggers of migration 0011


class TokenListener:
    """LISTENs for token events on its own psycopg connection (a daemon thread per instance)
    and drops each named hash from `cache`. Reconnects after a failure; until connected again
    the cache is bypassed, and it is cleared on reconnecting (events may have been missed)."""

    def __init__(self, engine: Engine, cache: TokenCache, retry_s: float = 1.0) -> None:
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.cache = cache
        self.retry_s = retry_s
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="token-listener")

    def start(self) -> TokenListener:
        self.cache.live = False
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {TOKEN_CHANNEL}")
                    self.cache.forget()  # whatever happened while we were not listening
                    self.cache.live = True
                    self.connected.set()
                    while not self._stop.is_set():
                        for event in conn.notifies(timeout=1.0):
                            self.cache.forget(event.payload or None)
            except Exception as exc:  # noqa: BLE001 - database gone or restarting: retry
                log.warning("token listener disconnected (%s); cache bypassed until it reconnects",
                            type(exc).__name__)
            self.cache.live = False
            self.connected.clear()
            self._stop.wait(self.retry_s)
