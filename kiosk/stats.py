"""服务成效 statistics: hourly counters of what the kiosk did, never of whom.

The visit emits event names (kiosk.visit.core.EVENTS); `StatsCounter.record` turns each into
one or more metric increments of the current local hour, committed at once (WAL,
synchronous=FULL), so a kill -9 loses at most the event being recorded. Rows are
(hour, metric, value, sent): no visit ids, no timestamps finer than the hour, no personal data.

Delivery is exactly-once by construction: the sync sends the ABSOLUTE value of each row whose
value differs from what central last acknowledged (`sent`); central sets, never adds, so a
retry, a lost answer or a restart re-sends the same numbers and nothing is counted twice.
After a week offline the week's rows are simply all unsent.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE = "stats.db"
CARD_TYPES = ("resident", "hkmt_permit", "foreign_2017", "foreign_2023")
# Visit length buckets (seconds, upper bound exclusive) -> metric name.
LENGTH_BUCKETS = ((60, "visit_under_1m"), (180, "visit_1_3m"), (600, "visit_3_10m"), (None, "visit_10m_plus"))
# What the seeker chose during a visit: counted once per visit, however often toggled.
PER_VISIT = {"english_on": "english", "large_text_on": "large_text", "read_aloud": "read_aloud"}
# event name -> metrics it adds one to
SIMPLE: dict[str, tuple[str, ...]] = {
    "visit_started": ("visits",),
    "card_read": ("card_reads",),
    "card_problem": ("card_problems",),
    "code_scanned": ("codes_scanned",),
    "job_viewed": ("job_views",),
    "slip_printed": ("slips",),
    "print_problem": ("print_problems",),
    "phone_saved": ("phone_saves",),
    "registration": ("registrations",),
    "withdrawal": ("withdrawals",),
    "policy_viewed": ("policy_views",),
    "job_reported": ("job_reports",),
    **{f"card_read_{t}": (f"card_reads_{t}",) for t in CARD_TYPES},
    # issue 16: standing registrations made, renewed and ended (central reports them too)
    "standing_registered": ("standing_registrations",),
    "standing_renewed": ("standing_renewals",),
    "standing_ended": ("standing_endings",),
}
METRICS: tuple[str, ...] = (
    *dict.fromkeys(m for ms in SIMPLE.values() for m in ms), *PER_VISIT.values(),
    *(name for _, name in LENGTH_BUCKETS),
)
BATCH = 2000  # rows per PUT: central's body limit (central/limits.py) holds 2000 rows easily

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stats_hours (
    hour TEXT NOT NULL,        -- local wall-clock hour at the station, 'YYYY-MM-DDTHH'
    metric TEXT NOT NULL,
    value INTEGER NOT NULL,
    sent INTEGER NOT NULL DEFAULT -1,  -- the value central last acknowledged
    PRIMARY KEY (hour, metric)
) WITHOUT ROWID;
"""


def hour_of(t: float) -> str:
    """The station-local hour of unix time t, as sent to central."""
    return datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H")


def length_metric(seconds: float) -> str:
    for bound, name in LENGTH_BUCKETS:
        if bound is None or seconds < bound:
            return name
    raise AssertionError("unreachable")


class StatsCounter:
    """The kiosk's statistics. Safe to call from several threads (UI records, sync sends)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock, self.monotonic = clock, monotonic
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._visit_start: float | None = None  # monotonic; in memory only (lengths are bucketed)
        self._used: set[str] = set()  # PER_VISIT metrics already counted in this visit

    @classmethod
    def in_dir(cls, data_dir: Path) -> StatsCounter:
        return cls(Path(data_dir) / FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- counting (the visit's EventSink) ---------------------------------------------------
    def record(self, event: str) -> None:
        """One event of the visit. Never raises: counting must not break a visit."""
        try:
            self._add(self._metrics(event))
        except Exception:
            log.exception("stats: could not count %s", event)

    def _metrics(self, event: str) -> list[str]:
        if event == "visit_started":
            self._visit_start, self._used = self.monotonic(), set()
        if event == "visit_ended":
            start, self._visit_start, self._used = self._visit_start, None, set()
            return [length_metric(self.monotonic() - start)] if start is not None else []
        if event in PER_VISIT:
            metric = PER_VISIT[event]
            if metric in self._used:
                return []
            self._used.add(metric)
            return [metric]
        return list(SIMPLE.get(event, ()))

    def _add(self, metrics: list[str]) -> None:
        if not metrics:
            return
        hour = hour_of(self.clock())
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO stats_hours (hour, metric, value) VALUES (?, ?, 1) "
                    "ON CONFLICT (hour, metric) DO UPDATE SET value = value + 1", [(hour, m) for m in metrics])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # --- delivery (the sync thread) ---------------------------------------------------------
    def unsent(self, limit: int = BATCH) -> list[dict[str, object]]:
        """Rows whose value central has not acknowledged, oldest hour first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT hour, metric, value FROM stats_hours WHERE value != sent ORDER BY hour, metric LIMIT ?",
                (limit,)).fetchall()
        return [{"hour": h, "metric": m, "value": v} for h, m, v in rows]

    def acknowledged(self, rows: list[dict[str, object]]) -> None:
        """Central stored these values. A row counted again meanwhile stays unsent."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("UPDATE stats_hours SET sent = ? WHERE hour = ? AND metric = ?",
                                   [(r["value"], r["hour"], r["metric"]) for r in rows])
            self._conn.execute("COMMIT")

    def deliver(self, put: Callable[[list[dict[str, object]]], object], max_batches: int = 250) -> dict[str, int]:
        """Send unsent rows with `put` (raises on failure: what was acknowledged stays so)."""
        sent = 0
        for _ in range(max_batches):  # a week offline is ~2,000 rows: one or two batches
            rows = self.unsent()
            if not rows:
                break
            put(rows)
            self.acknowledged(rows)
            sent += len(rows)
        return {"sent": sent, "pending": self.pending()}

    def pending(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM stats_hours WHERE value != sent").fetchone()[0]

    def totals(self) -> dict[str, int]:
        with self._lock:
            return dict(self._conn.execute("SELECT metric, sum(value) FROM stats_hours GROUP BY metric"))
