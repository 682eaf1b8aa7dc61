"""The four identity cards a kiosk's reader can lay (issue 16), validated by their number.

- resident: 居民身份证, 18 characters, GB 11643 check digit, birth date at [6:14];
- hkmt_permit: 港澳台居民居住证, the same format with area code 81 (Hong Kong), 82 (Macao) or
  83 (Taiwan);
- foreign_2023: 外国人永久居留身份证 (2023 format), the same format starting with 9;
- foreign_2017: 外国人永久居留身份证 (2017 format), 3 letters (nationality) and 12 digits,
  no check digit we can verify.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from stdnum.cn import ric

CardType = Literal["resident", "hkmt_permit", "foreign_2023", "foreign_2017"]
CARD_TYPES: tuple[CardType, ...] = ("resident", "hkmt_permit", "foreign_2023", "foreign_2017")
_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
# Any card's number, for lookups that do not say the card type (my-applications, withdraw).
ANY_PATTERN = r"^([0-9]{17}[0-9Xx]|[A-Za-z]{3}[0-9]{12})$"


def _gb11643(v: str) -> date:
    """Check digit and birth date of an 18-character number; ValueError if either is wrong."""
    if not _EIGHTEEN.fullmatch(v) or ric.calc_check_digit(v) != v[17]:
        raise ValueError("invalid ID number (check digit)")
    try:
        return ric.get_birth_date(v)
    except Exception as exc:  # stdnum raises its own InvalidComponent
        raise ValueError("invalid birth date in ID number") from exc


def validate(card_type: str, number: str) -> str:
    """The number normalised (upper case), or ValueError naming what is wrong."""
    v = number.strip().upper()
    if card_type == "foreign_2017":
        if not _FOREIGN_2017.fullmatch(v):
            raise ValueError("invalid foreign permanent residence ID (2017): 3 letters and 12 digits")
        return v
    # "resident" also takes the other 18-character cards: older kiosks send no card type.
    if card_type == "hkmt_permit" and v[:2] not in ("81", "82", "83"):
        raise ValueError("invalid residence permit number: starts with 81, 82 or 83")
    if card_type == "foreign_2023" and v[:1] != "9":
        raise ValueError("invalid foreign permanent residence ID (2023): starts with 9")
    if card_type not in CARD_TYPES:
        raise ValueError("unknown card type")
    _gb11643(v)
    return v


def validate_any(number: str) -> str:
    """A number of any of the four cards (the card type is not sent), normalised."""
    v = number.strip().upper()
    if _FOREIGN_2017.fullmatch(v):
        return v
    _gb11643(v)
    return v


def birth_date(card_type: str, number: str) -> date | None:
    """The birth date the number carries (None for the 2017 foreign card: it has no century)."""
    if card_type == "foreign_2017":
        return None
    return _gb11643(number.strip().upper())
