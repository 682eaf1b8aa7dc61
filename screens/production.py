"""Services for `gig-kiosk run`: the devices the station's settings name, on real ports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.store import Store
from screens.services import Services

if TYPE_CHECKING:
    from kiosk.settings import Settings


def build_services(settings: Settings) -> Services:
    from kiosk.stats import StatsCounter

    d = settings.devices
    store = Store(settings.storage.data_dir / "cache.db")
    idcard = printer = None
    scanners: list[Any] = []
    if d.idcard.enabled:
        from devices.idcard.reader import IdCardReader

        idcard = IdCardReader(d.idcard.port, d.idcard.baudrate, d.idcard.poll_interval_s)
    if d.printer.enabled:
        from devices.printer.service import PrintService

        printer = PrintService(d.printer)
    if d.scanner.camera is not None:
        from devices.scanner.camera import CameraScanner

        # the app connects to .scanned: it owns routing
        scanners.append(CameraScanner(d.scanner.camera, repeat_window_s=d.scanner.repeat_window_s))
    if d.scanner.serial_port:
        from devices.scanner.serial import SerialScanner

        scanners.append(
            SerialScanner(d.scanner.serial_port, d.scanner.serial_baudrate,
                          repeat_window_s=d.scanner.repeat_window_s)
        )
    services = Services(settings=settings, store=store, idcard=idcard, printer=printer, scanners=scanners,
                        stats=StatsCounter.in_dir(settings.storage.data_dir))
    if settings.ui.voice:
        from devices.speech import Speaker

        services.speaker = Speaker(settings.ui.voice_rate_wpm)
    if settings.api.base_url:
        services.outbox, services.remote_config, services.sync = build_sync(settings, services)
    return services


def build_sync(settings: Settings, services: Services) -> tuple[Any, Any, Any]:
    """Outbox, remote configuration and the sync worker for a station with a central API."""
    from kiosk.api import ApiClient
    from kiosk.outbox import Outbox
    from kiosk.remote_config import RemoteConfig
    from kiosk.sync import SyncWorker

    outbox, remote_config = Outbox.from_settings(settings), RemoteConfig(settings)
    sync = SyncWorker(settings, services.store, outbox, ApiClient(settings.api), remote_config,
                      device_health=services.device_health, stats=services.stats)
    return outbox, remote_config, sync
