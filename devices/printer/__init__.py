"""Thermal receipt printer: ESC/POS rendering, status, print queue, simulator, preview.

The app wires it with `PrintService(settings.devices.printer)`; see README.md here.
"""

from devices.printer.render import RenderOptions, render
from devices.printer.service import PrinterDisabled, PrintProblem, PrintService
from devices.printer.simulator import PrinterSimulator
from devices.printer.status import PrinterStatus, Problem

__all__ = [
    "PrintProblem",
    "PrintService",
    "PrinterDisabled",
    "PrinterSimulator",
    "PrinterStatus",
    "Problem",
    "RenderOptions",
    "render",
]
