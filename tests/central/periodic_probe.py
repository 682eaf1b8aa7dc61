"""A periodic job for the multi-instance tests, loaded by `gig-central serve` through
GIG_CENTRAL_PERIODIC_MODULES: it records its start (committed at once, so the test can see who
holds the period and kill it), works for a while, then records that it finished."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from central import periodic

PERIOD = timedelta(seconds=float(os.environ.get("PROBE_PERIOD_S", "6")))
WORK_S = float(os.environ.get("PROBE_WORK_S", "1.5"))
TABLES = [
    "CREATE TABLE IF NOT EXISTS probe_started (period TEXT, pid INTEGER, at TIMESTAMPTZ DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS probe_done (period TEXT, pid INTEGER, at TIMESTAMPTZ DEFAULT now())",
]


def run_probe(engine: Engine, now: datetime) -> dict:
    period = periodic.period_start(now, PERIOD).isoformat()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO probe_started (period, pid) VALUES (:p, :pid)"),
                     {"p": period, "pid": os.getpid()})
    time.sleep(WORK_S)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO probe_done (period, pid) VALUES (:p, :pid)"),
                     {"p": period, "pid": os.getpid()})
    return {"pid": os.getpid()}


periodic.register("probe", PERIOD, run_probe)
