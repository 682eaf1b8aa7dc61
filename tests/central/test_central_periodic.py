"""central/periodic.py on one process (SQLite and PostgreSQL): a period is claimed once, a
failing job is retried a bounded number of times, housekeeping deletes what has expired.
The several-instance behaviour (kill -9 of the holder) is in test_central_instances.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from central import db, periodic
from central.models import AdminSession, LoginThrottle, PeriodicRun

T0 = datetime(2026, 11, 29, 12, 0, 30, tzinfo=UTC)


def test_period_start_is_epoch_aligned() -> None:
    assert periodic.period_start(T0, timedelta(minutes=1)) == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert periodic.period_start(T0, timedelta(days=1)) == datetime(2026, 11, 29, tzinfo=UTC)


def test_once_per_period_and_bounded_retries(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    calls: list[datetime] = []
    job = periodic.Job("count", timedelta(minutes=1), lambda e, now: calls.append(now) or {"n": len(calls)})
    try:
        assert periodic.run_if_due(engine, job, T0) == {"n": 1}
        assert periodic.run_if_due(engine, job, T0 + timedelta(seconds=20)) is None  # same period
        assert periodic.run_if_due(engine, job, T0 + timedelta(seconds=40)) == {"n": 2}  # next one
        with db.session_factory(engine)() as s:
            rows = s.scalars(select(PeriodicRun).where(PeriodicRun.name == "count")).all()
            assert [(r.attempts, r.result) for r in rows] == [(1, {"n": 1}), (1, {"n": 2})]
            assert all(r.finished_at and r.runner == periodic.runner_id() for r in rows)

        def broken(e, now):  # noqa: ANN001, ANN202
            calls.append(now)
            raise RuntimeError("boom")

        bad = periodic.Job("broken", timedelta(minutes=1), broken)
        before = len(calls)
        for _ in range(5):
            assert periodic.run_if_due(engine, bad, T0) is None
        assert len(calls) - before == periodic.MAX_ATTEMPTS  # then it gives up for the period
        with db.session_factory(engine)() as s:
            row = s.scalars(select(PeriodicRun).where(PeriodicRun.name == "broken")).one()
            assert row.finished_at is None and row.result == {"error": "RuntimeError"}
    finally:
        engine.dispose()


def test_sqlite_claim_of_a_dead_process_is_taken_over_after_the_lease(tmp_path) -> None:  # noqa: ANN001
    engine = db.make_engine(f"sqlite:///{tmp_path}/p.db")
    db.migrate(engine)
    job = periodic.Job("lease", timedelta(hours=1), lambda e, now: {"ok": True})
    start = periodic.period_start(T0, job.period)
    periodic._ensure_row(engine, job.name, start)
    with engine.begin() as conn:  # another process claimed it at T0 and died
        conn.execute(update(PeriodicRun).values(started_at=T0, runner="other:1"))
    assert periodic.run_if_due(engine, job, T0 + timedelta(minutes=1)) is None
    assert periodic.run_if_due(engine, job, T0 + periodic.LEASE + timedelta(seconds=1)) == {"ok": True}
    engine.dispose()


def test_housekeeping_deletes_expired_sessions_and_throttle_windows(database_url: str) -> None:
    from central_helpers import DEMO

    from central import seed
    from central.models import Staff
    from central.security import DataCipher, new_data_key
    from central.services import Keyring

    engine = db.make_engine(database_url)
    db.migrate(engine)
    now = datetime.now(UTC)
    with db.session_factory(engine)() as s:
        seed.seed(s, Keyring(DataCipher(new_data_key())), DEMO)
        staff_id = s.scalars(select(Staff.id)).first()
        s.add_all([AdminSession(token_hash="a" * 64, staff_id=staff_id, expires_at=now - timedelta(minutes=1)),
                   AdminSession(token_hash="b" * 64, staff_id=staff_id, expires_at=now + timedelta(hours=1)),
                   LoginThrottle(key="c" * 64, failures=3, window_start=now - timedelta(hours=1)),
                   LoginThrottle(key="d" * 64, failures=3, window_start=now)])
        s.commit()
    try:
        assert periodic.run_housekeeping(engine, now) == {"sessions": 1, "throttle": 1, "runs": 0}
        with db.session_factory(engine)() as s:
            assert s.scalars(select(AdminSession.token_hash)).all() == ["b" * 64]
            assert s.scalars(select(LoginThrottle.key)).all() == ["d" * 64]
        assert "housekeeping" in periodic.REGISTRY
    finally:
        engine.dispose()


def test_the_servers_own_periodic_work_is_registered_and_runs(database_url: str, monkeypatch) -> None:  # noqa: ANN001
    """Purge (issue 12), alert evaluation and delivery (issue 13) and TUF re-signing (issue 14)
    run from the scheduler `gig-central serve` starts: each is registered and a due tick runs
    every one of them on a fresh database, with its own summary recorded."""
    from central.app import DATA_KEY_ENV
    from central.security import encode_key, new_data_key

    monkeypatch.setenv(DATA_KEY_ENV, encode_key(new_data_key()))  # as serve sets it
    engine = db.make_engine(database_url)
    db.migrate(engine)
    try:
        expected = {"housekeeping", "purge", "alerts", "alert_delivery", "tuf_resign", "registrations"}
        assert expected <= set(periodic.REGISTRY)
        done = periodic.run_due(engine, T0)
        assert expected <= set(done), done
        assert done["purge"] == {"erased": 0, "kept": 0}
        assert periodic.run_due(engine, T0 + timedelta(seconds=5)) == {}  # nothing due twice
        with db.session_factory(engine)() as s:
            names = set(s.scalars(select(PeriodicRun.name).where(PeriodicRun.finished_at.is_not(None))))
        assert expected <= names
    finally:
        engine.dispose()
