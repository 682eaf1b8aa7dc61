"""Services for `gig-kiosk demo` and the UI tests: demo station, demo data, simulated devices."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk import demo_data
from kiosk.settings import Settings, from_dict
from kiosk.store import Store
from screens.services import Services

DEMO_STATION = "qh-park"


def _demo_codes() -> dict:
    return json.loads((demo_data.demo_dir() / "codes" / "codes.json").read_text(encoding="utf-8"))


def demo_settings(data_dir: Path, lang: str = "zh", elderly: bool = False) -> Settings:
    station = next(s for s in demo_data.load_stations() if s.id == DEMO_STATION)
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
            "storage": {"data_dir": str(data_dir)},
            "ui": {"language": lang, "elderly_mode": elderly, "fullscreen": False},
            # Demo-only key pair in assets/demo/codes/codes.json; real stations get their own.
            "security": {"maintenance_code_key": _demo_codes()["maintenance_code_key"]},
        },
        source="demo settings",
    )


def build_demo_services(
    data_dir: Path, lang: str = "zh", elderly: bool = False, smoke: bool = False
) -> Services:
    settings = demo_settings(data_dir, lang, elderly)
    store = Store(data_dir / "cache.db")

    def fill_cache() -> None:
        if store.count_jobs() == 0:
            store.replace_all_jobs(demo_data.load_jobs())
            store.upsert_policies(demo_data.load_policies())

    if smoke:  # the smoke run stops after the attract screen's first frame: nothing to fill
        return Services(settings=settings, store=store)
    from screens.demo_devices import DemoDevices

    demo = DemoDevices(settings, data_dir)
    return Services(
        settings=settings,
        store=store,
        background_init=fill_cache,
        demo=demo,
        idcard=demo.make_idcard_reader(),
        printer=demo.make_printer(),
        scanners=[demo.make_camera()],
    )
