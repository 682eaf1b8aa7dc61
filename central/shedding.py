"""Load shedding: a bound on the requests one server process works on at once.

A pure ASGI middleware, outermost, so a refused request costs no body parsing, token lookup or
database work. Past the bound a request is answered at once with 503 and a `Retry-After` of a
few seconds, drawn at random so a fleet that was refused together does not come back together
(the kiosks add their own full-jitter backoff). Without it an overloaded server only queues:
every station waits longer and longer, its requests time out and are sent again, and the
herd after a county-wide outage took 90 s to settle (bench_scale).

A 503 from here means the request was not processed at all, so any request may be sent again
after `Retry-After` (the contract in central/README.md). A request already admitted is never
cut short. `/healthz` is never refused (a load balancer must not take a busy instance for a
dead one) and the staff's admin pages have their own, separate allowance, so staff can still
work while the fleet is being refused.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_INFLIGHT_ENV = "GIG_CENTRAL_MAX_INFLIGHT"
# Per server process (a uvicorn worker). Measured with bench_scale's herd; see central/README.md.
DEFAULT_MAX_INFLIGHT = 32
ADMIN_MAX_INFLIGHT = 8
RETRY_AFTER_S = (1, 5)  # inclusive; whole seconds (RFC 9110 delay-seconds)
_BODY = json.dumps({"detail": "the server is busy, retry after Retry-After seconds"}).encode()


class LoadShed:
    """`max_inflight` <= 0 turns shedding off. Counters need no lock: one event loop per process."""

    def __init__(self, app: ASGIApp, max_inflight: int = DEFAULT_MAX_INFLIGHT,
                 admin_max_inflight: int = ADMIN_MAX_INFLIGHT,
                 retry_after_s: tuple[int, int] = RETRY_AFTER_S) -> None:
        self.app = app
        self.limits = {"api": max_inflight, "admin": admin_max_inflight}
        self.inflight = {"api": 0, "admin": 0}
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz" or self.limits["api"] <= 0:
            await self.app(scope, receive, send)
            return
        pool = "admin" if scope["path"].startswith("/admin") else "api"
        if self.inflight[pool] >= self.limits[pool]:
            await self._refuse(send)
            return
        self.inflight[pool] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight[pool] -= 1

    async def _refuse(self, send: Send) -> None:
        wait = random.randint(*self.retry_after_s)
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode()),
            (b"retry-after", str(wait).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": _BODY})
