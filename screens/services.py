"""What the UI is given. Built by a command (demo/run), never inside widgets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.session import Session
from kiosk.worker import Signal
from screens.opening import Opening  # noqa: F401 (where it used to be)

if TYPE_CHECKING:  # drivers, numpy, pydantic, sqlite3: not needed to draw the first frame
    import datetime as dt

    from devices.idcard.reader import IdCardReader
    from devices.printer.service import PrintService
    from devices.scanner.camera import CameraScanner
    from devices.scanner.serial import SerialScanner
    from devices.speech import Speaker
    from kiosk.commands import CommandRunner
    from kiosk.filters import JobFilter
    from kiosk.geoindex import GeoIndex
    from kiosk.outbox import Outbox
    from kiosk.remote_config import RemoteConfig
    from kiosk.search import SearchResult
    from kiosk.settings import Settings
    from kiosk.stats import StatsCounter
    from kiosk.store import Store  # sqlite3, orjson: opened after the first frame
    from kiosk.sync import SyncWorker
    from kiosk.worker import WorkerStatus
    from screens.demo_devices import DemoDevices

    Scanner = CameraScanner | SerialScanner


class Driver(Protocol):
    """What Services starts, stops and reports on: every kiosk.worker.Worker, and the Speaker."""

    name: str

    @property
    def status(self) -> WorkerStatus: ...
    def health(self) -> dict[str, Any]: ...  # the heartbeat's entry (the printer adds paper)
    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    store: Store
    session: Session = field(default_factory=Session)
    printer: PrintService | None = None  # None when printing is off
    idcard: IdCardReader | None = None
    scanners: list[Scanner] = field(default_factory=list)
    sync: SyncWorker | None = None  # may arrive later: see attach_sync
    outbox: Outbox | None = None  # applications, committed before "received"
    remote_config: RemoteConfig | None = None
    commands: CommandRunner | None = None  # remote commands; built with the sync (screens.remote_commands)
    sync_attached: Signal[[SyncWorker]] = field(default_factory=lambda: Signal("services.sync_attached"))
    demo: DemoDevices | None = None  # in `gig-kiosk demo`
    speaker: Speaker | None = None  # spoken prompts
    stats: StatsCounter | None = None  # 服务成效 hourly counters (kiosk.stats), sent by the sync
    # Slow set-up (filling the demo cache, starting an embedded server) that must not delay
    # the first frame: run in a thread by start(); data_changed is emitted when it is done.
    background_init: Callable[[], None] | None = None
    data_changed: Signal[[]] = field(default_factory=lambda: Signal("services.data_changed"))

    @cached_property
    def index(self) -> GeoIndex:
        from kiosk.geoindex import GeoIndex  # numpy: imported after the first frame

        return GeoIndex(self.store)

    def search(self, flt: JobFilter, today: dt.date) -> SearchResult:
        """Nearby jobs around this station (the visit's Search)."""
        from kiosk.search import nearby  # numpy: imported after the first frame

        st = self.settings.station
        return nearby(self.store, st.lat, st.lng, flt, limit=200, today=today, index=self.index)

    def start(self) -> None:
        for device in (self.printer, self.idcard, *self.scanners, self.sync):
            if device is not None:
                device.start()
        if self.background_init is not None:
            threading.Thread(target=self._run_background_init, name="init", daemon=True).start()

    def _run_background_init(self) -> None:
        assert self.background_init is not None
        try:
            self.background_init()
        except Exception:
            logging.getLogger(__name__).exception("background set-up failed")
        self.data_changed.emit()

    def stop(self) -> None:
        for device in (self.commands, self.sync, *self.scanners, self.idcard, self.printer, self.speaker, self.demo):
            if device is not None:
                device.stop()

    def attach_sync(self, sync: SyncWorker) -> None:
        """Install a sync worker built after start-up (the demo's embedded server) and start it."""
        self.sync = sync
        self.sync_attached.emit(sync)
        sync.start()

    def device_health(self) -> dict[str, Any]:
        """What the heartbeat reports per device (the printer's includes paper state)."""
        return {name: d.health() for name, d in self.devices().items()}

    def device_report(self) -> list[tuple[str, str, str]]:
        """(device, state, detail) for every driver, for maintainers (no personal data)."""
        return [(name, d.status.state.value, d.status.detail) for name, d in self.devices().items()]

    def devices(self) -> dict[str, Driver]:
        """name -> driver, for the maintenance screen and heartbeats."""
        named: dict[str, Driver | None] = {"idcard": self.idcard, "printer": self.printer,
                                           "speech": self.speaker}
        named |= {s.name: s for s in self.scanners}
        return {k: v for k, v in named.items() if v is not None}
