"""One worker shape for the sync worker and every device driver: a thread, a status, backoff.

`Worker` owns one daemon thread that runs `run()` until `stop()`; `running` means exactly one
thing everywhere: started and not asked to stop (loops inside `run()` test it, `sleep()` wakes
early on stop). The status is a `WorkerStatus` (state, short English detail, since) that
listeners get through the `status_changed` Signal. `backoff(attempt)` is full-jitter
exponential backoff: random(0, min(cap, base * 2^attempt)), never below a small floor.

`Signal` is the one event style: `obj.some_event.connect(listener)`, `emit(*args)` calls every
listener on the emitting thread and logs (never raises) when one of them fails, so a broken
UI handler cannot stop a driver or the sync. Never imports kivy or devices.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, ParamSpec

log = logging.getLogger(__name__)

P = ParamSpec("P")


class Signal(Generic[P]):
    """A list of listeners with a guarded emit.

    >>> seen = []
    >>> card = Signal("card")
    >>> _ = card.connect(seen.append)
    >>> _ = card.connect(lambda text: 1 / 0)  # a broken listener is logged, not raised
    >>> card.emit("laid")
    >>> seen
    ['laid']
    """

    __slots__ = ("name", "_listeners", "_lock")

    def __init__(self, name: str, listener: Callable[P, object] | None = None) -> None:
        """listener: a first listener (a driver's on_* constructor argument), None for none."""
        self.name = name
        self._listeners: list[Callable[P, object]] = [] if listener is None else [listener]
        self._lock = threading.Lock()

    def connect(self, listener: Callable[P, object]) -> Callable[P, object]:
        """Add a listener (returned, so this works as a decorator)."""
        with self._lock:
            self._listeners.append(listener)
        return listener

    def disconnect(self, listener: Callable[P, object]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(*args, **kwargs)
            except Exception:  # a broken listener must not stop the thread that emits
                log.exception("%s: listener failed", self.name)

    def __len__(self) -> int:
        return len(self._listeners)

    def __repr__(self) -> str:
        return f"Signal({self.name!r}, listeners={len(self._listeners)})"


class WorkerState(StrEnum):
    STARTING = "starting"
    OK = "ok"
    WARNING = "warning"  # working but needs attention (e.g. paper near end)
    NO_DEVICE = "no_device"  # port/camera missing or unplugged
    ERROR = "error"  # present but failing (e.g. SAM error, printer error, a sync bug)
    UNKNOWN = "unknown"  # did not answer: never assume ok
    OFFLINE = "offline"  # the central API cannot be reached
    UNAUTHORISED = "unauthorised"  # the central API refuses this station's token
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    state: WorkerState
    detail: str = ""  # short, English, no personal data; shown to maintainers
    since: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state in (WorkerState.OK, WorkerState.WARNING)

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state.value, "detail": self.detail}


class Worker:
    """Base: one daemon thread running `run()`, one status, interruptible sleep, backoff."""

    name = "worker"
    backoff_base_s = 0.2
    backoff_cap_s = 2.0
    backoff_floor_s = 0.05  # a run of tiny draws must not spin the CPU

    def __init__(self) -> None:
        self._status = WorkerStatus(WorkerState.STOPPED, since=time.monotonic())
        self.status_changed: Signal[[WorkerStatus]] = Signal(f"{self.name}.status")
        self._stop = threading.Event()
        self._stop.set()  # not running until start()
        self._thread: threading.Thread | None = None

    # --- public API -------------------------------------------------------------------
    @property
    def status(self) -> WorkerStatus:
        return self._status

    @property
    def running(self) -> bool:
        """Started and not asked to stop (the thread's loops test this)."""
        return not self._stop.is_set()

    @property
    def thread_name(self) -> str:
        return self.name

    def health(self) -> dict[str, Any]:
        """What the heartbeat reports for this worker (drivers add their own counters)."""
        return dict(self._status.as_dict())

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_status(WorkerState.STARTING)
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set_status(WorkerState.STOPPED)

    # --- for subclasses -----------------------------------------------------------------
    def run(self) -> None:
        """The thread's body: loop while `self.running`."""
        raise NotImplementedError

    def _interrupt(self) -> None:
        """Wake the thread from a wait of its own (stop() already wakes `sleep`)."""

    def sleep(self, seconds: float) -> bool:
        """Interruptible sleep; False when the worker is stopping."""
        return not self._stop.wait(seconds)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: random(0, min(cap, base * 2^attempt)), floored."""
        ceiling = min(self._backoff_cap(), self.backoff_base_s * 2**attempt)
        return max(self.backoff_floor_s, random.uniform(0, ceiling))

    def _backoff_cap(self) -> float:
        """The cap in force (the sync worker's follows the remote config)."""
        return self.backoff_cap_s

    def _set_status(self, state: WorkerState, detail: str = "") -> None:
        old = self._status
        if old.state == state and old.detail == detail:
            return
        self._status = WorkerStatus(state, detail, time.monotonic())
        if state != old.state:
            log.info("%s: %s %s", self.name, state.value, detail)
        self.status_changed.emit(self._status)
