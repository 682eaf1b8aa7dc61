"""`POST /v1/enrol`: a kiosk exchanges its one-time enrolment code for its station token.

No bearer token (the code is the credential), a tiny body, and a per-address limit on
attempts so the 60-bit codes cannot be guessed. Refusals are JSON and say what is wrong with
the code, never which stations exist.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from central import onboarding
from central.admin import throttle

MAX_BODY = 1024
ATTEMPTS = 20  # per address and window: a kiosk being set up needs a handful at most
WINDOW_S = 15 * 60

router = APIRouter(prefix="/v1", tags=["enrolment"])


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, description="as shown: ABCD-EFGH-JKMN, or enrol:ABCD...")
    station_id: str | None = Field(None, max_length=64,
                                   description="the id the kiosk is configured for; a mismatch is refused "
                                               "without using the code up")


class EnrolOut(BaseModel):
    station_id: str
    token: str
    county: str
    public_key: str = Field(description="county Ed25519 public key (base64) that signs remote config")
    key_id: str


class RateLimit:
    """Failed attempts per client address in a fixed window, counted in the database
    (`login_throttle`, key "enrol:<address>" hashed), so the limit holds across instances.

    Only refusals count: a kiosk that enrols does not use up its address's allowance."""

    def __init__(self, attempts: int = ATTEMPTS, window_s: float = WINDOW_S) -> None:
        self.attempts, self.window = attempts, timedelta(seconds=window_s)

    @staticmethod
    def _key(address: str) -> str:
        return throttle._key("enrol", address)

    def wait_s(self, sessions: sessionmaker[Session], address: str) -> float:
        """0 if `address` may try now, else seconds until it may."""
        with sessions() as s:
            return throttle.wait_s(s, self._key(address), self.attempts, self.window)

    def failed(self, sessions: sessionmaker[Session], address: str) -> None:
        with sessions() as s:
            throttle.count(s, self._key(address), self.window)
            s.commit()


def _problem(status: int, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)


_REFUSED = {"description": "refused: see detail", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}}}}}


@router.post("/enrol", response_model=EnrolOut, responses={s: _REFUSED for s in (400, 404, 409, 410, 413, 429)},
             openapi_extra={"security": [], "requestBody": {"required": True, "content": {
                 "application/json": {"schema": EnrolIn.model_json_schema()}}}})
async def enrol(request: Request) -> JSONResponse:
    limiter: RateLimit | None = getattr(request.app.state, "enrol_limit", None)
    if limiter is None:
        limiter = request.app.state.enrol_limit = RateLimit()
    address = request.client.host if request.client else "?"
    sessions = request.app.state.sessions
    wait = await run_in_threadpool(limiter.wait_s, sessions, address)
    if wait:
        return _problem(429, "too many failed enrolment attempts from this address; try again later",
                        **{"Retry-After": str(int(wait) + 1)})
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            await run_in_threadpool(limiter.failed, sessions, address)
            return _problem(413, f"request body larger than {MAX_BODY} bytes")
    try:
        data = EnrolIn.model_validate_json(body)
    except ValidationError:
        await run_in_threadpool(limiter.failed, sessions, address)
        return _problem(400, 'send JSON {"code": "ABCD-EFGH-JKMN"}')

    def redeem() -> JSONResponse:  # database work: in a thread, never on the event loop
        with request.app.state.sessions() as s:
            try:
                out, old_hash = onboarding.redeem(s, data.code, data.station_id)
            except onboarding.EnrolRefused as exc:
                s.rollback()
                throttle.count(s, limiter._key(address), limiter.window)
                s.commit()
                return _problem(exc.status, str(exc))
            s.commit()
        request.app.state.tokens.forget(old_hash)
        return JSONResponse(out)

    return await run_in_threadpool(redeem)
