"""The printer self-check: which QR code of the maintenance test page printed readable.

The test page carries a native QR (A, `GS ( k`) and an image QR (B, raster) whose payloads
are `ptest:A:<nonce>` and `ptest:B:<nonce>`, with a fresh nonce per printed page. The
maintainer holds the slip to the kiosk's own camera; each code read is recorded here. Only
A read proves the printer draws its own QR codes, so only then does the station switch to
native QR; until a check says otherwise the model table's value stands (image for the
default `generic`), and an explicit `qr` in the station's config always wins.

The result is kept in `data_dir/printer-check.json` for the model it was taken on (a
different printer model starts unchecked) together with the printer's `GS I` answers at the
time; the pending nonce lives in memory only and ends with the maintenance access.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.settings import PrinterSettings

log = logging.getLogger(__name__)

FILE = "printer-check.json"
NATIVE, IMAGE, UNCHECKED = "native", "image", "unchecked"
MARKS = {"A": NATIVE, "B": IMAGE}  # code on the page -> what it proves printable
PAYLOAD_RE = re.compile(r"ptest:([AB]):([0-9a-f]{16})")
INFO_KEYS = ("model", "maker", "firmware", "fonts")  # GS I n = 67, 66, 65, 69


def payload(mark: str, nonce: str) -> str:
    """What test code `mark` (A or B) of the page with `nonce` holds."""
    assert mark in MARKS and re.fullmatch(r"[0-9a-f]{16}", nonce), (mark, nonce)
    return f"ptest:{mark}:{nonce}"


def qr_for(settings: PrinterSettings, result: str) -> str:
    """effective_qr for the station's printer section (its model's table value, its `qr`)."""
    return effective_qr(settings.resolved().qr, settings.qr, result)


def effective_qr(table_qr: str, override: str | None, result: str) -> str:
    """The QR mode to print with: the station's explicit `qr`, else what the last check
    proved (native only if A was read), else the model table's value."""
    if override:
        return override
    if result in (NATIVE, IMAGE):
        return result
    return table_qr


@dataclass
class CheckRecord:
    """The last check's outcome (what printer-check.json holds)."""

    model: str
    native_read: bool = False
    image_read: bool = False
    checked_at: float = 0.0
    printer_info: dict[str, str] = field(default_factory=dict)

    @property
    def result(self) -> str:
        if self.native_read:
            return NATIVE
        return IMAGE if self.image_read else UNCHECKED


class PrinterCheck:
    """The station's self-check state for the printer `model` (a models.toml key)."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        self.nonce = ""  # the pending test page; "" when no check is pending
        self.round: CheckRecord | None = None  # what the pending page has shown so far
        self.record = self._load()

    @classmethod
    def in_dir(cls, data_dir: Path, model: str) -> PrinterCheck:
        return cls(Path(data_dir) / FILE, model)

    def _load(self) -> CheckRecord:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            rec = CheckRecord(model=str(raw["model"]), native_read=raw["native_read"] is True,
                              image_read=raw["image_read"] is True, checked_at=float(raw["checked_at"]),
                              printer_info={k: str(v)[:64] for k, v in dict(raw.get("printer_info", {})).items()
                                            if k in INFO_KEYS})
        except FileNotFoundError:
            return CheckRecord(self.model)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("printer check: %s unreadable (%s); treated as unchecked", self.path.name, type(exc).__name__)
            return CheckRecord(self.model)
        if rec.model != self.model:  # another printer model: its result says nothing about this one
            log.info("printer check: saved result is for model %s, this printer is %s", rec.model, self.model)
            return CheckRecord(self.model)
        return rec

    @property
    def result(self) -> str:
        """native | image | unchecked, for this printer model."""
        return self.record.result

    @property
    def pending(self) -> bool:
        return bool(self.nonce)

    def begin(self) -> str:
        """A test page is being printed: a fresh nonce for its two codes."""
        self.nonce = secrets.token_hex(8)
        self.round = None
        return self.nonce

    def cancel(self) -> None:
        """Maintenance ended: codes of the page printed in it are no longer accepted."""
        self.nonce, self.round = "", None

    def seen(self, mark: str, nonce: str, printer_info: dict[str, str] | None = None,
             now: float | None = None) -> str | None:
        """Code `mark` of the page `nonce` was read. Returns the new result, or None when no
        check is pending for that page. The first code read of a page replaces the last
        check's result; A read at any time during the round makes it native."""
        if not self.nonce or not secrets.compare_digest(nonce, self.nonce) or mark not in MARKS:
            return None
        if self.round is None:
            self.round = CheckRecord(self.model)
        setattr(self.round, "native_read" if mark == "A" else "image_read", True)
        self.round.checked_at = time.time() if now is None else now
        if printer_info:
            self.round.printer_info = {k: v for k, v in printer_info.items() if k in INFO_KEYS and v}
        self.record = CheckRecord(**asdict(self.round))
        self._save()
        return self.result

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self.record), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)  # never a half-written file after a power cut
