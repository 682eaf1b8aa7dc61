"""Lifecycle shared by every device driver: a worker thread, a status, reconnect with backoff.

A driver subclasses `Device` and implements `open()`, `close()` and `step()`; the base
class runs them in a daemon thread, turns exceptions into a status instead of a crash and
reconnects with capped, jittered exponential backoff. Listeners are called on the driver
thread; the UI hops to its own thread (Clock.schedule_once) itself.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class DeviceState(StrEnum):
    STARTING = "starting"
    OK = "ok"
    NO_DEVICE = "no_device"  # port/camera missing or unplugged
    ERROR = "error"  # present but failing (e.g. SAM error, printer error)
    WARNING = "warning"  # working but needs attention (e.g. paper near end)
    UNKNOWN = "unknown"  # did not answer: never assume ok
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    state: DeviceState
    detail: str = ""  # short, English, no personal data; shown to maintainers
    since: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state in (DeviceState.OK, DeviceState.WARNING)

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state.value, "detail": self.detail}


def _describe(exc: BaseException) -> str:
    """Short text for maintainers: the exception and its message (paths, errno), no payloads."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


class DeviceGone(Exception):
    """The port or device disappeared; the base class reconnects."""


class Device:
    """Base driver: owns one thread and one status."""

    name = "device"
    reconnect_base_s = 0.2
    reconnect_cap_s = 2.0

    def __init__(self) -> None:
        self._status = DeviceStatus(DeviceState.STOPPED, since=time.monotonic())
        self._status_listeners: list[Callable[[DeviceStatus], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- public API -------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        return self._status

    def on_status(self, listener: Callable[[DeviceStatus], None]) -> None:
        self._status_listeners.append(listener)

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_status(DeviceState.STARTING)
        self._thread = threading.Thread(target=self._run, name=f"dev-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._set_status(DeviceState.STOPPED)

    @property
    def running(self) -> bool:
        return not self._stop.is_set()

    # --- for subclasses -----------------------------------------------------------------
    def open(self) -> None:
        """Open the port; raise DeviceGone (or OSError) if it is not there."""

    def close(self) -> None:
        """Release the port; must not raise."""

    def step(self) -> None:
        """One unit of work (poll, read, print). Raise DeviceGone when the device vanished."""
        raise NotImplementedError

    def sleep(self, seconds: float) -> bool:
        """Interruptible sleep; False when the driver is stopping."""
        return not self._stop.wait(seconds)

    def _set_status(self, state: DeviceState, detail: str = "") -> None:
        old = self._status
        if old.state == state and old.detail == detail:
            return
        self._status = DeviceStatus(state, detail, time.monotonic())
        if state != old.state:
            log.info("%s: %s %s", self.name, state.value, detail)
        for listener in list(self._status_listeners):
            try:
                listener(self._status)
            except Exception:  # a broken listener must not kill the driver
                log.exception("%s: status listener failed", self.name)

    # --- the loop -----------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                self.open()
            except (DeviceGone, OSError) as exc:
                self._set_status(DeviceState.NO_DEVICE, _describe(exc))
                attempt += 1
                if not self.sleep(self.backoff(attempt)):
                    break
                continue
            attempt = 0
            try:
                while not self._stop.is_set():
                    self.step()
            except (DeviceGone, OSError) as exc:
                self._set_status(DeviceState.NO_DEVICE, _describe(exc))
            except Exception as exc:  # a driver bug must not take the kiosk down
                log.exception("%s: driver error", self.name)
                self._set_status(DeviceState.ERROR, type(exc).__name__)
                self.sleep(self.reconnect_cap_s)
            finally:
                self.close()

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: random(0, min(cap, base * 2^attempt)), with a floor
        so a run of tiny draws cannot spin the CPU."""
        return max(0.05, random.uniform(0, min(self.reconnect_cap_s, self.reconnect_base_s * 2**attempt)))
