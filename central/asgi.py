"""ASGI factory for `gig-central serve --workers N` (each worker process builds its own app).

Reads GIG_CENTRAL_DATABASE_URL, GIG_CENTRAL_DATA_KEY (base64), GIG_CENTRAL_POOL_SIZE,
GIG_CENTRAL_DOCS, GIG_CENTRAL_TRUSTED_PROXIES, GIG_CENTRAL_SECURE_COOKIES,
GIG_CENTRAL_PERIODIC and GIG_CENTRAL_MAX_INFLIGHT, set by `serve`; GIG_CENTRAL_FAST_PATH=0
turns central.station_fast off (to measure it); GIG_CENTRAL_ACCESS_LOG=1 writes the access log
(central.access_log).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from central import db
from central.access_log import AccessLog
from central.app import DATA_KEY_ENV, create_app
from central.security import decode_key
from central.shedding import DEFAULT_MAX_INFLIGHT, MAX_INFLIGHT_ENV

DATABASE_ENV = "GIG_CENTRAL_DATABASE_URL"
POOL_ENV = "GIG_CENTRAL_POOL_SIZE"
DOCS_ENV = "GIG_CENTRAL_DOCS"
TRUSTED_PROXIES_ENV = "GIG_CENTRAL_TRUSTED_PROXIES"
SECURE_COOKIES_ENV = "GIG_CENTRAL_SECURE_COOKIES"
PERIODIC_ENV = "GIG_CENTRAL_PERIODIC"  # "0": this instance runs no periodic jobs
ACCESS_LOG_ENV = "GIG_CENTRAL_ACCESS_LOG"  # "1": central.access_log (serve --access-log)
FAST_PATH_ENV = "GIG_CENTRAL_FAST_PATH"  # "0": central.station_fast off (bench_scale's baseline)
# No request's query should run this long (the 100,000-job full sync pages in ~1 s each).
STATEMENT_TIMEOUT_S = 30.0


def app_from_env() -> FastAPI | AccessLog:
    engine = db.make_engine(os.environ[DATABASE_ENV], pool_size=int(os.environ.get(POOL_ENV, "10")),
                            statement_timeout_s=STATEMENT_TIMEOUT_S)
    if os.environ.get(PERIODIC_ENV, "1") != "0":
        from central.periodic import Scheduler

        Scheduler(engine).start()  # jobs are claimed per period in the database: once fleet-wide
    app = create_app(engine, decode_key(os.environ[DATA_KEY_ENV]),
                     docs=os.environ.get(DOCS_ENV) == "1",
                     trusted_proxies=os.environ.get(TRUSTED_PROXIES_ENV) or None,
                     secure_cookies=os.environ.get(SECURE_COOKIES_ENV) == "1",
                     max_inflight=int(os.environ.get(MAX_INFLIGHT_ENV, str(DEFAULT_MAX_INFLIGHT))),
                     fast_path=os.environ.get(FAST_PATH_ENV, "1") != "0")
    return AccessLog(app) if os.environ.get(ACCESS_LOG_ENV) == "1" else app
