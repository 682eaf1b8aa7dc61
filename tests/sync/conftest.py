"""Fixtures for the kiosk<->central sync tests: the real reference server on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import Central

from kiosk.netsim import FaultProxy


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    c = Central(tmp_path_factory.mktemp("central"))
    yield c
    c.stop()


@pytest.fixture
def fresh_central(tmp_path: Path) -> Iterator[Central]:
    """A server of one's own, for tests that edit jobs or restart it."""
    c = Central(tmp_path / "server")
    yield c
    c.stop()


@pytest.fixture
def fresh_proxy(fresh_central: Central) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of fresh_central."""
    p = FaultProxy(("127.0.0.1", fresh_central.port))
    yield p
    p.stop()


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    p = FaultProxy(("127.0.0.1", central.port))
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every sync test also checks that nothing ID- or phone-shaped was logged."""
    from kiosk.privacy import mask_text

    caplog.set_level(logging.DEBUG, logger="kiosk")
    yield
    for record in caplog.records:
        message = record.getMessage()
        assert mask_text(message) == message, f"personal data in a log line: {record.name}"
