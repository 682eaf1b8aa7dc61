"""Local cache: jobs and policies in SQLite (WAL).

Searching by distance uses kiosk.geoindex, an in-memory columnar index rebuilt from here
whenever `jobs_generation` changes (every write to jobs bumps it, in the same transaction).

The kiosk serves everything from here, so it keeps working offline. Schema changes are
numbered migrations applied in order and recorded in `PRAGMA user_version`. One connection
per thread (sqlite3 connections must not be shared across threads).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from kiosk.models import Job, JobSummary, Policy

# Each entry moves the schema up by one version. Never edit a released entry; append.
MIGRATIONS: list[str] = [
    # 1: jobs, their coordinates index, policies, key-value metadata (sync cursors etc.)
    """
    CREATE TABLE jobs (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        employer TEXT NOT NULL,
        pay_amount REAL NOT NULL,
        category TEXT NOT NULL,
        pay_unit TEXT NOT NULL,
        settlement TEXT NOT NULL,
        start_date TEXT NOT NULL,
        valid_through TEXT,
        status TEXT NOT NULL,
        lat REAL NOT NULL,
        lng REAL NOT NULL,
        age_min INTEGER,
        age_max INTEGER,
        updated_at TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL
    );
    CREATE TABLE policies (
        id TEXT PRIMARY KEY,
        updated_at TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]




def _dumps(value: dict) -> str:
    """The `data` column: compact JSON, Chinese kept as UTF-8. orjson: a tenth of the stdlib
    encoder's time, which was the largest single cost of writing a 100,000-job first sync."""
    return orjson.dumps(value).decode()


