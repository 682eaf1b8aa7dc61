"""Fixtures for the central API: databases (SQLite and a throwaway PostgreSQL) and servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_helpers import DEMO, Server

from central.pgcluster import PostgresUnavailable, create_database, start_cluster
from central.security import new_data_key
from central.testing import start_seeded_server


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    try:
        url, stop = start_cluster()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(str(exc))
    yield url
    stop()


def _database(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/central.db"
    admin = request.getfixturevalue("pg_admin_url")
    return create_database(admin, f"t_{uuid.uuid4().hex[:12]}")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _database(request, tmp_path, request.param)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = _database(request, tmp_path_factory.mktemp("central"), request.param)
    key = new_data_key()
    base_url, seed, stop = start_seeded_server(url, demo_dir=DEMO, data_key=key)
    srv = Server(base_url, seed)
    srv.backend, srv.database_url, srv.data_key = request.param, url, key
    yield srv
    srv.client.close()
    stop()
