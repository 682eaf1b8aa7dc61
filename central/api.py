"""The /v1 JSON API (the contract in central/README.md)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal, TypeVar

import orjson
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from central import alerts, commands, fleet, pins, services, station_config, stats
from central.auth import Principal, unauthorized
from central.models import Alert, County, Job, Station, StationCommand
from central.roles import Action, may
from central.schemas import (
    AlertOut,
    ApplicationIn,
    ApplicationOut,
    CommandOut,
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
    StatsAck,
    StatsPut,
    StatsReport,
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


def _staff(who: Principal, action: Action) -> None:
    if who.kind != "staff":
        raise HTTPException(403, "staff only")
    if not may(who.role or "", action):
        raise HTTPException(403, f"your role ({who.role}) may not {action.replace('_', ' ')}")


def _own(who: Principal, station_id: str) -> None:
    if who.kind == "station" and who.station_id != station_id:
        raise HTTPException(403, "a station token acts only for its own station")


# The dependencies below only look at the principal: async, so FastAPI runs them inline
# rather than with a thread-pool hop each (bench_scale: CPU per request).
def staff_may(action: Action) -> Callable[[Principal], Principal]:
    """Dependency: the caller, if staff whose role allows `action` (central.roles), else 403."""
    async def check(who: Who) -> Principal:
        _staff(who, action)
        return who
    return check


def station_only(doing: str) -> Callable[[Principal], Principal]:
    """Dependency: the caller, if a station token, else 403 "only a station `doing`"."""
    async def check(who: Who) -> Principal:
        if who.kind != "station":
            raise HTTPException(403, f"only a station {doing}")
        return who
    return check


async def station_reader(station_id: StationId, who: Who) -> Principal:
    """Dependency: the station's own token, or staff allowed to view stations."""
    if who.kind == "station":
        _own(who, station_id)
    else:
        _staff(who, "view_stations")
    return who


Viewer = Annotated[Principal, Depends(staff_may("view_stations"))]
ConfigEditor = Annotated[Principal, Depends(staff_may("edit_config"))]
JobEditor = Annotated[Principal, Depends(staff_may("edit_jobs"))]
PolicyEditor = Annotated[Principal, Depends(staff_may("edit_policies"))]
StationReader = Annotated[Principal, Depends(station_reader)]


def jobs_reply(state: State, station_id: str, county: str, since: str | None, limit: int) -> Response:
    """GET .../jobs once authorised, in a database thread (here and central.station_fast)."""
    # One statement for the station and the jobs change sequence (central.fleet); the
    # steady-state poll (nothing new since the cursor) queries nothing else.
    station = fleet.jobs_poll(state.reader, station_id, county)
    with state.sessions() as s:  # used only when there is a page to read
        radius = services.effective_config(s, station)["radius_km"]
        d = services.jobs_delta(s, station, radius, since, limit, high=station.high)
    # orjson: a 1,000-job page in a seventh of the stdlib encoder's time (first syncs)
    return Response(orjson.dumps({"jobs": d.items, "deleted": d.deleted, "cursor": d.cursor,
                                  "has_more": d.has_more, "reset": d.reset}),
                    media_type="application/json")


