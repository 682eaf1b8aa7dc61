"""The fleet's three frequent requests (heartbeat, config poll, jobs poll) past FastAPI.

Every station sends these every minute or so; on one process FastAPI's routing, dependency
solving and request objects cost about as much CPU as the database statement itself
(bench_scale, CPU per request per endpoint). This pure ASGI middleware answers the ordinary
case of those three itself, with the same code after authorisation (central.api's
*_reply functions) and so the same responses; it sits inside LoadShed, BodyLimit and
SecurityHeaders (central.app), so shedding, body limits and headers apply unchanged.

"The ordinary case" is narrow on purpose: a well-formed `Bearer` token of the station named
in the path, found in the token cache (or looked up the way central.api.principal does),
known query parameters in their plain form and a heartbeat body that parses. Anything else —
no or unknown token, a staff token, another station's id, a malformed id, parameter or body,
a revoked token — falls through to FastAPI untouched (a body already read is replayed), so
every refusal keeps FastAPI's exact status and body. Tokens are checked with the same
TokenCache, so a revocation (LISTEN/NOTIFY across instances) stops them here as promptly.

The database step still runs in the app's database threads (central.app DB_THREADS), not on
the event loop: the statement usually takes well under a millisecond, but a lock wait may
last up to db.LOCK_TIMEOUT_S and a PostgreSQL on another host adds its round trip to every
call; blocking the loop for those would stall every other request of the process, /healthz
included. What this path saves is FastAPI, not that hop.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi.exception_handlers import http_exception_handler
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central import services
from central.api import config_reply, heartbeat_reply, jobs_reply
from central.app import busy_response, refused_response
from central.auth import Principal
from central.limits import ASGIApp, Message, Receive, Scope, Send
from central.schemas import Heartbeat

_PATH = re.compile(r"/v1/stations/([^/]+)/(heartbeats|config|jobs)")
_METHOD = {"heartbeats": "POST", "config": "GET", "jobs": "GET"}
_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,64}")  # central.api StationId
_LIMIT = re.compile(r"[1-9][0-9]{0,3}")  # 1..9999; plain digits only, anything else: FastAPI
_MAX_QUERY = 200  # central.api: since and If-None-Match, max_length
T = TypeVar("T")


class _FallThrough(Exception):
    """Not the ordinary case: let FastAPI answer."""


class StationFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] != _METHOD[match[2]] or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        body: bytes | None = None
        try:
            state: State = scope["app"].state
            station_id, kind = match[1], match[2]
            headers = _headers(scope)
            who = await _station(state, headers, station_id)
            if kind == "heartbeats":
                body = await _read(receive)
                work = _heartbeat(state, station_id, headers, body)
            elif kind == "config":
                work = _config(state, station_id, who, headers)
            else:
                work = _jobs(state, station_id, who, scope["query_string"])
            response = await _db(state, work)
        except _FallThrough:
            await self.app(scope, receive if body is None else _replay(body, receive), send)
            return
        # Outside FastAPI's exception handlers: answered as central.app answers them.
        except services.DomainError as exc:
            response = refused_response(exc)
        except (DBAPIError, PoolTimeout) as exc:
            if (busy := busy_response(exc)) is None:
                raise
            response = busy
        except HTTPException as exc:  # limits.BodyTooLarge from a streamed body, as FastAPI says it
            response = await http_exception_handler(Request(scope), exc)
        await response(scope, receive, send)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The headers this path reads; a repeated one is not the ordinary case."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in (b"authorization", b"if-none-match", b"content-type"):
            if name in found:
                raise _FallThrough
            found[name] = value
    return found


async def _station(state: State, headers: dict[bytes, bytes], station_id: str) -> Principal:
    """The station's own token, as central.api.principal and _own decide it."""
    if not _NAME.fullmatch(station_id):
        raise _FallThrough
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _FallThrough
    tokens = state.tokens
    hit, who = tokens.cached(token)
    if not hit:  # a database query: off the event loop, as central.api.principal does it
        who = await _db(state, tokens.lookup, token)
    if who is None or who.expired() or who.kind != "station" or who.station_id != station_id:
        raise _FallThrough
    return who


async def _read(receive: Receive) -> bytes:
    """The whole body (BodyLimit, outside, counts it and stops an oversized one)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _FallThrough  # the client left: FastAPI handles the disconnect as usual
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _heartbeat(state: State, station_id: str, headers: dict[bytes, bytes], body: bytes) -> Callable[[], Response]:
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if not body or content_type != b"application/json":
        raise _FallThrough
    try:
        # As FastAPI parses a JSON body: the stdlib decoder, then the model in Python mode.
        beat = Heartbeat.model_validate(json.loads(body))
    except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _FallThrough from None
    return lambda: heartbeat_reply(state, station_id, beat)


def _config(state: State, station_id: str, who: Principal, headers: dict[bytes, bytes]) -> Callable[[], Response]:
    raw = headers.get(b"if-none-match")
    if_none_match = None if raw is None else raw.decode("latin-1")
    if if_none_match is not None and len(if_none_match) > _MAX_QUERY:
        raise _FallThrough
    return lambda: config_reply(state, station_id, who.county, if_none_match)


def _jobs(state: State, station_id: str, who: Principal, query_string: bytes) -> Callable[[], Response]:
    # As Starlette parses it; the last value of a repeated parameter wins there too.
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    since = params.get("since")
    limit = params.get("limit", "200")
    if (since is not None and len(since) > _MAX_QUERY) or not _LIMIT.fullmatch(limit) or int(limit) > 1000:
        raise _FallThrough
    return lambda: jobs_reply(state, station_id, who.county, since, int(limit))


async def _db(state: State, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in the app's database threads (see the module's note)."""
    return await asyncio.get_running_loop().run_in_executor(state.db_threads, work, *args)
