"""A database lock must not freeze the server: the waiting request is off the event loop and
its wait is bounded (503 + Retry-After)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
from central_helpers import DEMO, HEARTBEAT
from sqlalchemy.engine import make_url

from central.testing import start_seeded_server

LOCK_WAIT_S = 4.0  # long enough for /healthz to be answered inside it on a loaded machine


@contextmanager
def _row_locked(database_url: str, station_id: str) -> Iterator[None]:
    """Another connection holds a lock the heartbeat's UPDATE of the station row must wait for."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # SQLite locks the whole database for writing
        conn.execute("UPDATE stations SET outbox_depth = 99 WHERE id = ?", (station_id,))
    else:
        conn = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        conn.execute("SELECT 1 FROM stations WHERE id = %s FOR UPDATE", (station_id,))
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_a_locked_row_neither_freezes_the_server_nor_waits_forever(database_url: str) -> None:
    base_url, seed, stop = start_seeded_server(database_url, demo_dir=DEMO, lock_timeout_s=LOCK_WAIT_S)
    try:
        st = seed["stations"][0]
        client = httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {st['token']}"})
        url = f"/v1/stations/{st['id']}/heartbeats"
        assert client.post(url, json=HEARTBEAT).status_code == 200  # token cached, row exists
        result: dict[str, httpx.Response] = {}
        answered: dict[str, float] = {}

        def heartbeat() -> None:
            result["r"] = client.post(url, json=HEARTBEAT)
            answered["heartbeat"] = time.monotonic()

        with _row_locked(database_url, st["id"]):
            blocked = threading.Thread(target=heartbeat)
            blocked.start()
            blocked.join(0.5)
            assert blocked.is_alive(), "the heartbeat should be waiting for the lock"
            # While the heartbeat waits, the event loop still serves other requests: /healthz is
            # answered before the heartbeat's lock wait ends (compared by time, not by whether
            # the heartbeat is still alive after it: on a loaded machine the GET alone took
            # longer than the rest of the wait).
            assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200
            answered["healthz"] = time.monotonic()
            blocked.join(30)  # the lock wait is bounded even though the lock is still held
            assert not blocked.is_alive()
            assert answered["healthz"] < answered["heartbeat"], "/healthz had to wait for the blocked heartbeat"
            r = result["r"]
            assert r.status_code == 503, r.text
            assert int(r.headers["Retry-After"]) > 0
        # Once the lock is gone, heartbeats work again.
        assert client.post(url, json=HEARTBEAT).status_code == 200
        client.close()
    finally:
        stop()
