"""Plain data shared by the store, search, receipts, devices and the API client.

Field names follow the central API's wire contract (see central/ and DESIGN.md) so a job
travels from JSON to the store to the screen without renaming.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from kiosk.i18n import N_, tr


class PayUnit(StrEnum):
    HOUR = "hour"
    DAY = "day"
    PIECE = "piece"
    ORDER = "order"


class Settlement(StrEnum):
    DAILY = "daily"  # 日结
    WEEKLY = "weekly"  # 周结
    ON_COMPLETION = "on_completion"  # 完工结


class JobStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# Display names, by msgid (kiosk.i18n). Kept here (not in screens/) because receipts print them too.
PAY_TEXT = {
    PayUnit.HOUR: N_("¥{amount}/hour"),
    PayUnit.DAY: N_("¥{amount}/day"),
    PayUnit.PIECE: N_("¥{amount}/piece"),
    PayUnit.ORDER: N_("¥{amount}/order"),
}
SETTLEMENT_TEXT = {
    Settlement.DAILY: N_("paid daily"),
    Settlement.WEEKLY: N_("paid weekly"),
    Settlement.ON_COMPLETION: N_("paid on completion"),
}
# The job categories central uses (its Chinese names are the data's keys) -> the English name,
# which is the msgid of the name in other languages. A data file: kiosk/categories.json.
CATEGORIES_ZH_EN: dict[str, str] = json.loads((Path(__file__).with_name("categories.json")).read_text("utf-8"))
# Bracketed words at the end of titles ("保洁员（日结）") -> English msgid: kiosk/title_words.json.
TITLE_WORDS_ZH_EN: dict[str, str] = {
    k: v for k, v in json.loads((Path(__file__).with_name("title_words.json")).read_text("utf-8")).items()
    if not k.startswith("_")}
_TITLE_TAG = re.compile(r"（([^（）]{1,12})）")
DATA_LANGUAGE = "zh"  # the language of central's job data
# A job paying under this share of the county's guidance wage says so (issue 16).
LOW_PAY_SHARE = 0.8


def category_text(category: str, lang: str) -> str:
    """The category in lang: the data's own word in Chinese, else the catalogue's."""
    if lang == DATA_LANGUAGE or category not in CATEGORIES_ZH_EN:
        return category
    return tr(CATEGORIES_ZH_EN[category], lang)


def title_text(title: str, lang: str) -> str:
    """The title with its known bracketed words in lang ("保洁员（日结）" -> "保洁员 (paid daily)");
    the rest is the employer's own words and stays as written."""
    if lang == DATA_LANGUAGE:
        return title

    def word(m: re.Match[str]) -> str:
        en = TITLE_WORDS_ZH_EN.get(m.group(1))
        return f" ({tr(en, lang)})" if en else m.group(0)

    return _TITLE_TAG.sub(word, title).strip()