@router.get("/stations/{station_id}/jobs", response_model=JobsDelta)
async def get_jobs(
    station_id: StationId, request: Request, who: StationReader,
    since: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    # One hop to the database threads (the fleet polls this often).
    return await in_db_thread(request, lambda: jobs_reply(request.app.state, station_id, who.county, since, limit))


@router.get("/policies", response_model=PoliciesDelta)
def get_policies(
    s: Db, who: Who,
    since: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    d = services.policies_delta(s, who.county, since, limit)
    return JSONResponse({"policies": d.items, "deleted": d.deleted, "cursor": d.cursor,
                         "has_more": d.has_more, "reset": d.reset})


def config_reply(state: State, station_id: str, county: str, if_none_match: str | None) -> Response:
    """GET .../config once authorised, in a database thread (here and central.station_fast):
    a query waiting for a lock must not stall the event loop."""
    # The poll's usual answer, 304, costs one statement for the version (central.fleet).
    version = fleet.config_version(state.reader, station_id, county)
    etag = services.config_etag(station_id, version)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    # Otherwise one more statement for the document, unless it is due to be signed again.
    row = fleet.config_document(state.reader, station_id, county)
    if services.config_is_fresh(row.created_at):
        headers["ETag"] = services.config_etag(station_id, row.config_version)
        return Response(row.document.encode("utf-8"), media_type="application/json", headers=headers)
    with state.sessions() as s:
        station = services.in_county(s, Station, station_id, county)
        headers["ETag"] = services.config_etag(station.id, station.config_version)
        document, resigned = services.fresh_config_document(s, state.keyring, station)
        if resigned:  # too old to serve: the same config, signed again as a new version
            s.commit()
            headers["ETag"] = services.config_etag(station.id, station.config_version)
    return Response(document.encode("utf-8"), media_type="application/json", headers=headers)


@router.get(
    "/stations/{station_id}/config", response_model=ConfigDocument,
    responses={304: {"description": "If-None-Match matched the current ETag"}},
)
async def get_config(
    station_id: StationId, request: Request, who: StationReader,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    return await in_db_thread(request, lambda: config_reply(request.app.state, station_id, who.county,
                                                            if_none_match))


def _pin_refused(errors: dict[str, str]) -> HTTPException:
    """422 in FastAPI's validation shape, so clients parse it like any other field error."""
    return HTTPException(422, [{"type": "value_error", "loc": ["body", "config", field], "msg": msg}
                               for field, msg in errors.items()])


@router.put("/stations/{station_id}/config", response_model=ConfigDocument)
def put_config(station_id: StationId, body: ConfigPut, request: Request, s: Db, who: ConfigEditor) -> Response:
    station = services.in_county(s, Station, station_id, who.county)
    if errors := pins.station_errors(s, station, body.config.overrides()):
        raise _pin_refused(errors)
    row = services.set_station_config(
        s, request.app.state.keyring, station, body.config.overrides(), by=who.username or ""
    )
    s.commit()
    headers = {"ETag": services.config_etag(station.id, row.version)}
    return Response(row.document.encode("utf-8"), media_type="application/json", headers=headers)


@router.get("/counties/{code}/config", response_model=CountyConfig)
def get_county_config(code: CountyCode, s: Db, who: Viewer) -> dict:
    county = services.in_county(s, County, code, who.county)
    return {
        "county": county.code, "version": county.config_version, "config": county.config or {},
        "effective": station_config.effective(county.config or {}, {}),
    }


@router.put("/counties/{code}/config", response_model=CountyConfig)
def put_county_config(
    code: CountyCode, body: ConfigPut, request: Request, s: Db, who: ConfigEditor
) -> dict:
    county = services.in_county(s, County, code, who.county)
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
    body: ApplicationIn, request: Request, s: Db,
    who: Annotated[Principal, Depends(station_only("submits applications"))],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                      pattern=r"^[!-~]+$")],
) -> Response:
    _own(who, body.station_id)
    station = services.in_county(s, Station, body.station_id, who.county)
    radius = services.effective_config(s, station)["radius_km"]
    cipher = request.app.state.cipher
    for attempt in range(2):  # refusals (409, 404, 410, 429) are services' errors: see app.py
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
    return Response(response.encode("utf-8"), status_code=201, media_type="application/json")


def heartbeat_reply(state: State, station_id: str, body: Heartbeat) -> JSONResponse:
    """POST .../heartbeats once authorised, in a database thread (here and central.station_fast)."""
    # One statement stores it and says whether commands or alerts need a query (rarely).
    at, version, pending, open_alerts = fleet.record_heartbeat(state.reader, station_id, body)
    sent: list[dict] = []
    mine: list[dict] = []
    if pending or open_alerts:
        with state.sessions() as s:
            if pending:
                sent = commands.take_pending(s, station_id, at)
                s.commit()
            if open_alerts:
                mine = alerts.station_open_alerts(s, station_id)
    return JSONResponse({"received_at": services.iso(at), "config_version": version,
                         "alerts": mine, "commands": sent})


