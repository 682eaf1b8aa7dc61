"""Thermal receipt printer: ESC/POS rendering, status, print queue, simulator, preview.

The app wires it with `PrintService(settings.devices.printer)`; see README.md here.
Names are imported lazily: kiosk.settings validates the printer model against
`kiosk.printer_models` and must not pull in python-escpos (or itself) on the way.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "RenderOptions": "render",
    "render": "render",
    "PrinterDisabled": "service",
    "PrintProblem": "service",
    "PrintService": "service",
    "PrinterSimulator": "simulator",
    "PrinterStatus": "status",
    "Problem": "status",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
