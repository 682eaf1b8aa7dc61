"""Wire models of the standing registration API (issue 16; contract in central/README.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from central import idcards
from central.schemas import Consent, PayUnit, Seeker
from central.text import Text

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Crockford base32 (no I, L, O, U), as the kiosk's outbox makes references: "K7QD-3M9X".
REFERENCE = r"^[0-9A-HJKMNP-TV-Z]{4,8}(-[0-9A-HJKMNP-TV-Z]{4,8})?$"


class Reach(BaseModel):
    """How far the seeker will go: straight-line km from the station, or walking minutes
    (the 15-minute model of central.matching)."""

    model_config = ConfigDict(extra="forbid")
    km: Literal[1, 3, 5, 10] | None = None
    minutes: Literal[15] | None = None

    @model_validator(mode="after")
    def _one(self) -> Reach:
        if (self.km is None) == (self.minutes is None):
            raise ValueError("give exactly one of km or minutes")
        return self


class MinPay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float = Field(ge=0, le=1_000_000)
    unit: PayUnit


class Wants(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[Text] = Field(default_factory=list, max_length=20,
                                   description="[] = any category")
    reach: Reach
    days: list[Day] = Field(default_factory=list, max_length=7, description="[] = any day")
    settlement: Literal["daily", "weekly", "any"] = "any"
    min_pay: MinPay | None = None

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        out = []
        for c in (c.strip() for c in v):
            if not c or len(c) > 64:
                raise ValueError("a category is 1 to 64 characters")
            if c not in out:
                out.append(c)
        return out

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        return [d for d in DAYS if d in v]  # week order, no repeats


class RegistrationConsent(Consent):
    days: int = Field(30, ge=1, le=90, description="how long the registration stays open")
    sms: bool = Field(False, description="the seeker agreed to be told of matches by SMS")


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station_id: Text = Field(min_length=1, max_length=64)
    reference: str = Field(pattern=REFERENCE, description="made by the kiosk, printed on the slip")
    lang: str = Field("zh", pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    seeker: Seeker
    wants: Wants
    consent: RegistrationConsent

    @model_validator(mode="after")
    def _birth_date(self) -> RegistrationIn:
        if self.seeker.birth_date is None:  # only the 2017 foreign card does not carry it
            raise ValueError("seeker.birth_date is required for this card type")
        return self


class RegistrationOut(BaseModel):
    id: str
    reference: str
    status: Literal["open"]
    expires_at: datetime
    renewed: bool


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station_id: Text = Field(min_length=1, max_length=64)
    id_number: str = Field(pattern=idcards.ANY_PATTERN, description="any of the four cards' numbers")

    @field_validator("id_number")
    @classmethod
    def _number(cls, v: str) -> str:
        return idcards.validate_any(v)


class MyRegistration(BaseModel):
    id: str
    reference: str
    status: Literal["open", "ended", "expired"]
    wants: Wants
    sms: bool
    created_at: datetime
    expires_at: datetime


class MyRegistrations(BaseModel):
    registrations: list[MyRegistration] = Field(description="newest first; at most one open")


class Ended(BaseModel):
    id: str
    status: Literal["ended"]
