"""The printer model table (printer_models.toml): what each printer family can do, validated at load.

A station names its model in `devices.printer.model` and may override single capability keys
in the same section. `resolve()` merges generic ← model ← station and is what the renderer
and the print service use. Unknown models and keys are errors naming them (the settings
loader turns them into a one-line message and exit 2). Imports nothing from the project:
kiosk.settings calls it while loading.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TABLE = Path(__file__).with_name("printer_models.toml")
DEFAULT_MODEL = "generic"
PAPER = {58: (32, 384), 80: (48, 576)}  # font A columns, dots at 203 dpi

Qr = Literal["native", "image"]
Charset = Literal["gb18030", "gbk", "gb2312"]
Cut = Literal["full", "partial", "feed-cut", "none"]
StatusMode = Literal["dle-eot", "none"]

# Capability keys a station may override in its [devices.printer] section.
CAPABILITY_KEYS = (
    "qr", "charset", "c1_single", "columns", "dots", "cut", "status", "status_usb",
    "slip_sensor", "clear_buffer", "process_id", "kanji_mode_default",
)


class ModelEntry(BaseModel):
    """One row of printer_models.toml; None = take the generic value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    qr: Qr | None = None
    charset: Charset | None = None
    c1_single: bool | None = None
    width_mm: Literal[58, 80] | None = None
    columns: int | None = Field(None, ge=16, le=80)
    dots: int | None = Field(None, ge=128, le=832)
    cut: Cut | None = None
    status: StatusMode | None = None
    status_usb: bool | None = None
    slip_sensor: bool | None = None
    clear_buffer: bool | None = None
    process_id: bool | None = None
    kanji_mode_default: bool | None = None
    usb_vendor: int | None = None
    usb_product: int | None = None
    usb_in_ep: int | None = None
    usb_out_ep: int | None = None
    sources: dict[str, str] = {}


class PrinterModel(BaseModel):
    """Resolved capabilities of the printer a station has."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    qr: Qr = "image"
    charset: Charset = "gb2312"
    c1_single: bool = False
    width_mm: Literal[58, 80] = 80
    columns: int = 48
    dots: int = 576
    cut: Cut = "full"
    status: StatusMode = "none"
    status_usb: bool = True
    slip_sensor: bool = False
    clear_buffer: bool = False
    process_id: bool = False
    kanji_mode_default: bool = True
    usb_vendor: int | None = None
    usb_product: int | None = None
    usb_in_ep: int | None = None
    usb_out_ep: int | None = None
    sources: dict[str, str] = {}

    def reads_status(self, connection: str) -> bool:
        """DLE EOT is asked for only where the model answers it (some only on serial)."""
        if self.status == "none" or connection == "file":
            return False
        return self.status_usb or connection != "usb"


class ModelError(ValueError):
    """One line naming the unknown model or key."""


@cache
def table(path: Path = TABLE) -> dict[str, ModelEntry]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, ModelEntry] = {}
    for key, row in raw.items():
        try:
            out[key] = ModelEntry.model_validate(row)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            raise ModelError(f"{path.name}: [{key}] {where}: {msg}") from None
    if DEFAULT_MODEL not in out:
        raise ModelError(f"{path.name}: no [{DEFAULT_MODEL}] entry")
    return out


def resolve(model: str = DEFAULT_MODEL, width_mm: int | None = None, **overrides: Any) -> PrinterModel:
    """generic ← the named model ← the station's overrides (None = not overridden).
    columns/dots follow the paper width unless the model or the station gives them."""
    rows = table()
    if model not in rows:
        raise ModelError(f"unknown printer model {model!r} (known: {', '.join(sorted(rows))})")
    unknown = sorted(set(overrides) - set(CAPABILITY_KEYS))
    if unknown:
        raise ModelError(f"not a printer capability: {', '.join(unknown)}")
    own = rows[model]
    merged: dict[str, Any] = {}
    for row in (rows[DEFAULT_MODEL], own):
        merged.update({k: v for k, v in row.model_dump().items() if v is not None and k != "sources"})
    merged["sources"] = dict(own.sources)
    # A family made in one width keeps it (an XP-58 cannot print 80 mm); others take the station's.
    width = own.width_mm or width_mm or 80
    merged["width_mm"] = width
    merged["columns"] = own.columns or PAPER[width][0]
    merged["dots"] = own.dots or PAPER[width][1]
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return PrinterModel(key=model, **merged)
