"""The /v1 JSON API (the contract in central/README.md)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import pins, services, station_config
from central.auth import Principal, unauthorized
from central.models import County, Job, Station
from central.roles import Action, may
from central.schemas import (
    ApplicationIn,
    ApplicationOut,
    ConfigDocument,
    ConfigPut,
    CountyConfig,
    Heartbeat,
    HeartbeatAck,
    JobIn,
    JobsDelta,
    PoliciesDelta,
    PolicyIn,
    Problem,
    PublicKey,
    StationHealth,
)
from central.schemas import (
    Job as JobOut,
)
from central.schemas import (
    Policy as PolicyOut,
)

_bearer = HTTPBearer(auto_error=False, description="station or staff token")
_ERRORS = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "not this principal's resource"},
    404: {"model": Problem, "description": "unknown, or outside the caller's county"},
}
# Path ids are matched against the database: no control characters (PostgreSQL refuses NUL
# with an error, not a miss), so a malformed id is a 422 on every backend.
_NAME = r"^[^\x00-\x1f\x7f-\x9f]+$"
_ID = r"^[A-Za-z0-9._-]{1,64}$"  # job and policy ids, as JobIn.id
StationId = Annotated[str, Path(max_length=64, pattern=_NAME)]
CountyCode = Annotated[str, Path(max_length=16, pattern=_NAME)]
ItemId = Annotated[str, Path(pattern=_ID)]
router = APIRouter(prefix="/v1", responses=_ERRORS)
T = TypeVar("T")


def db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise unauthorized()
    # Cached almost always, answered inline; a miss queries the database, so off the event loop.
    tokens = request.app.state.tokens
    hit, found = tokens.cached(creds.credentials)
    if not hit:
        found = await run_in_threadpool(tokens.lookup, creds.credentials)
    if found is None or found.expired():  # expiry is checked here too: the cache keeps 60 s
        raise unauthorized()
    return found


async def in_db_thread(request: Request, work: Callable[[], T]) -> T:
    """Runs `work` (which opens its own session) in the app's small database thread pool."""
    return await asyncio.get_running_loop().run_in_executor(request.app.state.db_threads, work)


Who = Annotated[Principal, Depends(principal)]
Db = Annotated[Session, Depends(db)]


def _station(s: Session, who: Principal, station_id: str, staff: bool = True, own: bool = True,
             action: Action = "view_stations") -> Station:
    """The station if `who` may act on it: its own token, or staff of its county whose role
    allows `action`."""
    if who.kind == "station":
        if not own or who.station_id != station_id:
            raise HTTPException(403, "a station token acts only for its own station")
    elif not staff:
        raise HTTPException(403, "staff may not call this endpoint")
    else:
        _staff(who, action)
    station = s.get(Station, station_id)
    if station is None or (who.kind == "staff" and station.county != who.county):
        raise HTTPException(404, "no such station in your county")
    return station


def _staff(who: Principal, action: Action) -> None:
    if who.kind != "staff":
        raise HTTPException(403, "staff only")
    if not may(who.role or "", action):
        raise HTTPException(403, f"your role ({who.role}) may not {action.replace('_', ' ')}")


def _county(s: Session, who: Principal, code: str, action: Action = "view_stations") -> County:
    _staff(who, action)
    county = s.get(County, code)
    if county is None or county.code != who.county:
        raise HTTPException(404, "no such county for you")
    return county