@dataclass(frozen=True, slots=True)
class Requirements:
    age_min: int | None = None
    age_max: int | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    title: str
    category: str
    employer: str
    headcount: int
    pay_amount: float
    pay_unit: PayUnit
    settlement: Settlement
    start_date: dt.date
    end_date: dt.date
    daily_hours: str  # e.g. "08:00-17:00"
    address: str
    lat: float
    lng: float
    contact: str
    requirements: Requirements = field(default_factory=Requirements)
    valid_through: dt.date | None = None
    status: JobStatus = JobStatus.OPEN
    updated_at: str = ""
    district: str = ""
    directions: str = ""  # one line: how to get there from nearby transport
    # Trust (issue 16): county staff verified the employer; the county's guidance wage for
    # this category in the job's own pay unit (None: none set). Older caches lack both.
    employer_verified: bool = False
    guidance_amount: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        """Build a Job from wire/JSON form (dates as ISO strings)."""
        req = d.get("requirements") or {}
        vt = d.get("valid_through")
        return cls(
            id=str(d["id"]),
            title=d["title"],
            category=d["category"],
            employer=d["employer"],
            headcount=int(d["headcount"]),
            pay_amount=float(d["pay_amount"]),
            pay_unit=PayUnit(d["pay_unit"]),
            settlement=Settlement(d["settlement"]),
            start_date=dt.date.fromisoformat(d["start_date"]),
            end_date=dt.date.fromisoformat(d["end_date"]),
            daily_hours=d.get("daily_hours", ""),
            address=d["address"],
            lat=float(d["lat"]),
            lng=float(d["lng"]),
            contact=d.get("contact", ""),
            requirements=Requirements(
                age_min=req.get("age_min"), age_max=req.get("age_max"), notes=req.get("notes", "")
            ),
            valid_through=dt.date.fromisoformat(vt) if vt else None,
            status=JobStatus(d.get("status", "open")),
            updated_at=d.get("updated_at", ""),
            district=d.get("district", ""),
            directions=d.get("directions", ""),
            employer_verified=bool(d.get("employer_verified", False)),
            guidance_amount=_guidance(d),
        )

    def to_dict(self) -> dict[str, Any]:
        """Wire/JSON form, fields in declaration order. Written out rather than
        dataclasses.asdict, whose recursive deep copy was 60 % of a 100,000-job first sync."""
        req = self.requirements
        vt = self.valid_through
        return {
            "id": self.id, "title": self.title, "category": self.category, "employer": self.employer,
            "headcount": self.headcount, "pay_amount": self.pay_amount, "pay_unit": self.pay_unit.value,
            "settlement": self.settlement.value, "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(), "daily_hours": self.daily_hours,
            "address": self.address, "lat": self.lat, "lng": self.lng, "contact": self.contact,
            "requirements": {"age_min": req.age_min, "age_max": req.age_max, "notes": req.notes},
            "valid_through": vt.isoformat() if vt else None, "status": self.status.value,
            "updated_at": self.updated_at, "district": self.district, "directions": self.directions,
            "employer_verified": self.employer_verified, "guidance_amount": self.guidance_amount,
        }

    def pay_text(self, lang: str = "zh") -> str:
        return pay_text(self.pay_amount, self.pay_unit, lang)

    @property
    def below_guidance(self) -> bool:
        """The pay is far below the county's guidance wage: under LOW_PAY_SHARE of it, in the
        same pay unit (central sends the wage only for the job's own unit)."""
        return self.guidance_amount is not None and self.pay_amount < LOW_PAY_SHARE * self.guidance_amount

    def guidance_text(self, lang: str = "zh") -> str:
        """The guidance wage written like the job's pay ("" when there is none)."""
        return "" if self.guidance_amount is None else pay_text(self.guidance_amount, self.pay_unit, lang)

    def settlement_text(self, lang: str = "zh") -> str:
        return settlement_text(self.settlement, lang)

    def title_text(self, lang: str = "zh") -> str:
        return title_text(self.title, lang)

    def category_text(self, lang: str = "zh") -> str:
        return category_text(self.category, lang)


def _guidance(d: dict[str, Any]) -> float | None:
    """The wire form {"guidance": {"amount", "unit"}} (only for the job's own unit), or the
    cache's flat guidance_amount."""
    g = d.get("guidance")
    if isinstance(g, dict) and g.get("unit") == d.get("pay_unit") and g.get("amount") is not None:
        return float(g["amount"])
    flat = d.get("guidance_amount")
    return float(flat) if flat is not None else None


class JobSummary(NamedTuple):
    """What a row of the job list shows, read from narrow store columns: no JSON and no
    full Job per row, which is most of a search's cost. The detail screen loads the Job."""

    id: str
    title: str
    employer: str
    category: str
    pay_amount: float
    pay_unit: str
    settlement: str
    start_date: dt.date
    valid_through: dt.date | None
    status: str

    def pay_text(self, lang: str = "zh") -> str:
        return pay_text(self.pay_amount, self.pay_unit, lang)

    def settlement_text(self, lang: str = "zh") -> str:
        return settlement_text(self.settlement, lang)

    def title_text(self, lang: str = "zh") -> str:
        return title_text(self.title, lang)

    def category_text(self, lang: str = "zh") -> str:
        return category_text(self.category, lang)


def pay_text(amount: float, unit: str, lang: str = "zh") -> str:
    """'180元/天' or '¥180/day'."""
    return tr(PAY_TEXT[PayUnit(unit)], lang).format(amount=f"{amount:g}")


def settlement_text(settlement: str, lang: str = "zh") -> str:
    return tr(SETTLEMENT_TEXT[Settlement(settlement)], lang)


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    title: str
    summary: str
    body: str
    category: str = ""
    title_en: str = ""
    summary_en: str = ""
    body_en: str = ""
    updated_at: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Policy:
        values = {k: str(d.get(k) or "") for k in cls.__dataclass_fields__}
        values["id"] = str(d["id"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    name: str
    lat: float
    lng: float
    address: str = ""
    name_en: str = ""
    county: str = ""

    def display_name(self, lang: str = "zh") -> str:
        """The name in lang: the English name for any language but Chinese, when there is one."""
        return self.name_en if lang != DATA_LANGUAGE and self.name_en else self.name
