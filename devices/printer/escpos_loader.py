"""Import python-escpos's printers with its printer database loaded from our cache.

On import, python-escpos parses its printer database (capabilities.json, read as YAML by a
pure-Python parser): about 100 ms in every process. It keeps a pickle of the result in
ESCPOS_CAPABILITIES_PICKLE_DIR, and when that is unset, in a new temporary directory per
process, left behind with the pickle in it. We point it at our cache so the pickle is reused.
(python-escpos 3.1 still makes one empty temporary directory per import: the default of its
environment lookup is evaluated eagerly. We leave that alone.)

python-escpos writes the pickle in place while parsing, so a process starting at that moment
could read half a file. A process that finds no up-to-date pickle therefore lets
python-escpos write into a private folder and moves the finished file into place atomically.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from kiosk.cache import cache_root

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"
log = logging.getLogger(__name__)


def escpos_printer() -> ModuleType:
    """The `escpos.printer` module (Dummy, Network, Serial, Usb, File)."""
    if "escpos.printer" in sys.modules or ENV in os.environ:
        return importlib.import_module("escpos.printer")
    shared = cache_root() / "escpos"
    pickle = shared / f"{platform.python_version()}.capabilities.pickle"
    if _fresh(pickle):
        os.environ[ENV] = str(shared)
        return importlib.import_module("escpos.printer")
    try:
        shared.mkdir(parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(dir=shared, prefix="building-"))
    except OSError as exc:  # read-only cache: python-escpos falls back to its own temp dir
        log.warning("printer database cache unavailable (%s); parsing it in this process", exc)
        return importlib.import_module("escpos.printer")
    os.environ[ENV] = str(private)
    try:
        module = importlib.import_module("escpos.printer")
        os.replace(private / pickle.name, pickle)
    finally:
        os.environ[ENV] = str(shared)
        shutil.rmtree(private, ignore_errors=True)
    return module


def _fresh(pickle: Path) -> bool:
    """The pickle exists and is newer than the database it was made from (as python-escpos
    itself checks, which would otherwise rewrite it in place)."""
    override = os.environ.get("ESCPOS_CAPABILITIES_FILE")  # python-escpos's own override
    if override:
        database = Path(override)
    else:
        spec = importlib.util.find_spec("escpos")
        if spec is None or not spec.submodule_search_locations:
            return False  # no python-escpos to compare with: make the pickle afresh
        database = Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"
    try:
        return pickle.stat().st_mtime >= database.stat().st_mtime
    except OSError:
        return False
