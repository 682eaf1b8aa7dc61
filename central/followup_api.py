"""The /v1 follow-up API (issue 12): the county's applications inbox, reveal (logged),
outcomes, the access log, and the two station calls of "my registrations" (lookup, withdraw).
Logic in central.followup; contract in central/README.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from central import followup, idcards, retention, services
from central.api import _ERRORS, CountyCode, Db, StationId, staff_may, station_only
from central.auth import Principal
from central.models import County, Station
from central.schemas import Problem
from central.text import has_bad_characters

router = APIRouter(prefix="/v1", responses=_ERRORS, tags=["follow-up"])
AppId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Inbox = Annotated[Principal, Depends(staff_may("view_applications"))]
Revealer = Annotated[Principal, Depends(staff_may("reveal_contact"))]
Auditor = Annotated[Principal, Depends(staff_may("audit_access"))]
Station_ = Annotated[Principal, Depends(station_only("looks up a seeker's registrations"))]
_409 = {409: {"model": Problem, "description": "not allowed from the current status"}}
_410 = {410: {"model": Problem, "description": "the personal data has been erased"}}


class Masked(BaseModel):
    name: str
    phone: str
    id_number: str


class ApplicationItem(BaseModel):
    id: str
    job_id: str
    job_title: str
    station_id: str
    station_name: str
    created_at: str
    status: str
    status_at: str | None
    status_by: str | None
    attempts: int
    referred: bool
    erased: bool
    seeker: Masked | None = Field(description="masked; null once erased")


class InboxPage(BaseModel):
    applications: list[ApplicationItem]
    counts: dict[str, int] = Field(description="per status, under every filter but status")
    total: int
    limit: int
    offset: int


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["follow_up", "referral", "seeker_request", "data_check"]


class Contact(BaseModel):
    id: str
    name: str
    phone: str
    id_number: str = Field(description="masked")
    reason: str


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["contacted", "no_answer", "hired", "not_hired", "withdrawn", "referred"]
    note: str = Field("", max_length=500)

    @field_validator("note")
    @classmethod
    def _note(cls, v: str) -> str:
        if has_bad_characters(v.replace("\n", " ")):
            raise ValueError("control characters are not allowed")
        return v.strip()


class Outcome(BaseModel):
    id: str
    status: str
    attempts: int
    referred: bool
    erased: bool


class AccessEntry(BaseModel):
    at: str
    by: str
    application_id: str | None = Field(description="null for a match's seeker (match_id)")
    match_id: str | None = None
    reason: str
    action: str


class AccessLogPage(BaseModel):
    entries: list[AccessEntry]
    limit: int
    offset: int


class IdNumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(pattern=idcards.ANY_PATTERN, description="any of the four cards' numbers")

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, v: str) -> str:
        return idcards.validate_any(v)


class WithdrawIn(IdNumberIn):
    station_id: str = Field(max_length=64)


class MyApplication(BaseModel):
    id: str
    job_id: str
    job_title: str
    created_at: str
    status: Literal["new", "contacted", "no_answer", "hired", "not_hired"]
    job_open: bool


class MyApplications(BaseModel):
    applications: list[MyApplication]


class Withdrawn(BaseModel):
    id: str
    status: Literal["withdrawn"]


def _cipher(request: Request):  # noqa: ANN202 - DataCipher
    return request.app.state.cipher


@router.get("/counties/{code}/applications", response_model=InboxPage)
def list_applications(
    code: CountyCode, request: Request, s: Db, who: Inbox,
    status: Annotated[Literal["new", "contacted", "no_answer", "hired", "not_hired", "withdrawn"] | None,
                      Query()] = None,
    station_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None,
    job_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None,
    day: Annotated[date | None, Query(description="a Chinese calendar day (UTC+8)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    county = services.in_county(s, County, code, who.county)
    f = followup.Filters(status=status, station_id=station_id, job_id=job_id, day=day)
    return JSONResponse(followup.inbox(s, _cipher(request), county.code, f, limit, offset))


@router.post("/applications/{app_id}/reveal", response_model=Contact, responses=_410)
def reveal_contact(app_id: AppId, body: RevealIn, request: Request, s: Db, who: Revealer) -> Response:
    app = followup.get(s, app_id, who.county)
    contact = followup.reveal(s, _cipher(request), app, who.username or "", body.reason)
    s.commit()
    return JSONResponse(contact, headers={"Cache-Control": "no-store"})


@router.post("/applications/{app_id}/outcome", response_model=Outcome, responses=_409)
def record_outcome(app_id: AppId, body: OutcomeIn, request: Request, s: Db, who: Inbox) -> Response:
    app = followup.get(s, app_id, who.county)
    followup.set_outcome(s, app, body.status, body.note, who.username or "")
    s.commit()
    if body.status == "withdrawn":
        retention.scrub(request.app.state.engine)
    return JSONResponse({"id": app.id, "status": app.status, "attempts": app.attempts,
                         "referred": app.referred_at is not None, "erased": app.erased_at is not None})


@router.get("/counties/{code}/access-log", response_model=AccessLogPage)
def get_access_log(
    code: CountyCode, s: Db, who: Auditor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    county = services.in_county(s, County, code, who.county)
    return {"entries": followup.access_log(s, county.code, limit, offset), "limit": limit, "offset": offset}


def _own_station(s: Db, who: Principal, station_id: str) -> Station:
    """Unknown (or another county's) station → 404; a sibling station's → 403."""
    station = services.in_county(s, Station, station_id, who.county)
    if who.station_id != station.id:
        raise HTTPException(403, "a station token acts only for its own station")
    return station


@router.post("/stations/{station_id}/my-applications", response_model=MyApplications)
def my_applications(station_id: StationId, body: IdNumberIn, request: Request, s: Db,
                    who: Station_) -> Response:
    station = _own_station(s, who, station_id)
    rows = followup.my_applications(s, _cipher(request), station.county, body.id_number)
    return JSONResponse({"applications": rows}, headers={"Cache-Control": "no-store"})


@router.post("/applications/{app_id}/withdraw", response_model=Withdrawn)
def withdraw(
    app_id: AppId, body: WithdrawIn, request: Request, s: Db,
    who: Annotated[Principal, Depends(station_only("withdraws a registration"))],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                      pattern=r"^[!-~]+$")],
) -> Response:
    station = _own_station(s, who, body.station_id)
    out = followup.withdraw(s, _cipher(request), app_id, station.county, body.id_number, station.id)
    s.commit()
    retention.scrub(request.app.state.engine)  # the old ciphertext leaves the WAL too, now
    return JSONResponse(out)

