"""Services for `gig-kiosk demo` and the UI tests: demo station, simulated devices, and the
reference central API started in-process, reached through a simulated network link."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import demo_data
from screens.opening import Opening

if TYPE_CHECKING:
    from kiosk.models import Station
    from kiosk.settings import Settings
    from screens.services import Services

log = logging.getLogger(__name__)
DEMO_STATION = "qh-park"


def _demo_codes() -> dict:
    return json.loads((demo_data.demo_dir() / "codes" / "codes.json").read_text(encoding="utf-8"))


def demo_station() -> Station:
    return next(s for s in demo_data.load_stations() if s.id == DEMO_STATION)


def demo_opening(lang: str = "zh", elderly: bool = False) -> Opening:
    """The attract screen's first frame, drawn before the demo settings are validated."""
    # The raw record: the first frame needs its names, not kiosk.models.
    s = next(s for c in demo_data.load_counties() for s in c.get("stations", []) if s["id"] == DEMO_STATION)
    return Opening(lang=lang, elderly=elderly, station_name=s["name"], station_name_en=s.get("name_en", ""))


def demo_settings(data_dir: Path, lang: str = "zh", elderly: bool = False) -> Settings:
    from kiosk.settings import from_dict  # pydantic: after the first frame (GigKioskApp)

    station = demo_station()
    return from_dict(
        {
            "station": {
                "id": station.id,
                "name": station.name,
                "name_en": station.name_en,
                "lat": station.lat,
                "lng": station.lng,
                "county": station.county,
            },
            # The outbox key lives beside data_dir, never in it (kiosk.outbox).
            "storage": {"data_dir": str(data_dir),
                        "outbox_key_file": str(data_dir.parent / f"{data_dir.name}-keys" / "outbox.key")},
            "ui": {"language": lang, "elderly_mode": elderly, "fullscreen": False},
            # Demo-only key pair in assets/demo/codes/codes.json; real stations get their own.
            "security": {"maintenance_code_key": _demo_codes()["maintenance_code_key"]},
        },
        source="demo settings",
    )


def build_demo_services(
    data_dir: Path, lang: str = "zh", elderly: bool = False, speech_dir: Path | None = None,
    embedded_central: bool = True, camera_fps: float = 5.0,
) -> Services:
    """speech_dir: write spoken prompts there as WAV files instead of playing them.
    embedded_central: start the demo's central API in the background once services start."""
    # Imported here: the demo command imports this module before its first frame.
    from devices.speech import Speaker
    from kiosk.outbox import Outbox
    from kiosk.stats import StatsCounter
    from screens.demo_devices import DemoDevices
    from screens.services import Services

    settings = demo_settings(data_dir, lang, elderly)
    from kiosk.store import Store  # sqlite3 and orjson: after the first frame

    store = Store(data_dir / "cache.db")
    demo = DemoDevices(settings, data_dir, camera_fps=camera_fps)
    services = Services(
        settings=settings,
        store=store,
        demo=demo,
        idcard=demo.make_idcard_reader(),
        printer=demo.make_printer(),
        scanners=[demo.make_camera()],
        outbox=Outbox.from_settings(settings),  # applications are accepted at once, sent when online
        speaker=Speaker(settings.ui.voice_rate_wpm, out_dir=speech_dir),
        stats=StatsCounter.in_dir(settings.storage.data_dir),
    )
    if embedded_central:
        services.background_init = lambda: connect_central(services, demo)
    return services


def connect_central(services: Services, demo: object) -> None:
    """Start the embedded central API (seeded with the demo data) and sync from it. Runs after
    the first frame: importing and seeding the server takes a second or two."""
    from kiosk.api import ApiClient
    from kiosk.remote_config import RemoteConfig
    from kiosk.sync import SyncWorker

    try:
        base_url, county_key, token = demo.start_central()
    except Exception:  # the kiosk must still work: serve the demo data from the cache
        log.exception("demo: embedded central API did not start; using the local demo data")
        if services.store.count_jobs() == 0:
            services.store.replace_all_jobs(demo_data.load_jobs())
            services.store.upsert_policies(demo_data.load_policies())
        return
    s = services.settings
    live = s.model_copy(
        update={
            "api": s.api.model_copy(update={"base_url": base_url, "token": token}),
            "security": s.security.model_copy(update={"trusted_config_keys": [county_key]}),
        }
    )
    services.remote_config = RemoteConfig(live)
    services.attach_sync(
        SyncWorker(live, services.store, services.outbox, ApiClient(live.api), services.remote_config,
                   device_health=services.device_health, stats=services.stats)
    )
