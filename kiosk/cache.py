"""Where the kiosk keeps things it derives once and reuses (the SC font face, compiled
message catalogues, python-escpos's parsed printer database): $XDG_CACHE_HOME/gig-kiosk,
else ~/.cache/gig-kiosk. Everything here can be deleted; it is made again on next use."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gig-kiosk"