@router.post("/stations/{station_id}/heartbeats", response_model=HeartbeatAck)
async def post_heartbeat(
    station_id: StationId, body: Heartbeat, request: Request,
    who: Annotated[Principal, Depends(station_only("sends heartbeats"))],
) -> Response:
    _own(who, station_id)
    return await in_db_thread(request, lambda: heartbeat_reply(request.app.state, station_id, body))


@router.get("/stations", response_model=list[StationHealth])
def list_stations(s: Db, who: Viewer) -> Response:
    rows = s.scalars(select(Station).where(Station.county == who.county).order_by(Station.id)).all()
    at = services.now()
    return JSONResponse([services.health(r, at) for r in rows])


@contextmanager
def _taken_on_race(detail: str) -> Iterator[None]:
    """A concurrent request inserted the same id first: the same 409 as a plain repeat."""
    try:
        yield
    except IntegrityError:
        raise services.Taken(detail) from None


@router.post("/jobs", status_code=201, response_model=JobOut,
             responses={409: {"model": Problem, "description": "id already taken (in your county's "
                                                             "id namespace)"}})
def create_job(body: JobIn, s: Db, who: JobEditor) -> Response:
    # An id outside the namespace (422) or taken (409): services' errors, see app.py.
    with _taken_on_race("a job with this id exists"):
        job_id = services.claim_id(s, Job, s.get(County, who.county), body.id)
        job = services.save_job(s, who.county, body, job_id)
        s.commit()
    return JSONResponse(services.job_dict(job), status_code=201)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: ItemId, s: Db, who: JobEditor) -> Response:
    return JSONResponse(services.job_dict(services.in_county(s, Job, job_id, who.county)))


@router.put("/jobs/{job_id}", response_model=JobOut)
def replace_job(job_id: ItemId, body: JobIn, s: Db, who: JobEditor) -> Response:
    job = services.in_county(s, Job, job_id, who.county)
    job = services.save_job(s, who.county, body, job.id)
    s.commit()
    return JSONResponse(services.job_dict(job))


@router.post("/jobs/{job_id}/close", response_model=JobOut)
def close_job(job_id: ItemId, s: Db, who: JobEditor) -> Response:
    job = services.close_job(s, services.in_county(s, Job, job_id, who.county))
    s.commit()
    return JSONResponse(services.job_dict(job))


@router.put("/policies/{policy_id}", response_model=PolicyOut,
            responses={409: {"model": Problem, "description": "id taken inside your county's id "
                                                            "namespace by a policy you cannot edit"}})
def put_policy(
    policy_id: ItemId, body: PolicyIn, s: Db, who: PolicyEditor
) -> Response:
    # Another county's namespace (404), no county's (422), taken (409): services' errors.
    with _taken_on_race("this id is used by a policy you cannot edit"):
        policy = services.save_policy(s, who.county, policy_id, body)
        s.commit()
    return JSONResponse(services.policy_dict(policy))




