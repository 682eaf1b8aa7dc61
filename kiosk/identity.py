"""The identity a seeker proves by laying an ID card on the reader, and what can be wrong with it.

`IdentityCard` holds the text fields of a resident ID card, a Hong Kong/Macau/Taiwan residence
permit (type J) or a foreigner permanent residence card (types I and Y). It never holds the
photo. Its `repr` is masked so a stray log line cannot leak the person.

Checks: the ID number (kiosk.idnumber: GB 11643 check digit, ISO 7064 MOD 11-2) and the birth
date it carries. stdnum's area-code table lags newly created districts, so an unknown area code
is reported (`area_known`) but never a reason to reject a card whose check digit is right.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from stdnum.cn import ric

from kiosk import idnumber
from kiosk.i18n import N_
from kiosk.privacy import mask_id_number, mask_name

LONG_TERM = "长期"  # 'valid to' of cards that never expire


class CardType(StrEnum):
    RESIDENT = "resident"  # 居民身份证
    HKMT_PERMIT = "hkmt_permit"  # J: 港澳台居民居住证
    FOREIGN_2017 = "foreign_2017"  # I: 外国人永久居留身份证 (2017 edition)
    FOREIGN_2023 = "foreign_2023"  # Y: 外国人永久居留身份证 (2023 edition)


# The card's kind, by msgid (kiosk.i18n; Chinese in assets/locale/zh).
CARD_TYPE_NAME = {
    CardType.RESIDENT: N_("Resident ID card"),
    CardType.HKMT_PERMIT: N_("HK/Macao/Taiwan residence permit"),
    CardType.FOREIGN_2017: N_("Foreigner permanent residence card (2017)"),
    CardType.FOREIGN_2023: N_("Foreigner permanent residence card (2023)"),
}


class Sex(StrEnum):
    UNKNOWN = "unknown"  # code 0
    MALE = "male"  # code 1
    FEMALE = "female"  # code 2
    UNSPECIFIED = "unspecified"  # code 9

    @classmethod
    def from_code(cls, code: str) -> Sex:
        return {"0": cls.UNKNOWN, "1": cls.MALE, "2": cls.FEMALE, "9": cls.UNSPECIFIED}[code]

    @property
    def code(self) -> str:
        return {"unknown": "0", "male": "1", "female": "2", "unspecified": "9"}[self.value]


# GB/T 3304 nationality (民族) codes as printed on resident cards: a data file, kiosk/nations.json.
NATIONS_ZH: dict[int, str] = {
    int(code): name
    for code, name in json.loads(Path(__file__).with_name("nations.json").read_text("utf-8"))["names"].items()
}


class ProblemKind(StrEnum):
    EXPIRED = "expired"
    UNREADABLE = "unreadable"  # card present but the read failed (RF, authentication, moved away)
    UNKNOWN_CARD_TYPE = "unknown_card_type"
    INVALID_DATA = "invalid_data"  # read fine but the content fails checks (check digit, dates)
    READER_FAULT = "reader_fault"  # SAM module fault: staff must look


# What the seeker is told, by msgid (kiosk.i18n; Chinese in assets/locale/zh).
_MESSAGES = {
    ProblemKind.EXPIRED: N_("This card has expired. Please use a valid card."),
    ProblemKind.UNREADABLE: N_("The card could not be read. Please lay it flat on the reader and wait."),
    ProblemKind.UNKNOWN_CARD_TYPE: N_("This card type is not supported. Please use an ID card or residence permit."),
    ProblemKind.INVALID_DATA: N_("The card data did not pass checks. Please ask the staff."),
    ProblemKind.READER_FAULT: N_("The card reader has a fault. Please ask the staff."),
}


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Why a placed card did not become an identity. `msgid` is what the seeker is told
    (kiosk.i18n); `detail` is for logs and maintainers and never holds personal data."""

    kind: ProblemKind
    detail: str = ""
    status_code: int | None = None  # SW3 from the reader when the reader reported it

    @property
    def msgid(self) -> str:
        return _MESSAGES[self.kind]


class InvalidIdentity(ValueError):
    """The card's content fails a check. `str()` is one line without personal data."""


_ID_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")


def area_known(number: str) -> bool:
    """True when stdnum's table knows the 6-digit area code (for the birth year)."""
    try:
        ric.get_birth_place(number)
    except Exception:  # stdnum raises KeyError or InvalidComponent for unknown codes
        return False
    return True


