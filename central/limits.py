"""Request body size limits, enforced before anything parses the body or looks up a token.

A pure ASGI middleware: a declared `Content-Length` over the route's limit is answered 413 at
once (the body is never read); a body without one (chunked) is counted as it streams in and
the request fails with 413 as soon as it passes the limit, so at most `limit` bytes are ever
held. One table below; a route not in it gets `DEFAULT_LIMIT`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB = 1024
DEFAULT_LIMIT = 64 * KB
# (method or "*", path pattern, bytes). First match wins. Sized for the largest valid body
# with every character escaped (\ud83d\ude00 in JSON, %F0%9F%98%80 in a form: 12 bytes for one
# character): policies carry up to 20,464 characters of text (schemas.PolicyIn), so 320 KB.
LIMITS: list[tuple[str, re.Pattern[str], int]] = [
    (m, re.compile(p), n) for m, p, n in [
        ("POST", r"/v1/applications", 16 * KB),
        ("POST", r"/v1/stations/[^/]+/heartbeats", 16 * KB),
        ("PUT", r"/v1/stations/[^/]+/stats", 192 * KB),  # 2,000 rows of ~70 bytes (schemas.StatsPut)
        ("PUT", r"/v1/stations/[^/]+/config", 16 * KB),
        ("PUT", r"/v1/counties/[^/]+/config", 16 * KB),
        ("*", r"/v1/jobs(/.*)?", 64 * KB),
        ("PUT", r"/v1/policies/[^/]+", 320 * KB),
        ("POST", r"/v1/enrol", 1 * KB),
        ("POST", r"/v1/alerts/[^/]+/ack", 1 * KB),
        ("POST", r"/v1/stations/[^/]+/my-applications", 1 * KB),
        ("POST", r"/v1/applications/[^/]+/withdraw", 1 * KB),
        ("POST", r"/v1/applications/[^/]+/reveal", 1 * KB),
        ("POST", r"/v1/applications/[^/]+/outcome", 8 * KB),  # a note of 500 characters, escaped
        # A command result: a PNG screenshot or gzip log bundle of up to 4 MB, base64 in JSON.
        ("POST", r"/v1/stations/[^/]+/commands/[^/]+/result", 5632 * KB),
        ("POST", r"/v1/stations/[^/]+/commands", 1 * KB),
        # Standing registrations (issue 16): up to 20 categories of 64 characters, escaped.
        ("POST", r"/v1/registrations", 24 * KB),
        ("POST", r"/v1/registrations/mine", 1 * KB),
        ("POST", r"/v1/registrations/[^/]+/end", 1 * KB),
        ("POST", r"/v1/matches/[^/]+/reveal", 1 * KB),
        ("POST", r"/v1/matches/[^/]+/outcome", 8 * KB),
        ("POST", r"/admin/login", 4 * KB),
        ("POST", r"/admin/jobs-import", 11 * 1024 * KB),  # a spreadsheet: people.MAX_UPLOAD + form
        ("POST", r"/admin/policies/[^/]+", 320 * KB),
        ("*", r"/admin/.*", 64 * KB),
    ]
]


def limit_for(method: str, path: str) -> int:
    for m, pattern, n in LIMITS:
        if (m == "*" or m == method) and pattern.fullmatch(path):
            return n
    return DEFAULT_LIMIT


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit. An HTTPException, so
    FastAPI's body parsing re-raises it unchanged and it is answered as 413 {"detail"}."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large (limit {limit} bytes)",
                         headers={"Connection": "close"})


async def _reject(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body too large (limit {limit} bytes)"}).encode()
    # Connection: close, so the server drops the connection instead of draining the body.
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int] = limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1  # malformed: refuse rather than guess
                if declared > limit:
                    await _reject(send, limit)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Read outside FastAPI's body parsing (e.g. a form): answer here if we still can.
            if started:
                raise
            await _reject(send, limit)
