"""Plain data shared by the store, search, receipts, devices and the API client.

Field names follow the central API's wire contract (see central/ and DESIGN.md) so a job
travels from JSON to the store to the screen without renaming.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


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


# Display names, Chinese first. Kept here (not in screens/) because receipts print them too.
PAY_UNIT_ZH: dict[str, str] = {PayUnit.HOUR: "时", PayUnit.DAY: "天", PayUnit.PIECE: "件", PayUnit.ORDER: "单"}
PAY_UNIT_EN: dict[str, str] = {PayUnit.HOUR: "hour", PayUnit.DAY: "day", PayUnit.PIECE: "piece", PayUnit.ORDER: "order"}
SETTLEMENT_ZH: dict[str, str] = {Settlement.DAILY: "日结", Settlement.WEEKLY: "周结", Settlement.ON_COMPLETION: "完工结"}
SETTLEMENT_EN: dict[str, str] = {
    Settlement.DAILY: "paid daily",
    Settlement.WEEKLY: "paid weekly",
    Settlement.ON_COMPLETION: "paid on completion",
}
CATEGORIES_ZH_EN = {
    "保洁": "Cleaning",
    "搬运": "Moving & loading",
    "家政": "Housekeeping",
    "餐饮": "Catering",
    "安保": "Security",
    "建筑装修": "Construction",
    "快递配送": "Delivery",
    "促销": "Promotion",
    "农业采摘": "Farm picking",
    "仓储分拣": "Warehouse sorting",
    "养老护理": "Elderly care",
}


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
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("start_date", "end_date", "valid_through"):
            d[k] = d[k].isoformat() if d[k] else None
        d["pay_unit"] = self.pay_unit.value
        d["settlement"] = self.settlement.value
        d["status"] = self.status.value
        return d

    def pay_text(self, lang: str = "zh") -> str:
        return pay_text(self.pay_amount, self.pay_unit, lang)

    def settlement_text(self, lang: str = "zh") -> str:
        return settlement_text(self.settlement, lang)


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


def pay_text(amount: float, unit: str, lang: str = "zh") -> str:
    """'180元/天' or '¥180/day'."""
    if lang == "zh":
        return f"{amount:g}元/{PAY_UNIT_ZH[unit]}"
    return f"¥{amount:g}/{PAY_UNIT_EN[unit]}"


def settlement_text(settlement: str, lang: str = "zh") -> str:
    return (SETTLEMENT_ZH if lang == "zh" else SETTLEMENT_EN)[settlement]


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
