"""The station's standing registration calls (issue 16): register or renew, look up, end.
Logic in central.registrations; contract in central/README.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError

from central import registrations, retention
from central.api import _ERRORS, Db, station_only
from central.auth import Principal
from central.followup_api import _own_station
from central.registration_schemas import (
    Ended,
    MyRegistrations,
    PersonIn,
    RegistrationIn,
    RegistrationOut,
)
from central.schemas import Problem

router = APIRouter(prefix="/v1", responses=_ERRORS, tags=["registrations"])
RegId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Station_ = Annotated[Principal, Depends(station_only("keeps standing registrations"))]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                       pattern=r"^[!-~]+$")]


@router.post(
    "/registrations", status_code=201, response_model=RegistrationOut,
    responses={200: {"model": RegistrationOut, "description": "the person's open registration, "
                                                              "renewed (same id, renewed: true)"},
               409: {"model": Problem, "description": "Idempotency-Key reused with another body"}},
)
def post_registration(body: RegistrationIn, request: Request, s: Db, who: Station_,
                      idempotency_key: IdempotencyKey) -> Response:
    station = _own_station(s, who, body.station_id)
    cipher = request.app.state.cipher
    for attempt in range(2):
        try:
            code, response, _ = registrations.register(s, cipher, station, idempotency_key, body)
            s.commit()
            break
        except IntegrityError:
            # A concurrent request (same key, or the same person's second open registration)
            # won the race: the second pass replays its answer or renews what it created.
            s.rollback()
            if attempt:
                raise
    return Response(response.encode("utf-8"), status_code=code, media_type="application/json")


@router.post("/registrations/mine", response_model=MyRegistrations)
def my_registrations(body: PersonIn, request: Request, s: Db, who: Station_) -> Response:
    station = _own_station(s, who, body.station_id)
    rows = registrations.mine(s, station.county, request.app.state.cipher, body.id_number)
    return JSONResponse({"registrations": rows}, headers={"Cache-Control": "no-store"})


@router.post("/registrations/{reg_id}/end", response_model=Ended)
def end_registration(reg_id: RegId, body: PersonIn, request: Request, s: Db, who: Station_,
                     idempotency_key: IdempotencyKey) -> Response:
    station = _own_station(s, who, body.station_id)
    out = registrations.end(s, request.app.state.cipher, reg_id, station.county, body.id_number, station.id)
    s.commit()
    retention.scrub(request.app.state.engine)  # the old ciphertext leaves the WAL too, now
    return JSONResponse(out)

