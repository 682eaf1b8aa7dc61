"""Mainland China mobile numbers, as a seeker types one on the keypad to register interest.
Shaped like python-stdnum's modules:

>>> validate('139 0000 0001')
'13900000001'
>>> format('13900000001')
'139 0000 0001'
>>> mask('13900000001')
'139****0001'
>>> validate('12345678901')
Traceback (most recent call last):
    ...
kiosk.phone.InvalidFormat: not a mainland mobile number

Two rules, in order. `PATTERN` is the central server's rule (central/schemas.py `_PHONE`),
character for character: tests/core/test_phone_contract.py keeps them equal, so an
application the kiosk accepts is never refused by the server for its phone number. Then
libphonenumber's metadata must call it a mobile number: that also catches typos into ranges
no operator has been given, which the server's shape check lets through.
"""

from __future__ import annotations

import re

PATTERN = r"^1[3-9]\d{9}$"
_MOBILE = re.compile(PATTERN)
LENGTH = 11


class InvalidPhone(ValueError):
    """Not a mobile number the kiosk accepts. `str()` never holds the number itself."""


class InvalidLength(InvalidPhone):
    pass


class InvalidFormat(InvalidPhone):
    pass


class InvalidComponent(InvalidPhone):
    """The shape is right but no operator has the range (libphonenumber's metadata)."""


def compact(number: str) -> str:
    """Digits only, without a +86 / 0086 country prefix.

    >>> compact('+86 139-0000-0001'), compact('0086 13900000001')
    ('13900000001', '13900000001')
    """
    digits = re.sub(r"[\s()+.-]", "", number)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == LENGTH + len(prefix):
            return digits[len(prefix):]
    return digits


def validate(number: str) -> str:
    """The compact number, or an Invalid* error."""
    import phonenumbers  # ~30 ms of metadata: loaded on the first number, not at start-up

    number = compact(number)
    if len(number) != LENGTH:
        raise InvalidLength("a mobile number has 11 digits")
    if not _MOBILE.match(number):
        raise InvalidFormat("not a mainland mobile number")
    parsed = phonenumbers.parse(number, "CN")
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidComponent("no operator has this number range")
    return number


def is_valid(number: str) -> bool:
    """
    >>> is_valid('13900000001'), is_valid('1390000000'), is_valid('23900000001')
    (True, False, False)
    """
    try:
        validate(number)
    except InvalidPhone:
        return False
    return True


def format(number: str) -> str:  # noqa: A001 (stdnum's name for it)
    """3-4-4 groups for easy checking; also for a number still being typed.

    >>> format('1390000'), format('')
    ('139 0000', '')
    """
    digits = compact(number)
    return " ".join(p for p in (digits[:3], digits[3:7], digits[7:]) if p)


def mask(number: str) -> str:
    """First 3 and last 4 digits kept, for screens and paper (GB/T 35273).

    >>> mask('123456')
    '******'
    """
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
