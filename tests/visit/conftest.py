"""Fixtures of the visit's tests (the helpers are in visit_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from visit_helpers import NOW, World, make_world

from kiosk import demo_data
from kiosk.store import Store


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("store") / "cache.db")
    store.upsert_jobs(demo_data.load_jobs(NOW.date()))
    store.upsert_policies(demo_data.load_policies())
    return store


@pytest.fixture
def world(demo_store: Store, tmp_path: Path) -> World:
    return make_world(demo_store, tmp_path)
