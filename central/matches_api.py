"""The staff's match list API (issue 16): ranked matches of the county, outcomes (the
follow-up workflow), reveal (logged). Logic in central.matches; contract in central/README.md."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from central import matches, services
from central.api import _ERRORS, CountyCode, Db, _invalid, staff_may
from central.auth import Principal
from central.followup_api import Contact, OutcomeIn, RevealIn
from central.models import County
from central.schemas import Problem

router = APIRouter(prefix="/v1", responses=_ERRORS, tags=["matches"])
MatchId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Inbox = Annotated[Principal, Depends(staff_may("view_applications"))]
Revealer = Annotated[Principal, Depends(staff_may("reveal_contact"))]
Status = Literal["new", "contacted", "no_answer", "hired", "not_hired", "withdrawn"]
_ITEM = r"^[A-Za-z0-9._-]+$"


class MaskedSeeker(BaseModel):
    name: str
    phone: str


class MatchItem(BaseModel):
    id: str
    job_id: str
    job_title: str
    registration_id: str
    station_id: str = Field(description="the registration's station")
    seeker: MaskedSeeker | None = Field(description="masked; null once erased")
    distance_km: float = Field(description="straight line from the registration's station")
    walk_minutes: int
    score: float = Field(description="0..100, central.matching: closer, better fit, older registration")
    registration_age_days: int
    status: Status
    attempts: int
    referred: bool
    sms_state: str = Field(description="none | pending | sent | held | refused | failed")
    created_at: str


class MatchPage(BaseModel):
    matches: list[MatchItem] = Field(description="best score first")
    counts: dict[str, int] = Field(description="per status, under every filter but status")
    cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class MatchOutcome(BaseModel):
    id: str
    status: Status
    attempts: int
    referred: bool


def _cipher(request: Request):  # noqa: ANN202 - DataCipher
    return request.app.state.cipher


@router.get("/counties/{code}/matches", response_model=MatchPage)
def list_matches(
    code: CountyCode, request: Request, s: Db, who: Inbox,
    status: Annotated[Status | None, Query()] = None,
    station: Annotated[str | None, Query(max_length=64, pattern=_ITEM)] = None,
    job: Annotated[str | None, Query(max_length=64, pattern=_ITEM)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    county = services.in_county(s, County, code, who.county)
    f = matches.Filters(status=status, station_id=station, job_id=job)
    try:
        page = matches.listing(s, _cipher(request), county.code, f, limit, cursor)
    except ValueError:
        raise _invalid(("query", "cursor"), "invalid cursor") from None
    return JSONResponse(page)


@router.post("/matches/{match_id}/reveal", response_model=Contact,
             responses={410: {"model": Problem, "description": "the personal data has been erased"}})
def reveal_match(match_id: MatchId, body: RevealIn, request: Request, s: Db, who: Revealer) -> Response:
    m = matches.get(s, match_id, who.county)
    contact = matches.reveal(s, _cipher(request), m, who.username or "", body.reason)
    s.commit()
    return JSONResponse(contact, headers={"Cache-Control": "no-store"})


@router.post("/matches/{match_id}/outcome", response_model=MatchOutcome,
             responses={409: {"model": Problem, "description": "not allowed from the current status"}})
def match_outcome(match_id: MatchId, body: OutcomeIn, s: Db, who: Inbox) -> Response:
    m = matches.get(s, match_id, who.county)
    matches.set_outcome(s, m, body.status, body.note, who.username or "")
    s.commit()
    return JSONResponse({"id": m.id, "status": m.status, "attempts": m.attempts,
                         "referred": m.referred_at is not None})