@router.get("/counties/{code}/alerts", response_model=list[AlertOut])
def list_alerts(
    code: CountyCode, s: Db, who: Viewer,
    state: Annotated[Literal["open", "resolved"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Open alerts oldest first (the longest-standing problem on top); resolved newest first."""
    services.in_county(s, County, code, who.county)
    q = select(Alert).where(Alert.county == code, Alert.state == state)
    q = q.order_by(Alert.opened_at, Alert.id) if state == "open" else q.order_by(Alert.resolved_at.desc(), Alert.id)
    return JSONResponse([alerts.alert_dict(a) for a in s.scalars(q.limit(limit))])


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def ack_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)], s: Db,
    who: Annotated[Principal, Depends(staff_may("ack_alerts"))],
) -> Response:
    alert = s.get(Alert, alert_id)
    if alert is None or alert.county != who.county or alert.state == "pending":
        raise HTTPException(404, "no such alert")
    alerts.acknowledge(alert, who.username or "", services.now())
    s.commit()
    return JSONResponse(alerts.alert_dict(alert))


# -- remote commands (central/commands.py) ------------------------------------------------------

CommandSender = Annotated[Principal, Depends(staff_may("send_commands"))]
CommandId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]{36}$")]


def _command(s: Session, station_id: str, command_id: str, county: str) -> StationCommand:
    station = services.in_county(s, Station, station_id, county)
    row = s.get(StationCommand, command_id)
    if row is None or row.station_id != station.id:
        raise HTTPException(404, "no such command for this station")
    return row


@router.post("/stations/{station_id}/commands", status_code=201, response_model=CommandOut)
def create_command(station_id: StationId, body: commands.CommandIn, request: Request, s: Db,
                   who: CommandSender) -> Response:
    station = services.in_county(s, Station, station_id, who.county)
    row = commands.create(s, request.app.state.keyring, station, body, by=who.username or "")
    s.commit()
    return JSONResponse(commands.as_dict(row), status_code=201)


@router.get("/stations/{station_id}/commands", response_model=list[CommandOut])
def list_commands(station_id: StationId, s: Db, who: CommandSender,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    station = services.in_county(s, Station, station_id, who.county)
    at = services.now()
    return JSONResponse([commands.as_dict(r, at) for r in commands.listing(s, station.id, limit)])


@router.get("/stations/{station_id}/commands/{command_id}/attachment",
            responses={200: {"content": {"image/png": {}, "application/gzip": {}}}})
def get_command_attachment(station_id: StationId, command_id: CommandId, s: Db, who: CommandSender) -> Response:
    row = _command(s, station_id, command_id, who.county)
    if row.result_data is None or row.result_type not in commands.ATTACHMENT_TYPES:
        raise HTTPException(404, "this command has no attachment")
    return Response(row.result_data, media_type=row.result_type,
                    headers=commands.attachment_headers(row))


@router.post("/stations/{station_id}/commands/{command_id}/result", response_model=CommandOut)
def post_command_result(
    station_id: StationId, command_id: CommandId, body: commands.ResultIn, s: Db,
    who: Annotated[Principal, Depends(station_only("reports command results"))],
) -> Response:
    _own(who, station_id)
    row = commands.record_result(s, station_id, command_id, body, who.county)
    s.commit()
    return JSONResponse(commands.as_dict(row))


# --- statistics (central.stats) --------------------------------------------------------------
def _invalid(loc: tuple, msg: str) -> HTTPException:
    """A 422 shaped like FastAPI's own (the documented HTTPValidationError)."""
    return HTTPException(422, [{"loc": list(loc), "msg": msg, "type": "value_error"}])


@router.put("/stations/{station_id}/stats", response_model=StatsAck)
async def put_stats(
    station_id: StationId, body: StatsPut, request: Request,
    who: Annotated[Principal, Depends(station_only("reports statistics"))],
) -> dict:
    _own(who, station_id)
    rows = []
    for r in body.rows:
        try:
            stats.parse_hour(r.hour)
        except ValueError:
            raise _invalid(("body", "rows", len(rows), "hour"), "not a real hour (YYYY-MM-DDTHH)") from None
        rows.append((r.hour, r.metric, r.value))

    def work() -> tuple[int, int]:
        with request.app.state.sessions() as s:
            services.in_county(s, Station, station_id, who.county)
            result = stats.store(s, station_id, rows)
            s.commit()
        return result

    stored, ignored = await in_db_thread(request, work)
    return {"stored": stored, "ignored": ignored}


@router.get("/counties/{code}/stats", response_model=StatsReport)
def get_stats(
    code: CountyCode, s: Db, who: Viewer,
    start: Annotated[date, Query(alias="from")], end: Annotated[date, Query(alias="to")],
    group: Annotated[Literal["day", "week", "month"], Query()] = "day",
    station: Annotated[str | None, Query(max_length=64, pattern=_NAME)] = None,
) -> dict:
    services.in_county(s, County, code, who.county)
    if end < start or (end - start).days > stats.MAX_DAYS:
        raise _invalid(("query", "to"), f"from must not be after to, and at most {stats.MAX_DAYS} days apart")
    if station:
        services.in_county(s, Station, station, who.county)
    return {"county": code, "group": group, "rows": stats.report(s, code, start, end, group, station)}
