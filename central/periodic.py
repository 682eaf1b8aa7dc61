"""Periodic jobs that run once per period across every central instance on one database.

A job is (name, period, function(engine, now) -> JSON-able dict). Periods are aligned to the
Unix epoch, so every instance computes the same period for the same moment. Each (job, period)
gets one `periodic_runs` row; an instance runs the job only after claiming that row:

- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` on the unfinished row, and the row lock is held
  (its transaction open) while the job runs, then `finished_at` is set in the same transaction.
  Another instance skips a locked row; if the holder dies (kill -9, lost host) PostgreSQL ends
  its session, the lock goes, and the next instance to tick runs that period again.
- SQLite (one host): a conditional UPDATE claims the row; a claim older than `LEASE` may be
  taken over (a process that died mid-run).

So a period *completes* once. A run killed part-way is run again from the start by another
instance: jobs must be idempotent (a purge, an evaluation, a re-signing all are). A job that
raises is retried on later ticks up to `MAX_ATTEMPTS` times in that period.

`Scheduler` runs one daemon thread per job in `gig-central serve`; it only uses the database
pool, never the request threads, so requests are not blocked by a long job.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from central.models import AdminSession, LoginThrottle, PeriodicRun

log = logging.getLogger("central.periodic")

MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=5)  # SQLite only: a claim this old belongs to a dead process
TICK_S = 1.0
MODULES_ENV = "GIG_CENTRAL_PERIODIC_MODULES"  # extra modules that call register() (site jobs)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    run: Callable[[Engine, datetime], dict]


REGISTRY: dict[str, Job] = {}


def register(name: str, period: timedelta, run: Callable[[Engine, datetime], dict]) -> Job:
    """Adds (or replaces) a job. `run(engine, now)` returns a JSON-able summary."""
    if not 0 < len(name) <= 64:
        raise ValueError("job name: 1..64 characters")
    if period <= timedelta(0):
        raise ValueError("period must be positive")
    job = REGISTRY[name] = Job(name, period, run)
    return job


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def period_start(at: datetime, period: timedelta) -> datetime:
    """Start of the epoch-aligned period containing `at` (same on every instance)."""
    step = int(period.total_seconds() * 1_000_000)
    micros = (at - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=micros - micros % step)


def _ensure_row(engine: Engine, name: str, start: datetime) -> None:
    table = PeriodicRun.__table__
    values = {"name": name, "period_start": start, "attempts": 0}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
        elif engine.dialect.name == "sqlite":
            conn.execute(insert(table).values(**values).prefix_with("OR IGNORE"))
        else:
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(**values))
            except IntegrityError:
                pass
        conn.commit()


def _record_failure(engine: Engine, job: Job, start: datetime, exc: Exception) -> None:
    log.exception("periodic job %s failed", job.name)
    with engine.begin() as conn:
        conn.execute(update(PeriodicRun).where(
            PeriodicRun.name == job.name, PeriodicRun.period_start == start,
            PeriodicRun.finished_at.is_(None)).values(
            attempts=PeriodicRun.attempts + 1, started_at=None, runner=runner_id(),
            result={"error": type(exc).__name__}))


def _this_row(job: Job, start: datetime):  # noqa: ANN202 - a SQL condition
    return and_(PeriodicRun.name == job.name, PeriodicRun.period_start == start,
                PeriodicRun.finished_at.is_(None), PeriodicRun.attempts < MAX_ATTEMPTS)


def _run_postgres(engine: Engine, job: Job, start: datetime, now: datetime) -> dict | None:
    with engine.connect() as conn:
        claimed = conn.execute(select(PeriodicRun.name).where(_this_row(job, start))
                               .with_for_update(skip_locked=True)).first()
        if claimed is None:
            conn.rollback()
            return None  # finished, given up, or being run by another instance now
        try:
            result = job.run(engine, now)
        except Exception as exc:  # noqa: BLE001 - recorded, retried on a later tick
            conn.rollback()
            _record_failure(engine, job, start, exc)
            return None
        # attempts counts runs that ended here; a killed run rolls back and counts nothing.
        conn.execute(update(PeriodicRun).where(
            PeriodicRun.name == job.name, PeriodicRun.period_start == start).values(
            started_at=now, finished_at=datetime.now(UTC), runner=runner_id(),
            attempts=PeriodicRun.attempts + 1, result=result))
        conn.commit()
    return result


def _run_with_lease(engine: Engine, job: Job, start: datetime, now: datetime) -> dict | None:
    me = runner_id()
    with engine.begin() as conn:
        claimed = conn.execute(update(PeriodicRun).where(
            _this_row(job, start),
            or_(PeriodicRun.started_at.is_(None), PeriodicRun.started_at < now - LEASE)).values(
            started_at=now, runner=me)).rowcount
    if not claimed:
        return None
    try:
        result = job.run(engine, now)
    except Exception as exc:  # noqa: BLE001 - recorded, retried on a later tick
        _record_failure(engine, job, start, exc)
        return None
    with engine.begin() as conn:
        conn.execute(update(PeriodicRun).where(
            PeriodicRun.name == job.name, PeriodicRun.period_start == start,
            PeriodicRun.runner == me).values(
            finished_at=datetime.now(UTC), attempts=PeriodicRun.attempts + 1, result=result))
    return result


def run_if_due(engine: Engine, job: Job, now: datetime | None = None) -> dict | None:
    """Runs `job` for the period containing `now` if no instance has (or is running it):
    its summary if it ran here, else None."""
    now = now or datetime.now(UTC)
    start = period_start(now, job.period)
    _ensure_row(engine, job.name, start)
    if engine.dialect.name == "postgresql":
        return _run_postgres(engine, job, start, now)
    return _run_with_lease(engine, job, start, now)


def run_due(engine: Engine, now: datetime | None = None) -> dict[str, dict]:
    """Every registered job that is due, in this thread: {name: summary} of those run here."""
    done = {}
    for job in list(REGISTRY.values()):
        result = run_if_due(engine, job, now)
        if result is not None:
            done[job.name] = result
    return done


class Scheduler:
    """One daemon thread per registered job, each ticking every `tick_s` seconds."""

    def __init__(self, engine: Engine, tick_s: float = TICK_S) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for module in filter(None, os.environ.get(MODULES_ENV, "").split(",")):
            importlib.import_module(module.strip())
        for job in REGISTRY.values():
            t = threading.Thread(target=self._loop, args=(job,), daemon=True,
                                 name=f"periodic-{job.name}")
            t.start()
            self._threads.append(t)

    def _loop(self, job: Job) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                run_if_due(self.engine, job)
            except Exception:  # noqa: BLE001 - database down: try again next tick
                log.warning("periodic job %s: could not claim or record", job.name, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)


# -- central's own jobs ---------------------------------------------------------------------------

KEEP_RUNS = timedelta(days=30)


def run_housekeeping(engine: Engine, now: datetime) -> dict:
    """Deletes expired admin sessions, login/enrolment throttle windows that are over, and
    periodic-run records older than 30 days (every instance shares these tables)."""
    from central.admin.throttle import WINDOW

    with engine.begin() as conn:
        sessions = conn.execute(delete(AdminSession).where(AdminSession.expires_at <= now)).rowcount
        throttle = conn.execute(delete(LoginThrottle).where(
            LoginThrottle.window_start <= now - WINDOW)).rowcount
        runs = conn.execute(delete(PeriodicRun).where(
            PeriodicRun.period_start < now - KEEP_RUNS)).rowcount
    return {"sessions": sessions, "throttle": throttle, "runs": runs}


register("housekeeping", timedelta(hours=1), run_housekeeping)


# -- the other modules' periodic work (imported when run: those modules import the app's models
# and services, which must not be loaded just to read this registry) ----------------------------

def _purge(engine: Engine, now: datetime) -> dict:
    from central.retention import run_purge

    return run_purge(engine, now)  # issue 12: personal data past the county's retention


def _alerts(engine: Engine, now: datetime) -> dict:
    from central.alerts import run_alerts

    return run_alerts(engine, now)  # opens and resolves alerts from heartbeats and their absence


def _deliver(engine: Engine, now: datetime) -> dict:
    from central.alert_delivery import deliver_pending

    return deliver_pending(engine, now)  # e-mail and webhook, with retries and quiet hours


def _tuf_resign(engine: Engine, now: datetime) -> dict:
    from central.releases.periodic import run_timestamp_resign

    return run_timestamp_resign(engine, now)  # timestamp / snapshot before they expire


def _registrations(engine: Engine, now: datetime) -> dict:
    from central.registrations import run_expiry

    return run_expiry(engine, now)  # issue 16: consent ran out; erased after the retention


register("purge", timedelta(days=1), _purge)
register("alerts", timedelta(minutes=1), _alerts)
register("alert_delivery", timedelta(seconds=30), _deliver)
register("tuf_resign", timedelta(hours=1), _tuf_resign)
register("registrations", timedelta(minutes=10), _registrations)
