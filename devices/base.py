"""Lifecycle shared by every device driver: kiosk.worker's thread and status, plus reconnect.

A driver subclasses `Device` and implements `open()`, `close()` and `step()`; the base
class runs them in the worker thread, turns exceptions into a status instead of a crash and
reconnects with capped, full-jitter exponential backoff (`Worker.backoff`). Listeners
(`status_changed` and each driver's own Signals) are called on the driver thread; the UI hops
to its own thread (Clock.schedule_once) itself.
"""

from __future__ import annotations

import logging

from kiosk.worker import Worker, WorkerState, WorkerStatus

log = logging.getLogger(__name__)

# A device's states and status are the worker's: one enum for the maintenance screen and the
# heartbeat, whether the thread drives a card reader or the sync.
DeviceState = WorkerState
DeviceStatus = WorkerStatus


def _describe(exc: BaseException) -> str:
    """Short text for maintainers: the exception and its message (paths, errno), no payloads."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


class DeviceGone(Exception):
    """The port or device disappeared; the base class reconnects."""


class Device(Worker):
    """Base driver: open / step until gone / close, reconnecting with backoff."""

    name = "device"
    backoff_base_s = 0.2
    backoff_cap_s = 2.0

    @property
    def thread_name(self) -> str:
        return f"dev-{self.name}"

    # --- for subclasses -----------------------------------------------------------------
    def open(self) -> None:
        """Open the port; raise DeviceGone (or OSError) if it is not there."""

    def close(self) -> None:
        """Release the port; must not raise."""

    def step(self) -> None:
        """One unit of work (poll, read, print). Raise DeviceGone when the device vanished."""
        raise NotImplementedError

    # --- the loop -----------------------------------------------------------------------
    def run(self) -> None:
        attempt = 0
        while self.running:
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
                while self.running:
                    self.step()
            except (DeviceGone, OSError) as exc:
                self._set_status(DeviceState.NO_DEVICE, _describe(exc))
            except Exception as exc:  # a driver bug must not take the kiosk down
                log.exception("%s: driver error", self.name)
                self._set_status(DeviceState.ERROR, type(exc).__name__)
                self.sleep(self.backoff_cap_s)
            finally:
                self.close()
