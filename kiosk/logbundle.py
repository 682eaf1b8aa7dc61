"""The kiosk's own log file and the bundle of its last N hours (a remote `upload_logs` command).

`install_file_log(log_dir)` adds a size-rotated file handler (10 × 2 MB) to the root logger,
with UTC ISO timestamps and kiosk.privacy's MaskingFilter, so the file holds what the journal
holds, masked. `bundle(log_dir, hours)` collects the lines of the last `hours` (a traceback's
lines go with the record they belong to), runs every line through the same masking again
before anything leaves the kiosk (a line written by an older version, or by a handler without
the filter, is masked now), and gzips them, newest lines kept if the bundle would be too big.
"""

from __future__ import annotations

import gzip
import logging
import logging.handlers
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.privacy import MaskingFilter, mask_text

FILE = "kiosk.log"
MAX_BYTES, BACKUPS = 2 * 1024 * 1024, 9
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ")


class _UtcFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)


def install_file_log(log_dir: Path, level: int = logging.INFO) -> logging.Handler | None:
    """None when the folder cannot be made: the kiosk runs all the same (logs still go to the
    journal), and the start-up that needs the data folder says why it cannot."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logging.getLogger(__name__).error("no log file in %s: %s", log_dir, type(exc).__name__)
        return None
    root = logging.getLogger()
    for h in root.handlers:  # once per process (a second app in tests would add another)
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == log_dir / FILE:
            return h
    handler = logging.handlers.RotatingFileHandler(log_dir / FILE, maxBytes=MAX_BYTES,
                                                   backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                       datefmt="%Y-%m-%dT%H:%M:%SZ"))
    handler.setLevel(level)
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


@dataclass(frozen=True, slots=True)
class Bundle:
    data: bytes  # gzip
    lines: int
    remasked: int  # lines the re-check changed
    truncated: bool  # older lines left out to stay under the size limit


def _files(log_dir: Path) -> list[Path]:
    """Oldest first: kiosk.log.9 ... kiosk.log.1, kiosk.log."""
    rotated = sorted(log_dir.glob(FILE + ".*"), key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0,
                     reverse=True)
    return [p for p in rotated if p.suffix[1:].isdigit()] + ([log_dir / FILE] if (log_dir / FILE).exists() else [])


def bundle(log_dir: Path, hours: int, now: float | None = None, max_bytes: int = 4 * 1024 * 1024) -> Bundle:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((now or time.time()) - hours * 3600))
    kept: list[str] = []
    remasked = 0
    keep = False
    for path in _files(log_dir):
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                stamp = _STAMP.match(line)
                if stamp:
                    keep = stamp.group(1) >= since  # ISO UTC strings sort as times
                if not keep:
                    continue
                masked = mask_text(line)
                remasked += masked != line
                kept.append(masked)
    data, truncated = gzip.compress("".join(kept).encode("utf-8")), False
    while len(data) > max_bytes and kept:
        kept = kept[len(kept) // 2:]  # the newest half
        data, truncated = gzip.compress("".join(kept).encode("utf-8")), True
    return Bundle(data, len(kept), remasked, truncated)