@router.get("/stations/{station_id}/jobs", response_model=JobsDelta)
def get_jobs(
    station_id: StationId, s: Db, who: Who,
    since: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    station = _station(s, who, station_id)
    radius = services.effective_config(s, station)["radius_km"]
    d = services.jobs_delta(s, station, radius, since, limit)
    return JSONResponse({"jobs": d.items, "deleted": d.deleted, "cursor": d.cursor,
                         "has_more": d.has_more, "reset": d.reset})


@router.get("/policies", response_model=PoliciesDelta)
def get_policies(
    s: Db, who: Who,
    since: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    d = services.policies_delta(s, who.county, since, limit)
    return JSONResponse({"policies": d.items, "deleted": d.deleted, "cursor": d.cursor,
                         "has_more": d.has_more, "reset": d.reset})


@router.get(
    "/stations/{station_id}/config", response_model=ConfigDocument,
    responses={304: {"description": "If-None-Match matched the current ETag"}},
)
async def get_config(
    station_id: StationId, request: Request, who: Who,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    def work() -> Response:  # in a thread: a query waiting for a lock must not stall the loop
        with request.app.state.sessions() as s:
            station = _station(s, who, station_id)
            etag = services.config_etag(station.id, station.config_version)
            headers = {"ETag": etag, "Cache-Control": "no-cache"}
            if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
                return Response(status_code=304, headers=headers)
            document, resigned = services.fresh_config_document(s, request.app.state.keyring, station)
            if resigned:  # too old to serve: the same config, signed again as a new version
                s.commit()
                headers["ETag"] = services.config_etag(station.id, station.config_version)
        return Response(document.encode("utf-8"), media_type="application/json", headers=headers)

    return await in_db_thread(request, work)


def _pin_refused(errors: dict[str, str]) -> HTTPException:
    """422 in FastAPI's validation shape, so clients parse it like any other field error."""
    return HTTPException(422, [{"type": "value_error", "loc": ["body", "config", field], "msg": msg}
                               for field, msg in errors.items()])


@router.put("/stations/{station_id}/config", response_model=ConfigDocument)
def put_config(station_id: StationId, body: ConfigPut, request: Request, s: Db, who: Who) -> Response:
    station = _station(s, who, station_id, own=False, action="edit_config")
    if errors := pins.station_errors(s, station, body.config.overrides()):
        raise _pin_refused(errors)
    row = services.set_station_config(
        s, request.app.state.keyring, station, body.config.overrides(), by=who.username or ""
    )
    s.commit()
    headers = {"ETag": services.config_etag(station.id, row.version)}
    return Response(row.document.encode("utf-8"), media_type="application/json", headers=headers)


@router.get("/counties/{code}/config", response_model=CountyConfig)
def get_county_config(code: CountyCode, s: Db, who: Who) -> dict:
    county = _county(s, who, code)
    return {
        "county": county.code, "version": county.config_version, "config": county.config or {},
        "effective": station_config.effective(county.config or {}, {}),
    }


@router.put("/counties/{code}/config", response_model=CountyConfig)
def put_county_config(
    code: CountyCode, body: ConfigPut, request: Request, s: Db, who: Who
) -> dict:
    county = _county(s, who, code, "edit_config")
    if errors := station_config.county_errors(body.config.overrides()):
        raise _pin_refused(errors)
    services.set_county_config(s, request.app.state.keyring, county, body.config.overrides(), who.username or "")
    s.commit()
    return get_county_config(code, s, who)


@router.get("/counties/{code}/public-key", response_model=PublicKey)
def get_public_key(code: CountyCode, s: Db, who: Who) -> dict:
    # Public keys are not secret; any authenticated caller may read any county's key.
    county = s.get(County, code)
    if county is None:
        raise HTTPException(404, "no such county")
    return {"county": county.code, "algorithm": "Ed25519", "key_id": county.key_id,
            "public_key": base64.b64encode(county.public_key).decode("ascii")}


@router.get("/schema/station-config", responses={200: {"description": "JSON Schema"}})
def get_config_schema() -> dict:
    return station_config.json_schema()


@router.post(
    "/applications", status_code=201, response_model=ApplicationOut,
    responses={409: {"model": Problem, "description": "Idempotency-Key reused with another body"},
               410: {"model": Problem, "description": "the job is closed"},
               429: {"model": Problem, "description": "too many applications from this station; "
                                                      "see Retry-After"}},
)
def post_application(
    body: ApplicationIn, request: Request, s: Db, who: Who,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                      pattern=r"^[!-~]+$")],
) -> Response:
    if who.kind != "station":
        raise HTTPException(403, "only a station submits applications")
    station = _station(s, who, body.station_id, staff=False)
    radius = services.effective_config(s, station)["radius_km"]
    cipher = request.app.state.cipher
    try:
        for attempt in range(2):
            try:
                response, _ = services.create_application(s, cipher, station, idempotency_key, body, radius)
                s.commit()
                break
            except IntegrityError:
                # A concurrent request with the same key (or the same person and job) won the
                # race: the second pass finds its row and replays or refuses like a repeat.
                s.rollback()
                if attempt:
                    raise
    except services.Conflict:
        raise HTTPException(409, "Idempotency-Key already used with a different request") from None
    except services.NotFound:
        raise HTTPException(404, "no such job") from None
    except services.Gone:
        raise HTTPException(410, "the job is closed") from None
    except services.RateLimited as exc:
        raise HTTPException(429, "too many applications from this station, retry later",
                            headers={"Retry-After": str(exc.retry_after_s)}) from None
    return Response(response.encode("utf-8"), status_code=201, media_type="application/json")


@router.post("/stations/{station_id}/heartbeats", response_model=HeartbeatAck)
async def post_heartbeat(station_id: StationId, body: Heartbeat, request: Request, who: Who) -> Response:
    if who.kind != "station":
        raise HTTPException(403, "only a station sends heartbeats")
    if who.station_id != station_id:
        raise HTTPException(403, "a station token acts only for its own station")

    def work() -> tuple[datetime, int]:  # in a thread, like get_config
        with request.app.state.sessions() as s:
            at, version = services.record_heartbeat(s, station_id, body)
            s.commit()
        return at, version

    at, version = await in_db_thread(request, work)
    return JSONResponse({"received_at": services.iso(at), "config_version": version})


@router.get("/stations", response_model=list[StationHealth])
def list_stations(s: Db, who: Who) -> Response:
    _staff(who, "view_stations")
    rows = s.scalars(select(Station).where(Station.county == who.county).order_by(Station.id)).all()
    at = services.now()
    return JSONResponse([services.health(r, at) for r in rows])


def _job(s: Session, who: Principal, job_id: str) -> Job:
    _staff(who, "edit_jobs")
    job = s.get(Job, job_id)
    if job is None or job.county != who.county:
        raise HTTPException(404, "no such job in your county")
    return job


def _bad_id(exc: services.BadId, where: list[str]) -> HTTPException:
    # The shape of FastAPI's own 422, so clients read one format.
    return HTTPException(422, [{"type": "value_error", "loc": where, "msg": str(exc)}])


@router.post("/jobs", status_code=201, response_model=JobOut,
             responses={409: {"model": Problem, "description": "id already taken (in your county's "
                                                             "id namespace)"}})
def create_job(body: JobIn, s: Db, who: Who) -> Response:
    _staff(who, "edit_jobs")
    try:
        job_id = services.claim_id(s, Job, s.get(County, who.county), body.id)
        job = services.save_job(s, who.county, body, job_id)
        s.commit()
    except services.BadId as exc:
        raise _bad_id(exc, ["body", "id"]) from None
    except (services.Taken, IntegrityError):
        raise HTTPException(409, "a job with this id exists") from None
    return JSONResponse(services.job_dict(job), status_code=201)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: ItemId, s: Db, who: Who) -> Response:
    return JSONResponse(services.job_dict(_job(s, who, job_id)))


