"""This station's own open alerts, as central's heartbeat answer lists them (central/alerts.py).

The sync worker keeps the latest list (and in the store's meta table, so the maintenance
screen has it after a restart before the first heartbeat); the maintenance screen shows it so
a maintainer on site sees what central sees. Whatever central sends, only well-formed entries
are kept, at most MAX of them, texts bounded and printable.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from kiosk.i18n import N_
from kiosk.printable import printable

MAX = 20
META = "sync.alerts"

# central's kinds -> msgids the maintenance screen shows (unknown kinds are shown as sent).
NAMES = {
    "offline": N_("Station offline"), "paper_out": N_("Out of paper"), "paper_low": N_("Paper low"),
    "device_printer": N_("Printer fault"), "device_idcard": N_("ID card reader fault"),
    "device_scanner": N_("Scanner fault"), "device_camera": N_("Camera fault"),
    "outbox_backlog": N_("Registrations piling up unsent"),
    "config_rejected": N_("Remote configuration rejected"), "clock_skew": N_("Clock is wrong"),
    "disk_low": N_("Disk almost full"), "update_failed": N_("Software update failed"),
}


@dataclass(frozen=True, slots=True)
class StationAlert:
    kind: str
    opened_at: str  # ISO 8601 UTC, as sent
    detail: str

    @property
    def name(self) -> str:
        return NAMES.get(self.kind, self.kind)

    def opened_local(self) -> str:
        """"MM-DD HH:MM" in the kiosk's local time, or the raw text if it does not parse."""
        try:
            return dt.datetime.fromisoformat(self.opened_at.replace("Z", "+00:00")).astimezone().strftime("%m-%d %H:%M")
        except ValueError:
            return self.opened_at[:16]


def parse(raw: Any) -> list[StationAlert]:
    """The well-formed entries of an ack's "alerts" (anything else → [])."""
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw[:MAX]:
        if not isinstance(item, dict):
            continue
        kind, at, detail = item.get("kind"), item.get("opened_at"), item.get("detail", "")
        if isinstance(kind, str) and isinstance(at, str) and isinstance(detail, str):
            out.append(StationAlert(printable(kind)[:32], printable(at)[:40], printable(detail)[:300]))
    return out


def dumps(alerts: list[StationAlert]) -> str:
    return json.dumps([asdict(a) for a in alerts], ensure_ascii=False)


def loads(text: str | None) -> list[StationAlert]:
    try:
        return parse(json.loads(text)) if text else []
    except ValueError:
        return []