@dataclass(frozen=True, slots=True, repr=False)
class IdentityCard:
    card_type: CardType
    id_number: str
    name: str  # as printed in Chinese; may be empty on foreigner cards
    sex: Sex
    birth_date: dt.date
    valid_from: dt.date | None
    valid_to: dt.date | None  # None: 长期 (does not expire)
    name_en: str = ""  # foreigner cards
    nation_code: str = ""  # resident cards: GB/T 3304, e.g. "01"
    address: str = ""  # resident cards and J permits
    issuer: str = ""  # issuing authority (I cards: authority code)
    nationality: str = ""  # I: ISO 3166 alpha-3; Y: country code as on the card
    pass_number: str = ""  # J: HK/Macao/Taiwan travel pass number
    issue_count: int | None = None  # J: issue count; Y: renewal count
    version: str = ""  # I: card version

    # --- display -------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"IdentityCard({self.card_type.value}, {self.masked_name}, {self.masked_id}, "
            f"valid_to={self.valid_to_text})"
        )

    __str__ = __repr__

    @property
    def display_name(self) -> str:
        return self.name or self.name_en

    @property
    def masked_name(self) -> str:
        """'李*梅' / '李*' / 'J*** S****' for screens and paper."""
        return mask_name(self.display_name)

    @property
    def masked_id(self) -> str:
        """'3410**********123X' for screens and paper."""
        return mask_id_number(self.id_number)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)

    @property
    def long_term(self) -> bool:
        return self.valid_to is None

    @property
    def valid_to_text(self) -> str:
        return LONG_TERM if self.valid_to is None else self.valid_to.isoformat()

    @property
    def nation_zh(self) -> str:
        try:
            return NATIONS_ZH.get(int(self.nation_code), "")
        except ValueError:
            return ""

    @property
    def card_type_name(self) -> str:
        """The card's kind as a msgid: kiosk.i18n.tr(card.card_type_name, lang)."""
        return CARD_TYPE_NAME[self.card_type]

    # --- facts -----------------------------------------------------------------------
    def age_on(self, day: dt.date) -> int:
        """Whole years on `day` (a 29 February birthday counts from 1 March in other years)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_expired(self, on: dt.date) -> bool:
        """A card is valid through its 'valid to' day; 长期 never expires."""
        return self.valid_to is not None and on > self.valid_to

    @property
    def area_known(self) -> bool:
        if self.card_type is CardType.FOREIGN_2017:
            return True  # no area code in that number
        return area_known(self.id_number)

    def validate(self, today: dt.date | None = None) -> None:
        """Raise InvalidIdentity when the number or dates are inconsistent. Expiry is not
        checked here (an expired card is genuine; see `problem()`)."""
        today = today or dt.date.today()
        number = self.id_number
        if self.card_type is CardType.FOREIGN_2017:
            # 3-letter nationality + 4-digit authority + YYMMDD + 2 digits. The check-digit rule
            # of this edition is not public in a form we can cite, so only the shape is checked.
            if not _ID_FOREIGN_2017.match(number):
                raise InvalidIdentity("permit number is not 3 letters + 12 digits")
            if number[7:13] != self.birth_date.strftime("%y%m%d"):
                raise InvalidIdentity("birth date in the number differs from the card")
        else:
            try:
                if idnumber.validate(number) != number:  # as read: no spaces, no lower-case x
                    raise idnumber.InvalidFormat("ID number is not 17 digits + check digit")
            except idnumber.InvalidIdNumber as exc:
                raise InvalidIdentity(str(exc)) from None
            if number[6:14] != self.birth_date.strftime("%Y%m%d"):
                raise InvalidIdentity("birth date in the number differs from the card")
            if self.card_type is CardType.FOREIGN_2023 and number[0] != "9":
                raise InvalidIdentity("2023 permanent residence number must start with 9")
            if self.card_type is CardType.HKMT_PERMIT and number[:2] not in ("81", "82", "83"):
                raise InvalidIdentity("residence permit number must start with 81, 82 or 83")
        if self.birth_date > today:
            raise InvalidIdentity("birth date is in the future")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise InvalidIdentity("valid-to date is before valid-from date")

    def problem(self, today: dt.date | None = None) -> ReadProblem | None:
        """What stops this card from identifying a seeker today, or None."""
        today = today or dt.date.today()
        try:
            self.validate(today)
        except InvalidIdentity as exc:
            return ReadProblem(ProblemKind.INVALID_DATA, str(exc))
        if self.is_expired(today):
            return ReadProblem(ProblemKind.EXPIRED, f"valid to {self.valid_to_text}")
        return None

    # --- serialisation ------------------------------------------------------------------
    def masked_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        """What may be shown or printed: personal fields masked, birth date reduced to the year."""
        today = today or dt.date.today()
        return {
            "card_type": self.card_type.value,
            "name": self.masked_name,
            "sex": self.sex.value,
            "nation": self.nation_zh,
            "birth_date": f"{self.birth_date.year:04d}-**-**",
            "age": self.age_on(today),
            "address": self.masked_address,
            "id_number": self.masked_id,
            "issuer": self.issuer,
            "nationality": self.nationality,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to_text,
            "expired": self.is_expired(today),
        }

    def to_dict(self) -> dict[str, Any]:
        """Full, unmasked form: only for fictional demo and test cards (assets/demo/cards.json)."""
        d: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        d["card_type"] = self.card_type.value
        d["sex"] = self.sex.value
        d["birth_date"] = self.birth_date.isoformat()
        d["valid_from"] = self.valid_from.isoformat() if self.valid_from else None
        d["valid_to"] = self.valid_to_text
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IdentityCard:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["card_type"] = CardType(d["card_type"])
        values["sex"] = Sex(d.get("sex", "unknown"))
        values["birth_date"] = dt.date.fromisoformat(d["birth_date"])
        vf = d.get("valid_from")
        values["valid_from"] = dt.date.fromisoformat(vf) if vf else None
        vt = d.get("valid_to")
        values["valid_to"] = None if vt in (None, LONG_TERM) else dt.date.fromisoformat(vt)
        return cls(**values)


def mask_address(value: str) -> str:
    """Keep the first 6 characters (roughly province and city), hide the rest."""
    v = value.strip()
    if len(v) <= 6:
        return "*" * len(v)
    return v[:6] + "*" * min(len(v) - 6, 8)