@router.put("/jobs/{job_id}", response_model=JobOut)
def replace_job(job_id: ItemId, body: JobIn, s: Db, who: Who) -> Response:
    job = _job(s, who, job_id)
    job = services.save_job(s, who.county, body, job.id)
    s.commit()
    return JSONResponse(services.job_dict(job))


@router.post("/jobs/{job_id}/close", response_model=JobOut)
def close_job(job_id: ItemId, s: Db, who: Who) -> Response:
    job = services.close_job(s, _job(s, who, job_id))
    s.commit()
    return JSONResponse(services.job_dict(job))


@router.put("/policies/{policy_id}", response_model=PolicyOut,
            responses={409: {"model": Problem, "description": "id taken inside your county's id "
                                                            "namespace by a policy you cannot edit"}})
def put_policy(
    policy_id: ItemId, body: PolicyIn, s: Db, who: Who
) -> Response:
    _staff(who, "edit_policies")
    try:
        policy = services.save_policy(s, who.county, policy_id, body)
        s.commit()
    except services.ForeignId:
        raise HTTPException(404, "no such policy in your county") from None
    except services.BadId as exc:
        raise _bad_id(exc, ["path", "policy_id"]) from None
    except (services.Taken, IntegrityError):
        raise HTTPException(409, "this id is used by a policy you cannot edit") from None
    return JSONResponse(services.policy_dict(policy))


