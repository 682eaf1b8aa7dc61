"""The printer model table lives in kiosk/printer_models.py (data and its validation: the station
settings check it at load, and kiosk/ imports nothing from devices/)."""

from kiosk.printer_models import *  # noqa: F403