class Store:
    """SQLite cache of jobs and policies. Safe to use from several threads."""

    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        # NORMAL is enough for the cache (it can be re-synced); the outbox uses FULL itself.
        self.path = str(path)
        self._synchronous = synchronous
        self._local = threading.local()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    # --- connections --------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- schema -------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"database schema {current} is newer than this software ({len(MIGRATIONS)})"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction() as conn:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={version}")

    # --- jobs ---------------------------------------------------------------------------
    def upsert_jobs(self, jobs: Iterable[Job], conn: sqlite3.Connection | None = None) -> int:
        """Insert or replace jobs; returns how many were written. Pass `conn` to join an
        outer transaction (sync applies a whole delta atomically)."""
        if conn is None:
            with self.transaction() as tx:
                return self.upsert_jobs(jobs, tx)
        rows = [
            (
                job.id,
                job.title,
                job.employer,
                job.pay_amount,
                job.category,
                job.pay_unit.value,
                job.settlement.value,
                job.start_date.isoformat(),
                job.valid_through.isoformat() if job.valid_through else None,
                job.status.value,
                job.lat,
                job.lng,
                job.requirements.age_min,
                job.requirements.age_max,
                job.updated_at,
                _dumps(job.to_dict()),
            )
            for job in jobs
        ]
        # One executemany per call (a sync page is 1,000 jobs): the statement is prepared once.
        conn.executemany(
            "INSERT INTO jobs (id, title, employer, pay_amount, category, pay_unit, settlement,"
            " start_date, valid_through, status, lat, lng, age_min, age_max, updated_at, data)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET title=excluded.title, employer=excluded.employer,"
            " pay_amount=excluded.pay_amount, category=excluded.category,"
            " pay_unit=excluded.pay_unit, settlement=excluded.settlement,"
            " start_date=excluded.start_date, valid_through=excluded.valid_through,"
            " status=excluded.status, lat=excluded.lat, lng=excluded.lng,"
            " age_min=excluded.age_min, age_max=excluded.age_max,"
            " updated_at=excluded.updated_at, data=excluded.data",
            rows,
        )
        n = len(rows)
        if n:
            self._bump_jobs_generation(conn)
        return n

    def delete_jobs(self, ids: Iterable[str], conn: sqlite3.Connection | None = None) -> int:
        if conn is None:
            with self.transaction() as tx:
                return self.delete_jobs(ids, tx)
        n = sum(conn.execute("DELETE FROM jobs WHERE id = ?", (i,)).rowcount for i in ids)
        if n:
            self._bump_jobs_generation(conn)
        return n

    def replace_all_jobs(self, jobs: Iterable[Job]) -> int:
        with self.transaction() as conn:
            self.clear("jobs", conn)
            return self.upsert_jobs(jobs, conn)

    def clear(self, table: str, conn: sqlite3.Connection) -> None:
        """Empty the jobs or policies cache inside conn's transaction (a full resync); the
        search index notices an emptied jobs table through jobs_generation."""
        if table not in ("jobs", "policies"):
            raise ValueError(f"not a cache table: {table}")
        conn.execute(f"DELETE FROM {table}")
        if table == "jobs":
            self._bump_jobs_generation(conn)

    def _bump_jobs_generation(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('jobs_generation', '1')"
            " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    @property
    def jobs_generation(self) -> int:
        return int(self.get_meta("jobs_generation", "0") or 0)

    def job_index_rows(self) -> list[tuple]:
        """(rowid, lat, lng, status, category, pay_unit, settlement, start_date, valid_through,
        age_min, age_max) of every job: what kiosk.geoindex keeps in memory."""
        return self.conn.execute(
            "SELECT rowid, lat, lng, status, category, pay_unit, settlement, start_date,"
            " valid_through, age_min, age_max FROM jobs"
        ).fetchall()

    def get_job(self, job_id: str) -> Job | None:
        row = self.conn.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_dict(json.loads(row[0])) if row else None

    def job_summaries(self, rowids: list[int]) -> dict[int, JobSummary]:
        """rowid -> the list-row fields of those jobs (no JSON decoding)."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self.conn.execute(
            "SELECT rowid, id, title, employer, category, pay_amount, pay_unit, settlement,"
            f" start_date, valid_through, status FROM jobs WHERE rowid IN ({marks})",
            rowids,
        )
        date = dt.date.fromisoformat
        return {
            r[0]: JobSummary._make((*r[1:8], date(r[8]), date(r[9]) if r[9] else None, r[10])) for r in rows
        }

    def count_jobs(self) -> int:
        return self.conn.execute("SELECT count(*) FROM jobs").fetchone()[0]

    def categories(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT category FROM jobs WHERE status='open' GROUP BY category ORDER BY count(*) DESC"
        )
        return [r[0] for r in rows]

    # --- policies -----------------------------------------------------------------------
    def upsert_policies(self, policies: Iterable[Policy], conn: sqlite3.Connection | None = None) -> int:
        if conn is None:
            with self.transaction() as tx:
                return self.upsert_policies(policies, tx)
        n = 0
        for p in policies:
            conn.execute(
                "INSERT INTO policies (id, updated_at, data) VALUES (?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET updated_at=excluded.updated_at, data=excluded.data",
                (p.id, p.updated_at, json.dumps(p.to_dict(), ensure_ascii=False)),
            )
            n += 1
        return n

    def delete_policies(self, ids: Iterable[str], conn: sqlite3.Connection | None = None) -> int:
        if conn is None:
            with self.transaction() as tx:
                return self.delete_policies(ids, tx)
        return sum(conn.execute("DELETE FROM policies WHERE id = ?", (i,)).rowcount for i in ids)

    def policies(self) -> list[Policy]:
        rows = self.conn.execute("SELECT data FROM policies ORDER BY id")
        return [Policy.from_dict(json.loads(r[0])) for r in rows]

    def get_policy(self, policy_id: str) -> Policy | None:
        row = self.conn.execute("SELECT data FROM policies WHERE id = ?", (policy_id,)).fetchone()
        return Policy.from_dict(json.loads(row[0])) if row else None

    # --- metadata -----------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
