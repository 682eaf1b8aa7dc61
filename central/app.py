"""Builds the FastAPI application: JSON API under /v1, admin pages under /admin."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from central import db, fleet, services
from central.auth import TokenCache, TokenListener
from central.headers import SecurityHeaders
from central.limits import BodyLimit
from central.security import DataCipher, decode_key, derive_key, encode_key, new_data_key
from central.services import Keyring
from central.shedding import RETRY_AFTER_S, LoadShed

DATA_KEY_ENV = "GIG_CENTRAL_DATA_KEY"
BUSY_RETRY_AFTER_S = 5
DOMAIN_STATUS: dict[type, int] = {
    services.NotFound: 404, services.Conflict: 409, services.Taken: 409, services.Gone: 410,
    services.BadId: 422, services.RateLimited: 429,
}
DB_THREADS = 4  # more threads measured slower: GIL hand-offs (bench_central fleet p99)


def resolve_data_key(database_url: str, key_file: Path | None = None, create: bool = False) -> bytes:
    """The AES key for personal data and signing keys at rest.

    Order: --data-key-file, $GIG_CENTRAL_DATA_KEY (base64), else a file beside a SQLite
    database ("<db>.key"). With `create` (seed-demo) a missing file is generated, mode 0600.
    """
    if key_file is None and os.environ.get(DATA_KEY_ENV):
        return decode_key(os.environ[DATA_KEY_ENV])
    if key_file is None:
        url = make_url(db.normalise_url(database_url))
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            raise SystemExit(f"gig-central: set {DATA_KEY_ENV} or pass --data-key-file")
        key_file = Path(url.database + ".key")
    if key_file.exists():
        return decode_key(key_file.read_text(encoding="ascii"))
    if not create:
        raise SystemExit(f"gig-central: data key file {key_file} not found (run seed-demo first)")
    key = new_data_key()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(encode_key(key) + "\n")
    return key


def refused_response(exc: services.DomainError) -> JSONResponse:
    """The one place a domain refusal becomes a status, for the API, the admin pages and
    central.station_fast."""
    status = next(DOMAIN_STATUS[c] for c in type(exc).__mro__ if c in DOMAIN_STATUS)
    detail: object = str(exc)
    if isinstance(exc, services.BadId):  # a field error, in FastAPI's 422 shape
        detail = [{"type": "value_error", "loc": list(exc.loc), "msg": str(exc)}]
    return JSONResponse({"detail": detail}, status_code=status, headers=exc.headers)


def busy_response(exc: Exception) -> JSONResponse | None:
    """503 + Retry-After if `exc` is a bounded wait that ran out (db.make_engine): the client
    should retry, not see a 500; None for any other database error."""
    if not db.is_lock_timeout(exc):
        return None
    return JSONResponse({"detail": "the database is busy, retry later"}, status_code=503,
                        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})


def create_app(engine: Engine, data_key: bytes, admin: bool = True, docs: bool = False,
               trusted_proxies: str | None = None, secure_cookies: bool = False,
               max_inflight: int = 0, shed_retry_after_s: tuple[int, int] = RETRY_AFTER_S,
               fast_path: bool = True) -> FastAPI:
    """`docs`: serve /docs and /redoc (they load Swagger UI / ReDoc from a CDN: development
    only; /openapi.json is always served). `trusted_proxies`: comma-separated addresses whose
    X-Forwarded-Proto / X-Forwarded-For are believed (the TLS reverse proxy); otherwise those
    headers are ignored. `secure_cookies`: mark the admin cookie Secure even on plain HTTP
    requests (TLS terminated by something that does not send X-Forwarded-Proto).
    `max_inflight`: requests this process works on at once before it answers 503 + Retry-After
    (central.shedding; 0: never; `serve` defaults to DEFAULT_MAX_INFLIGHT). `fast_path`: the
    fleet's heartbeat and config/jobs polls answered past FastAPI (central.station_fast; off
    only to measure it)."""
    from central.api import router

    app = FastAPI(
        title="Gig station central job API",
        version="1.0.0",
        description="Reference server for gig-station kiosks; contract in central/README.md.",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    sessions = db.session_factory(engine)
    cipher = DataCipher(data_key)
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.reader = fleet.reader(engine)  # the fleet's one-statement requests (central.fleet)
    app.state.cipher = cipher
    app.state.keyring = Keyring(cipher)
    app.state.tokens = TokenCache(sessions)
    if engine.dialect.name == "postgresql":  # several instances: revocations reach all at once
        app.state.token_listener = TokenListener(engine, app.state.tokens).start()
    # The fleet's hot endpoints (heartbeat, config poll) query from this small pool: off the
    # event loop, and with far less overhead than the general 40-thread pool (bench_central).
    app.state.db_threads = ThreadPoolExecutor(DB_THREADS, thread_name_prefix="central-db")
    app.state.secure_cookies = secure_cookies
    app.state.form_key = derive_key(data_key, "admin login form")  # same in every process
    app.include_router(router)
    from central.enrol_api import router as enrol_router

    app.include_router(enrol_router)
    from central.followup_api import router as followup_router

    app.include_router(followup_router)
    from central.registrations_api import router as registrations_router

    app.include_router(registrations_router)
    from central.matches_api import router as matches_router

    app.include_router(matches_router)
    from central.trust_api import router as trust_router

    app.include_router(trust_router)
    from central.releases.routes import router as tuf_router

    app.include_router(tuf_router)
    if fast_path:  # innermost: shedding, body limits and security headers still apply to it
        from central.station_fast import StationFastPath

        app.add_middleware(StationFastPath)
    app.add_middleware(SecurityHeaders)
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)
    # Outermost: oversized bodies are refused before routing, parsing or token lookups.
    app.add_middleware(BodyLimit)
    # Outside even that: a refused request costs nothing but its 503.
    app.add_middleware(LoadShed, max_inflight=max_inflight, retry_after_s=shed_retry_after_s)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Same shape as FastAPI's 422, minus "input"/"ctx": they would echo personal data.
        detail = [{"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(services.DomainError)
    async def _refused(request: Request, exc: services.DomainError) -> JSONResponse:
        return refused_response(exc)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        if (response := busy_response(exc)) is None:
            raise exc
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        # For the load balancer: an instance that cannot reach the database takes no traffic.
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503,
                                headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
        return JSONResponse({"ok": True})

    if admin:
        from central.admin.routes import router as admin_router
        from central.admin.routes import static_app

        app.include_router(admin_router)
        from central.admin.commands import router as commands_router

        app.include_router(commands_router)  # before people_router: its /stations/{id}/{action}
        from central.admin.people import router as people_router

        app.include_router(people_router)  # after admin_router: its /stations/{id}/config wins
        from central.admin.alerts import router as alerts_router

        app.include_router(alerts_router)
        from central.admin.inbox import router as inbox_router

        app.include_router(inbox_router)
        from central.admin.matches import router as matches_admin_router

        app.include_router(matches_admin_router)
        from central.admin.releases import router as releases_router

        app.include_router(releases_router)
        from central.admin.stats_pages import router as stats_router

        app.include_router(stats_router)
        from central.admin.trust import router as trust_admin_router

        app.include_router(trust_admin_router)
        app.mount("/admin/static", static_app(), name="admin-static")

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/admin/", status_code=303)

    return app
