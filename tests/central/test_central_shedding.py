"""Load shedding (central.shedding): past its bound a server process answers 503 + Retry-After
at once, never cuts short a request it admitted, and the kiosk's ApiClient waits Retry-After
and completes, creating an application exactly once.

A real server with room for ONE request: a heartbeat whose body is sent all but its last byte
holds that room (admitted, waiting for its body) until the test sends the last byte.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from central_helpers import DEMO, HEARTBEAT, Server, application, id_number
from sqlalchemy import func, select

from central import db
from central.models import Application
from central.testing import start_seeded_server
from kiosk.api import ApiClient
from kiosk.settings import ApiSettings

STATION = "e-park"


@pytest.fixture
def busy(database_url: str) -> Iterator[Server]:
    base_url, seed, stop = start_seeded_server(database_url, demo_dir=DEMO, max_inflight=1,
                                               shed_retry_after_s=(1, 1))
    srv = Server(base_url, seed)
    srv.database_url = database_url
    yield srv
    srv.client.close()
    stop()


def _config(srv: Server) -> httpx.Response:
    return srv.client.get(f"/v1/stations/{STATION}/config",
                          headers=srv.as_(srv.stations[STATION]["token"]))


@contextmanager
def _held(srv: Server) -> Iterator[list[bytes]]:
    """Holds the server's one slot with a heartbeat missing its last byte; on exit sends it
    and yields (into the list) the raw answer to that heartbeat."""
    body = json.dumps(HEARTBEAT).encode()
    u = urlsplit(srv.base_url)
    sock = socket.create_connection((u.hostname, u.port), timeout=20)
    sock.sendall((f"POST /v1/stations/{STATION}/heartbeats HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {srv.stations[STATION]['token']}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                  "Connection: close\r\n\r\n").encode() + body[:-1])
    deadline = time.monotonic() + 10
    while _config(srv).status_code != 503:  # until the server has admitted the heartbeat
        assert time.monotonic() < deadline, "the held request was never admitted"
        time.sleep(0.05)
    answer: list[bytes] = []
    try:
        yield answer
    finally:
        sock.sendall(body[-1:])
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        answer.append(data)


def test_over_the_limit_503_with_retry_after_and_the_admitted_request_completes(busy: Server) -> None:
    with _held(busy) as answer:
        r = _config(busy)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.json()["detail"]
        # Refused before the token is looked up or the body read: even a bad token gets 503.
        r = busy.client.post("/v1/applications", content=b"not json",
                             headers={"Authorization": "Bearer nope", "Idempotency-Key": "k"})
        assert r.status_code == 503
        assert busy.client.get("/healthz").status_code == 200  # never shed
        assert busy.client.get("/admin/login").status_code == 200  # staff: their own allowance
    status_line = answer[0].split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 200 OK", answer[0][:200]
    assert json.loads(answer[0].split(b"\r\n\r\n", 1)[1])["received_at"]
    assert _config(busy).status_code == 200  # the slot is free again


def test_retry_after_is_jittered() -> None:
    import asyncio

    from central.shedding import LoadShed

    async def never(scope: object, receive: object, send: object) -> None:
        await asyncio.sleep(3600)

    async def main() -> set[str]:
        shed = LoadShed(never, max_inflight=1, retry_after_s=(1, 5))  # type: ignore[arg-type]
        shed.inflight["api"] = 1  # full
        waits = set()
        for _ in range(200):
            sent: list[dict] = []

            async def send(m: dict, sent: list[dict] = sent) -> None:
                sent.append(m)

            await shed({"type": "http", "path": "/v1/x", "method": "GET"}, None, send)  # type: ignore[arg-type]
            assert sent[0]["status"] == 503
            waits.add(dict(sent[0]["headers"])[b"retry-after"].decode())
        return waits

    waits = asyncio.run(main())
    assert waits <= {"1", "2", "3", "4", "5"} and len(waits) >= 4


def _client(srv: Server) -> ApiClient:
    return ApiClient(ApiSettings(base_url=srv.base_url, token=srv.stations[STATION]["token"]))


def _later(call: object) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(call())  # type: ignore[operator]
        except Exception as exc:  # handed to the test
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    return t, out


@pytest.mark.parametrize("call", ["heartbeat", "config", "application"])
def test_kiosk_waits_retry_after_and_completes(busy: Server, call: str) -> None:
    client = _client(busy)
    key = str(uuid.uuid4())
    body = application(STATION)
    body["seeker"]["id_number"] = id_number(serial=777)
    calls = {
        "heartbeat": lambda: client.heartbeat(STATION, HEARTBEAT),
        "config": lambda: client.station_config(STATION),
        "application": lambda: client.submit_application(key, body),
    }
    try:
        with _held(busy):
            t0 = time.monotonic()
            thread, out = _later(calls[call])
            time.sleep(0.5)  # its first attempt has been refused; it now waits Retry-After (1 s)
            assert not out, out
        thread.join(30)
        assert not isinstance(out[0], Exception), out[0]
        assert time.monotonic() - t0 >= 1.0
    finally:
        client.close()
    if call == "application":
        assert out[0]["status"] == "received"  # type: ignore[index]
        engine = db.make_engine(busy.database_url)
        try:
            with engine.connect() as conn:
                n = conn.execute(select(func.count()).select_from(Application)
                                 .where(Application.idempotency_key == key)).scalar_one()
        finally:
            engine.dispose()
        assert n == 1
