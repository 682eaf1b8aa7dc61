"""kiosk.worker: the one thread/status/backoff shape and the one event style (Signal)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from kiosk.worker import Signal, Worker, WorkerState, WorkerStatus


class Ticker(Worker):
    """A worker that counts until stopped, sleeping as long as it is told."""

    name = "ticker"

    def __init__(self, nap_s: float = 0.01) -> None:
        super().__init__()
        self.nap_s = nap_s
        self.ticks = 0
        self.thread_names: set[str] = set()

    def run(self) -> None:
        self._set_status(WorkerState.OK, "ticking")
        while self.running:
            self.ticks += 1
            self.thread_names.add(threading.current_thread().name)
            self.sleep(self.nap_s)


def _until(cond, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_signal_calls_every_listener_in_order_and_survives_a_broken_one(caplog) -> None:
    seen: list[tuple[str, int]] = []
    sig: Signal[[int]] = Signal("test.sig", lambda n: seen.append(("first", n)))
    sig.connect(lambda n: 1 / 0)
    sig.connect(lambda n: seen.append(("third", n)))
    with caplog.at_level(logging.ERROR, logger="kiosk.worker"):
        sig.emit(7)
    assert seen == [("first", 7), ("third", 7)]
    assert "test.sig: listener failed" in caplog.text and "ZeroDivisionError" in caplog.text


def test_signal_disconnect_and_decorator_use() -> None:
    got: list[str] = []
    sig: Signal[[str]] = Signal("test.sig")

    @sig.connect
    def listener(text: str) -> None:
        got.append(text)

    sig.emit("a")
    sig.disconnect(listener)
    sig.disconnect(listener)  # twice is harmless
    sig.emit("b")
    assert got == ["a"] and len(sig) == 0


def test_a_listener_may_connect_another_while_emitting() -> None:
    """emit() works on a snapshot: a listener added during emit hears the next one."""
    got: list[int] = []
    sig: Signal[[int]] = Signal("test.sig")
    sig.connect(lambda n: sig.connect(lambda m: got.append(m)) if n == 1 else None)
    sig.emit(1)
    assert got == []
    sig.emit(2)
    assert got == [2]


@pytest.mark.parametrize("attempt", [0, 1, 3, 10, 40])
def test_backoff_is_full_jitter_within_floor_and_cap(attempt: int) -> None:
    w = Ticker()
    w.backoff_base_s, w.backoff_cap_s, w.backoff_floor_s = 0.1, 2.0, 0.05
    ceiling = min(2.0, 0.1 * 2**attempt)
    draws = [w.backoff(attempt) for _ in range(2000)]
    assert all(0.05 <= d <= max(0.05, ceiling) for d in draws)
    if ceiling > 0.5:
        # full jitter: the whole range is used, not just values near the exponential one
        assert min(draws) < 0.2 * ceiling and max(draws) > 0.8 * ceiling


def test_worker_lifecycle_status_and_running() -> None:
    w = Ticker()
    states: list[WorkerState] = []
    w.status_changed.connect(lambda st: states.append(st.state))
    assert not w.running and w.status.state == WorkerState.STOPPED
    w.start()
    w.start()  # a second start while running is a no-op
    assert w.running
    assert _until(lambda: w.ticks > 3)
    assert w.status == WorkerStatus(WorkerState.OK, "ticking", w.status.since) and w.status.ok
    assert w.thread_names == {"ticker"}
    w.stop()
    assert not w.running and w.status.state == WorkerState.STOPPED
    assert states == [WorkerState.STARTING, WorkerState.OK, WorkerState.STOPPED]
    assert w.health() == {"state": "stopped", "detail": ""}


def test_stop_interrupts_a_long_sleep() -> None:
    w = Ticker(nap_s=60)
    w.start()
    assert _until(lambda: w.ticks == 1)
    t0 = time.monotonic()
    w.stop()
    assert time.monotonic() - t0 < 2.0
    assert w._thread is not None and not w._thread.is_alive()


def test_restart_after_stop() -> None:
    w = Ticker()
    w.start()
    assert _until(lambda: w.ticks > 0)
    w.stop()
    before = w.ticks
    w.start()
    assert _until(lambda: w.ticks > before)
    w.stop()
