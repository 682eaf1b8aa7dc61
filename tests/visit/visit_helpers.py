"""A visit on real kiosk parts (SQLite store with the demo jobs, the real search and outbox),
with a clock the test moves and a printer that records what it was asked to print. No Kivy."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import demo_data
from kiosk.identity import IdentityCard
from kiosk.outbox import Outbox
from kiosk.receipts import Receipt
from kiosk.search import nearby
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.visit import Visit

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 23, 10, 0)
STATION = "qh-park"
CODES = json.loads((ROOT / "assets" / "demo" / "codes" / "codes.json").read_text())


class FakeClock:
    """Wall time and a monotonic count that move only when the test says so."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.wall, self.mono = now, 1000.0

    def now(self) -> dt.datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += dt.timedelta(seconds=seconds)
        self.mono += seconds


@dataclass
class RecordingPrinter:
    receipts: list[Receipt] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    going: set[str] = field(default_factory=set)  # job ids the "printer" has started

    def submit(self, receipt: Receipt) -> str:
        self.receipts.append(receipt)
        return f"p{len(self.receipts)}"

    def started(self, job_id: str) -> bool:
        return job_id in self.going

    def cancel(self, job_ids: list[str]) -> list[str]:
        self.cancelled.extend(job_ids)
        return list(job_ids)


@dataclass
class Link:
    """The part of the sync worker a visit sees: is the API reachable, and a wake-up call."""

    online: bool = True
    wakes: int = 0

    def wake(self) -> None:
        self.wakes += 1


@dataclass
class World:
    visit: Visit
    clock: FakeClock
    printer: RecordingPrinter
    outbox: Outbox
    sync: Link
    store: Store
    events: list[str]
    cards: dict[str, IdentityCard]


def cards() -> dict[str, IdentityCard]:
    raw = json.loads((ROOT / "assets" / "demo" / "cards.json").read_text())["cards"]
    return {c["label"]: IdentityCard.from_dict(c) for c in raw}


def make_world(store: Store, tmp_path: Path, **visit_kw: Any) -> World:
    st = next(s for s in demo_data.load_stations() if s.id == STATION)
    settings = from_dict({
        "station": {"id": st.id, "name": st.name, "name_en": st.name_en, "lat": st.lat, "lng": st.lng,
                    "county": st.county},
        "ui": {"idle_timeout_s": 60, "search_radius_km": 10},
        "storage": {"data_dir": str(tmp_path / "data"), "outbox_key_file": str(tmp_path / "keys" / "outbox.key")},
        "security": {"maintenance_code_key": CODES["maintenance_code_key"]},
    })
    clock, printer, sync, events = FakeClock(), RecordingPrinter(), Link(), []
    outbox = Outbox.from_settings(settings)

    def search(flt, today):  # noqa: ANN001, ANN202
        return nearby(store, st.lat, st.lng, flt, limit=200, today=today)

    kw: dict[str, Any] = dict(printer=printer, outbox=outbox, sync=sync, clock=clock, on_event=events.append)
    kw.update(visit_kw)
    visit = Visit(settings, store, search, **kw)
    return World(visit, clock, printer, outbox, sync, store, events, cards())
