"""Request bodies for the standing registration tests (fictional people only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from central_helpers import id_number
from stdnum.cn import ric


def number(card_type: str, serial: int = 123, birth: str = "19700501") -> str:
    """A valid number of each card type (check digits computed, people fictional)."""
    if card_type == "foreign_2017":
        return f"USA11{birth[2:]}{serial:04d}"
    area = {"resident": "340102", "hkmt_permit": "810000", "foreign_2023": "911840"}[card_type]
    base = f"{area}{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


def registration(station_id: str = "e-park", card_type: str = "resident", serial: int = 123,
                 reference: str = "K7QD-3M9X", birth: str = "19700501", **wants: Any) -> dict:
    return {
        "station_id": station_id, "reference": reference, "lang": "zh",
        "seeker": {"card_type": card_type, "id_number": number(card_type, serial, birth),
                   "name": "王登记", "phone": "13812345678", "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"},
        "wants": {"categories": [], "reach": {"km": 3}, "days": [], "settlement": "any",
                  "min_pay": None, **wants},
        "consent": {"version": "2026-11-reg", "at": datetime.now(UTC).isoformat(), "days": 30, "sms": True},
    }


__all__ = ["id_number", "number", "registration"]
