"""/healthz is the load balancer's check: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest

from central import db
from central.app import create_app
from central.security import new_data_key
from central.testing import free_port, start_server


def test_healthz_answers_503_when_the_database_is_unreachable() -> None:
    engine = db.make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    app = create_app(engine, new_data_key(), admin=False)
    base_url, stop = start_server(app)
    try:
        r = httpx.get(base_url + "/healthz", timeout=10)
        assert r.status_code == 503 and r.headers["Retry-After"] and r.json()["ok"] is False
    finally:
        app.state.token_listener.stop()
        stop()
        engine.dispose()


@pytest.mark.postgres
def test_healthz_turns_503_when_the_database_goes_away(pg_admin_url: str) -> None:
    from central.pgcluster import create_database

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = db.make_engine(create_database(pg_admin_url, name))
    db.migrate(engine)
    app = create_app(engine, new_data_key(), admin=False)
    base_url, stop = start_server(app)
    try:
        assert httpx.get(base_url + "/healthz", timeout=10).status_code == 200
        app.state.token_listener.stop()
        with psycopg.connect(pg_admin_url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # ends this server's sessions
        r = httpx.get(base_url + "/healthz", timeout=10)
        assert r.status_code == 503 and r.json() == {"ok": False, "database": "unreachable"}
    finally:
        stop()
        engine.dispose()
