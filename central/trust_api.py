"""The /v1 trust API (issue 16): a station's "report this job", and the county's review queue.
Logic in central.trust; contract in central/README.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from central import services, trust
from central.api import _ERRORS, CountyCode, Db, staff_may, station_only
from central.auth import Principal
from central.models import County, Station
from central.schemas import Problem
from central.security import canonical_json

router = APIRouter(prefix="/v1", responses=_ERRORS, tags=["trust"])
ReportId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Reviewer = Annotated[Principal, Depends(staff_may("review_reports"))]
Reporter = Annotated[Principal, Depends(station_only("reports jobs"))]
Reason = Literal["fee", "false_info", "unpaid_wages", "other"]


class JobReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station_id: str = Field(max_length=64)
    job_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    reason: Reason
    visit: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$",
                       description="a random id per kiosk visit: reports from one visit count once")
    at: AwareDatetime


class JobReportOut(BaseModel):
    id: str
    job_id: str
    status: Literal["received"]
    created_at: str


class ReportGroup(BaseModel):
    job_id: str
    job_title: str
    employer: str
    job_status: Literal["open", "closed", "review"]
    report_id: str = Field(description="one of the job's reports: resolve it to decide them all")
    reports: int
    visits: int = Field(description="different kiosk visits among the reports")
    reasons: dict[str, int]
    first_at: str
    last_at: str


class ReportQueue(BaseModel):
    jobs: list[ReportGroup]
    threshold: int = Field(description="reports from this many different visits hide a job")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["uphold", "dismiss"]


class Resolved(BaseModel):
    job_id: str
    job_status: Literal["open", "closed", "review"]
    resolved: int
    decision: Literal["uphold", "dismiss"]


@router.post(
    "/job-reports", status_code=201, response_model=JobReportOut,
    responses={409: {"model": Problem, "description": "Idempotency-Key reused with another body"}},
)
def post_job_report(
    body: JobReportIn, request: Request, s: Db, who: Reporter,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                      pattern=r"^[!-~]+$")],
) -> Response:
    station = services.in_county(s, Station, body.station_id, who.county)
    if who.station_id != station.id:
        raise HTTPException(403, "a station token acts only for its own station")
    cipher = request.app.state.cipher
    digest = cipher.keyed_hash("job-report", canonical_json(body.model_dump(mode="json")))
    at: datetime = body.at
    for attempt in range(2):
        try:
            response, _ = trust.report(s, station, idempotency_key, digest, body.job_id, body.reason,
                                       body.visit, at)
            s.commit()
            break
        except IntegrityError:  # the same key raced in: the second pass replays it
            s.rollback()
            if attempt:
                raise
    return Response(response.encode("utf-8"), status_code=201, media_type="application/json")


@router.get("/counties/{code}/job-reports", response_model=ReportQueue)
def list_job_reports(
    code: CountyCode, s: Db, who: Reviewer,
    status: Annotated[Literal["open", "upheld", "dismissed"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    county = services.in_county(s, County, code, who.county)
    return JSONResponse({"jobs": trust.queue(s, county.code, status, limit),
                         "threshold": trust.threshold(s, county.code)})


@router.post("/job-reports/{report_id}/resolve", response_model=Resolved)
def resolve_job_report(report_id: ReportId, body: ResolveIn, s: Db, who: Reviewer) -> Response:
    row = trust.get_report(s, who.county, report_id)
    out = trust.resolve(s, who.county, row.job_id, body.decision, who.username or "")
    s.commit()
    return JSONResponse(out)
