"""Shared helpers for the printer tests (module name unique: pytest runs in rootdir mode)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devices.printer.service import PrintProblem, PrintService
from devices.printer.simulator import PrinterSimulator
from kiosk.settings import PrinterSettings
from tests import waiting


class Events:
    """Collects service callbacks (they arrive on the worker thread)."""

    def __init__(self) -> None:
        self.done: list[tuple[str, bool]] = []
        self.problems: list[tuple[str, PrintProblem]] = []
        self.dropped: list[tuple[str, PrintProblem]] = []
        self._cond = threading.Condition()

    def on_done(self, job_id: str, confirmed: bool) -> None:
        with self._cond:
            self.done.append((job_id, confirmed))
            self._cond.notify_all()

    def on_problem(self, job_id: str, problem: PrintProblem) -> None:
        with self._cond:
            self.problems.append((job_id, problem))
            self._cond.notify_all()

    def on_dropped(self, job_id: str, problem: PrintProblem) -> None:
        with self._cond:
            self.dropped.append((job_id, problem))
            self._cond.notify_all()

    def wait(self, pred: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True


wait_until = waiting.wait_for

def service_for(sim_addr: tuple[str, int], events: Events, **settings: object) -> PrintService:
    host, port = sim_addr
    cfg = PrinterSettings(connection="network", host=host, port=port, model="epson-tm-t88")
    cfg = cfg.model_copy(update=settings)  # model_copy: tests may use ages below the 10 s floor
    return PrintService(
        cfg, on_job_done=events.on_done, on_job_problem=events.on_problem,
        on_job_dropped=events.on_dropped, poll_s=0.05, idle_poll_s=0.1, status_timeout_s=0.3,
    )


__all__ = ["Events", "PrinterSimulator", "service_for", "wait_until"]
