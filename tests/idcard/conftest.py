"""Fixtures for the ID card reader tests: demo cards, a simulator on a real pty, a driver."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest

from devices.idcard.reader import IdCardReader
from devices.idcard.simulator import ReaderSimulator, load_cards
from kiosk.identity import IdentityCard, ReadProblem

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="session")
def cards() -> dict[str, IdentityCard]:
    return load_cards()


@pytest.fixture
def sim(cards: dict[str, IdentityCard]) -> Iterator[ReaderSimulator]:
    s = ReaderSimulator(cards.values())
    s.start()
    yield s
    s.stop()


class Events:
    """What the driver told the app, in order, as seen from the test thread."""

    def __init__(self) -> None:
        self.items: list[tuple[str, object, float]] = []

    def card(self, c: IdentityCard) -> None:
        self.items.append(("card", c, time.monotonic()))

    def removed(self) -> None:
        self.items.append(("removed", None, time.monotonic()))

    def error(self, problem: ReadProblem) -> None:
        self.items.append(("error", problem, time.monotonic()))

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.items]

    def of(self, kind: str) -> list[object]:
        return [v for k, v, _ in self.items if k == kind]


@pytest.fixture
def make_reader() -> Iterator[Callable[..., tuple[IdCardReader, Events]]]:
    readers: list[IdCardReader] = []

    def make(port: str, **kw: object) -> tuple[IdCardReader, Events]:
        ev = Events()
        kw.setdefault("poll_interval_s", 0.05)
        kw.setdefault("today", lambda: TODAY)
        r = IdCardReader(port, on_card=ev.card, on_removed=ev.removed, on_error=ev.error, **kw)  # type: ignore[arg-type]
        readers.append(r)
        r.start()
        return r, ev

    yield make
    for r in readers:
        r.stop()
