"""GB 11643 citizen identity numbers (公民身份号码), the 18-character number of a resident ID
card, an HK/Macao/Taiwan residence permit (81/82/83…) and a 2023 foreigner permanent
residence card (9…). Shaped like python-stdnum's modules (stdnum/cn/ric.py, which it uses):

>>> validate('11010519491231002x')
'11010519491231002X'
>>> format('11010519491231002X')
'110105 19491231 002X'
>>> mask('11010519491231002X')
'1101**********002X'
>>> validate('110105194912310021')
Traceback (most recent call last):
    ...
kiosk.idnumber.InvalidChecksum: ID number check digit is wrong

The number is 6 digits of area, 8 of birth date (YYYYMMDD), 3 of sequence (odd for men) and a
check digit, ISO 7064 MOD 11-2, where 10 is written 'X'.

The check-digit quirk, explained here once: stdnum's `ric.calc_check_digit(number)` takes the
*whole* 18-character number and ignores its last character (so that `validate` can pass the
number as it is). To compute the digit for 17 digits, append any placeholder, as
`calc_check_digit` below does; never pass the 17 digits alone, which would drop one.

The area code is deliberately not checked: stdnum's table lags newly created districts, and a
genuine card from one must not be refused (kiosk.identity reports it as `area_known`).
"""

from __future__ import annotations

import datetime as dt
import re

LENGTH = 18
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """The number is not a valid GB 11643 number. `str()` never holds the number itself."""


class InvalidLength(InvalidIdNumber):
    pass


class InvalidFormat(InvalidIdNumber):
    pass


class InvalidChecksum(InvalidIdNumber):
    pass


class InvalidBirthDate(InvalidIdNumber):
    pass


def compact(number: str) -> str:
    """Without spaces and hyphens, 'x' as 'X'.

    >>> compact(' 110105 19491231-002x ')
    '11010519491231002X'
    """
    return re.sub(r"[\s-]", "", number).upper()


def calc_check_digit(first17: str) -> str:
    """The check digit for the first 17 digits (see the quirk in the module docstring).

    >>> calc_check_digit('11010519491231002')
    'X'
    """
    # Imported here: stdnum's package import (ssl, pydoc, ~18 ms) sat on the kiosk's
    # first-frame path through kiosk.privacy's masks (python -X importtime, issue 17).
    from stdnum.cn import ric

    return ric.calc_check_digit(first17 + "0")


def birth_date(number: str) -> dt.date:
    """The birth date the number carries.

    >>> birth_date('11010519491231002X')
    datetime.date(1949, 12, 31)
    """
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidBirthDate("birth date in the ID number is not a date") from None


def validate(number: str) -> str:
    """The compact number, or an Invalid* error: length, shape, check digit, birth date."""
    number = compact(number)
    if len(number) != LENGTH:
        raise InvalidLength("ID number is not 18 characters (17 digits + check digit)")
    if not _SHAPE.match(number):
        raise InvalidFormat("ID number is not 17 digits + check digit")
    if calc_check_digit(number[:17]) != number[17]:
        raise InvalidChecksum("ID number check digit is wrong")
    birth_date(number)
    return number


def is_valid(number: str) -> bool:
    """
    >>> is_valid('11010519491231002X'), is_valid('110105194912310021')
    (True, False)
    """
    try:
        validate(number)
    except InvalidIdNumber:
        return False
    return True


def format(number: str) -> str:  # noqa: A001 (stdnum's name for it)
    """Area, birth date and sequence + check digit, space-separated (for reading aloud
    to staff, never for screens: those show `mask`)."""
    number = compact(number)
    return f"{number[:6]} {number[6:14]} {number[14:]}"


def mask(number: str) -> str:
    """First 4 and last 4 characters kept, for screens and paper (GB/T 35273).

    >>> mask('X1234567')
    '********'
    """
    v = number.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]
