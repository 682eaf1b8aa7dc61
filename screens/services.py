"""What the UI is given. Built by a command (demo/run), never inside widgets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kiosk.session import Session
from kiosk.store import Store

if TYPE_CHECKING:
    import datetime as dt

    from kiosk.filters import JobFilter
    from kiosk.search import SearchResult
    from kiosk.settings import Settings  # pydantic: not needed to draw the first frame


@dataclass(frozen=True)
class Opening:
    """What the attract screen's first frame shows, known before any settings are validated."""

    lang: str = "zh"
    elderly: bool = False
    station_name: str = ""


@dataclass
class Services:
    settings: Settings
    store: Store
    session: Session = field(default_factory=Session)
    printer: Any = None  # devices.printer PrintService, or None when printing is off
    idcard: Any = None  # devices.idcard reader driver
    scanners: list[Any] = field(default_factory=list)  # camera / serial scanner drivers
    sync: Any = None  # kiosk.sync.SyncWorker (may arrive later: see attach_sync)
    outbox: Any = None  # kiosk.outbox.Outbox: applications, committed before "received"
    remote_config: Any = None  # kiosk.remote_config.RemoteConfig
    on_sync_attached: Callable[[Any], None] | None = None
    demo: Any = None  # screens.demo_devices.DemoDevices in `gig-kiosk demo`
    speaker: Any = None  # devices.speech.Speaker for spoken prompts
    # Slow set-up (filling the demo cache, starting an embedded server) that must not delay
    # the first frame: run in a thread by start(); on_data_changed is called when it is done.
    background_init: Callable[[], None] | None = None
    on_data_changed: Callable[[], None] | None = None

    @cached_property
    def index(self) -> Any:
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
        try:
            self.background_init()
        except Exception:
            logging.getLogger(__name__).exception("background set-up failed")
        if self.on_data_changed is not None:
            self.on_data_changed()

    def stop(self) -> None:
        for device in (self.sync, *self.scanners, self.idcard, self.printer, self.speaker, self.demo):
            if device is not None:
                device.stop()

    def attach_sync(self, sync: Any) -> None:
        """Install a sync worker built after start-up (the demo's embedded server) and start it."""
        self.sync = sync
        if self.on_sync_attached is not None:
            self.on_sync_attached(sync)
        sync.start()

    def device_health(self) -> dict[str, Any]:
        """What the heartbeat reports per device (the printer's includes paper state)."""
        return {
            name: d.health() if hasattr(d, "health") else d.status.as_dict()
            for name, d in self.devices().items()
        }

    def device_report(self) -> list[tuple[str, str, str]]:
        """(device, state, detail) for every driver, for maintainers (no personal data)."""
        return [(name, d.status.state.value, d.status.detail) for name, d in self.devices().items()]

    def devices(self) -> dict[str, Any]:
        """name -> driver, for the maintenance screen and heartbeats."""
        named = {"idcard": self.idcard, "printer": self.printer, "speech": self.speaker}
        named |= {getattr(s, "name", f"scanner{i}"): s for i, s in enumerate(self.scanners)}
        return {k: v for k, v in named.items() if v is not None}
