"""ID card reader (SAM module, GA 467 serial protocol): protocol, driver, simulator.

The app needs only these names; see README.md in this folder for the wiring.
"""

from devices.idcard.reader import BAUD_RATES, IdCardReader, ReaderStats
from devices.idcard.simulator import DEMO_CARDS, Fault, ReaderModel, ReaderSimulator, load_cards
from kiosk.identity import IdentityCard, ProblemKind, ReadProblem

__all__ = [
    "BAUD_RATES",
    "DEMO_CARDS",
    "Fault",
    "IdCardReader",
    "IdentityCard",
    "ProblemKind",
    "ReadProblem",
    "ReaderModel",
    "ReaderSimulator",
    "ReaderStats",
    "load_cards",
]
