"""Background sync with the central API: config, jobs, policies, outbox, heartbeats.

`SyncWorker` is a kiosk.worker.Worker, like every device driver: one daemon thread,
start/stop, a status, full-jitter backoff; plus `wake()`. A cycle runs at start-up and every
`sync_interval_s` of the remote config: config first (a new radius resets the jobs cursor
so the same cycle re-fetches), then the jobs and policies deltas (each page applied in one
store transaction together with its cursor, so a crash mid-sync resumes where it stopped),
then the outbox flush. Heartbeats go every `heartbeat_interval_s`. `wake()` (right after an
application) flushes the outbox at once. While the API is unreachable the worker retries
with full-jitter backoff and the kiosk serves from the cache.

A cycle is bounded whatever the server does: `[api] cycle_deadline_s` for all of it (bodies
included), at most MAX_PAGES pages per resource, and a page that says has_more must move the
cursor; otherwise the cycle stops with ApiAbandoned (logged, shown in the sync status that the
heartbeat carries) and the next one resumes from the last committed page.

Listeners of the `changed` Signal (`changed.connect(cb)`, cb(kind) with kind in "jobs",
"policies", "config", "connectivity", "alerts") run on the sync thread (a "connectivity" from a failed
attempt may come from its page fetcher thread); the UI hops to its own thread itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk import __version__, station_alerts
from kiosk.api import ApiAbandoned, ApiClient, ApiError, ApiOffline, ApiServerError, ApiUnauthorised
from kiosk.models import Job, Policy
from kiosk.outbox import Outbox
from kiosk.printable import printable
from kiosk.remote_config import AppliedConfig, RemoteConfig
from kiosk.settings import Settings
from kiosk.stats import StatsCounter
from kiosk.store import Store
from kiosk.update import health as update_health
from kiosk.update import state as update_state
from kiosk.worker import Signal, Worker, WorkerState, WorkerStatus

log = logging.getLogger(__name__)

PAGE_LIMIT = 1000  # the server's maximum: fewest round trips for a full sync
MAX_PAGES = 250  # per resource and cycle: 250,000 jobs, 2.5x the largest county benchmarked
META_JOBS_CURSOR = "sync.jobs_cursor"
META_POLICIES_CURSOR = "sync.policies_cursor"
META_STATION = "sync.station_id"
META_LAST_SUCCESS = "sync.last_success_at"
KINDS = ("jobs", "policies", "config", "connectivity", "alerts")


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    total: int = 0


DETAIL_MAX = 300  # central's bound for a device report's text (central/schemas.py DeviceReport)


def _reportable(devices: dict[str, Any]) -> dict[str, Any]:
    """Device texts as central accepts them: one line, no control characters, bounded. A
    driver's multi-line exception text would otherwise make every heartbeat a 422."""
    return {name: {k: printable(v)[:DETAIL_MAX] if isinstance(v, str) else v for k, v in entry.items()}
            if isinstance(entry, dict) else entry for name, entry in devices.items()}


@dataclass
class CycleReport:
    """What one cycle did: the JSON `gig-kiosk sync --once` prints."""

    jobs: Counts = field(default_factory=Counts)
    policies: Counts = field(default_factory=Counts)
    config: dict[str, Any] = field(default_factory=lambda: {"status": "unchanged", "version": None})
    outbox: dict[str, int] = field(default_factory=lambda: {"sent": 0, "pending": 0})
    stats: dict[str, int] = field(default_factory=lambda: {"sent": 0, "pending": 0})

    def as_dict(self) -> dict[str, Any]:
        return {"jobs": asdict(self.jobs), "policies": asdict(self.policies),
                "config": dict(self.config), "outbox": dict(self.outbox),
                "stats": dict(self.stats)}


# The sync's status is a worker status: starting | ok | offline | unauthorised | error | stopped.
SyncStatus = WorkerStatus


def paper_from_health(health: dict[str, Any]) -> str:
    """ok|low|out|unknown from the printer's health entry (devices.printer PrintService)."""
    printer = health.get("printer")
    if not isinstance(printer, dict):
        return "unknown"
    if printer.get("paper_end"):
        return "out"
    if printer.get("paper_near_end"):
        return "low"
    return "ok" if printer.get("state") in ("ok", "warning") else "unknown"


class SyncWorker(Worker):
    name = "sync"
    backoff_base_s = 2.0  # first retry after a failed cycle: random(0, 4 s), doubling
    backoff_floor_s = 0.5
    max_pages = MAX_PAGES

    def __init__(
        self,
        settings: Settings,
        store: Store,
        outbox: Outbox,
        api: ApiClient,
        remote_config: RemoteConfig,
        device_health: Callable[[], dict],
        *,
        paper_state: Callable[[], str] | None = None,
        stats: StatsCounter | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.station_id = settings.station.id
        self.store = store
        self.outbox = outbox
        self.api = api
        if hasattr(api, "attempt_failed"):  # the first failed attempt shows the offline strip
            api.attempt_failed.connect(self._attempt_failed)
        self.remote_config = remote_config
        self.device_health = device_health
        self.paper_state = paper_state
        self.stats = stats
        self.online = False
        self.last_success_at: float | None = self._stored_last_success()
        self.changed: Signal[[str]] = Signal("sync.changed")
        # listener(documents) with the signed remote commands of a heartbeat answer (kiosk.commands)
        self.commands_received: Signal[[list[Any]]] = Signal("sync.commands_received")
        self._wake = threading.Event()
        self._cycle_lock = threading.Lock()
        self._seen_etag: str | None = None  # last document fetched, applied or not
        self._config_due = False
        self._check_station()
        # This station's open alerts as central last reported them (kiosk.station_alerts).
        self.alerts: list[station_alerts.StationAlert] = station_alerts.loads(
            self.store.get_meta(station_alerts.META))

    # --- public ---------------------------------------------------------------------------
    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)

    def wake(self) -> None:
        """Flush the outbox now (called right after an application). Never blocks."""
        self._wake.set()

    # --- one cycle (also used by `gig-kiosk sync --once`) ---------------------------------
    def run_cycle(self, heartbeat: bool = True) -> CycleReport:
        """Config, jobs, policies, outbox (and a heartbeat) on the calling thread. Raises the
        first ApiError; what completed before it stays applied."""
        with self._cycle_lock, self.api.deadline(self.settings.api.cycle_deadline_s):
            report = CycleReport()
            try:
                report.config = self.sync_config()
                report.jobs = self.sync_jobs()
                report.policies = self.sync_policies()
                sent, pending = self.outbox.flush(self.api)
                report.outbox = {"sent": sent, "pending": pending}
                report.stats = self.send_stats()
                if heartbeat:
                    self.send_heartbeat()
            except ApiError as exc:
                if isinstance(exc, ApiAbandoned):
                    log.error("sync cycle stopped: %s", exc.detail)
                self._connectivity(exc)
                raise
            self._connectivity(None)
            self.last_success_at = time.time()
            self.store.set_meta(META_LAST_SUCCESS, repr(self.last_success_at))
            return report

    def sync_config(self) -> dict[str, Any]:
        rc = self.remote_config
        if not rc.floor_known:
            # No document and no floor (first start, or data_dir lost): learn from central which
            # version is current before accepting any, so an old signed one cannot roll us back.
            self.send_heartbeat()
        etag = self._seen_etag or rc.etag
        raw, new_etag = self.api.station_config(self.station_id, etag)
        self._config_due = False
        if raw is None:
            return {"status": "unchanged", "version": rc.version or None}
        if rc.needs_key and self.settings.security.pin_config_key_on_first_use:
            self._pin_county_key(raw)
        radius = rc.current.radius_km
        result = rc.apply(raw)
        self._seen_etag = new_etag if result.status != "applied" else rc.etag
        if result.status == "applied":
            if rc.current.radius_km != radius:
                # The server's delta only reports changes: jobs entering the new radius would
                # never come. Start over with a full sync (reset replaces the cache).
                self.store.set_meta(META_JOBS_CURSOR, "")
            self.changed.emit("config")
        return {"status": result.status, "version": result.version}

    def sync_jobs(self) -> Counts:
        counts = self._sync_resource(
            META_JOBS_CURSOR, "jobs",
            lambda cursor: self.api.jobs_page(self.station_id, cursor, PAGE_LIMIT),
            Job.from_dict, self._apply_jobs,
        )
        counts.total = self.store.count_jobs()
        return counts

    def sync_policies(self) -> Counts:
        counts = self._sync_resource(
            META_POLICIES_CURSOR, "policies",
            lambda cursor: self.api.policies_page(cursor, PAGE_LIMIT),
            Policy.from_dict, self._apply_policies,
        )
        counts.total = self.store.conn.execute("SELECT count(*) FROM policies").fetchone()[0]
        return counts

    def flush_outbox(self) -> tuple[int, int]:
        try:
            result = self.outbox.flush(self.api)
        except ApiError as exc:
            self._connectivity(exc)
            raise
        self._connectivity(None)
        return result

    def send_stats(self) -> dict[str, int]:
        """Hourly counters central has not acknowledged, as absolute values (kiosk.stats):
        a repeat after a lost answer or a crash sets the same numbers again."""
        if self.stats is None:
            return {"sent": 0, "pending": 0}
        return self.stats.deliver(lambda rows: self.api.put_stats(self.station_id, rows), self.max_pages)

    def heartbeat_body(self) -> dict[str, Any]:
        try:
            devices = self.device_health() or {}
            json.dumps(devices)  # must be JSON; a bad entry must not stop heartbeats
        except Exception as exc:
            log.exception("device_health failed")
            devices = {"health": {"state": "error", "detail": type(exc).__name__}}
        devices = _reportable(dict(list(devices.items())[:31]) | {"sync": self._status.as_dict()})
        paper = "unknown"
        try:
            paper = self.paper_state() if self.paper_state else paper_from_health(devices)
        except Exception:
            log.exception("paper_state failed")
        rc = self.remote_config
        return {
            # the release this process runs from (<root>/releases/<V>), else the package version
            "app_version": (update_state.running_release(Path(self.settings.update.root))
                            if self.settings.update.root else None) or __version__,
            "config_version": rc.version or None,
            "rejected_config": ({"version": rc.rejected.version, "reason": printable(rc.rejected.reason)[:500]}
                                if rc.rejected else None),
            "devices": devices,
            "outbox_depth": self.outbox.pending(),
            "paper": paper if paper in ("ok", "low", "out", "unknown") else "unknown",
            # Vitals for central's alerts (clock skew, offline after 3 intervals, backlog, disk).
            "sent_at": dt.datetime.now(dt.UTC).isoformat(),
            "heartbeat_interval_s": self._config().heartbeat_interval_s,
            "outbox_oldest_s": self.outbox.oldest_age_s(),
            **self._disk(),
            # the last release this station rolled back from, and why (kiosk/update/health.py)
            "update_failed": update_health.heartbeat_report(self.settings.update.root),
        }

    def _disk(self) -> dict[str, int]:
        try:
            usage = shutil.disk_usage(self.settings.storage.data_dir)
        except OSError:
            return {}
        return {"disk_free_mb": usage.free // 2**20, "disk_total_mb": usage.total // 2**20}

    def send_heartbeat(self) -> dict[str, Any]:
        ack = self.api.heartbeat(self.station_id, self.heartbeat_body())
        alerts = station_alerts.parse(ack.get("alerts"))
        if alerts != self.alerts:
            self.alerts = alerts
            self.store.set_meta(station_alerts.META, station_alerts.dumps(alerts))
            self.changed.emit("alerts")
        update_state.mark(self.settings.update.root, "sync_ok")  # the update health gate
        latest = ack.get("config_version")
        if isinstance(latest, int):
            self.remote_config.learn_floor(latest)
        rejected = self.remote_config.rejected
        if isinstance(latest, int) and latest > self.remote_config.version and not (
            rejected is not None and rejected.version == latest
        ):
            self._config_due = True  # a newer document is waiting: fetch it now
        commands = ack.get("commands")
        if isinstance(commands, list) and commands:
            self.commands_received.emit(commands)
        return ack

    def full_resync(self) -> CycleReport:
        """A remote `resync` command: forget the cursors and the config ETag, then run a whole
        cycle, so jobs and policies are fetched from the start and replace the cache."""
        with self.store.transaction() as conn:
            self.store.set_meta(META_JOBS_CURSOR, "", conn)
            self.store.set_meta(META_POLICIES_CURSOR, "", conn)
        self._seen_etag = None
        return self.run_cycle(heartbeat=False)

    # --- delta plumbing -------------------------------------------------------------------
    def _sync_resource(self, meta_key: str, kind: str, fetch: Callable[[str | None], dict],
                       parse: Callable[[dict], Any],
                       apply: Callable[[sqlite3.Connection, list, list[str], bool, Counts, set], None],
                       ) -> Counts:
        counts = Counts()
        cursor = self.store.get_meta(meta_key) or None
        first = True
        previous: set[str] = set()  # ids in the cache before a replace, to count deletions
        pages = 1
        page = fetch(cursor)
        # While a page is applied, the next one is already being fetched (one page ahead, on
        # one helper thread): the server builds it while this process parses and writes, so a
        # first sync costs about max(server, kiosk) rather than their sum. A small delta (one
        # page, has_more false) never starts the thread.
        ahead: ThreadPoolExecutor | None = None
        try:
            while True:
                replace = (first and cursor is None) or bool(page["reset"])
                items = []
                for d in page[kind]:
                    try:
                        items.append(parse(d))
                    except (KeyError, TypeError, ValueError):
                        # One bad record must not block the rest of the sync forever.
                        log.warning("sync: skipped malformed %s record %r", kind, str(d.get("id", "?"))[:64]
                                    if isinstance(d, dict) else "?")
                deleted = [str(i) for i in page["deleted"]]
                # The same page would come again forever (a server bug): apply it, then stop.
                stuck = bool(page["has_more"]) and page["cursor"] == (cursor or "")
                following: Future[dict] | None = None
                if page["has_more"] and not stuck and pages < self.max_pages:
                    ahead = ahead or ThreadPoolExecutor(1, thread_name_prefix=f"sync-{kind}-ahead")
                    following = ahead.submit(self._with_deadline(fetch), page["cursor"])
                with self.store.transaction() as conn:
                    if replace:
                        previous |= {r[0] for r in conn.execute(f"SELECT id FROM {kind}")}
                        self.store.clear(kind, conn)
                    apply(conn, items, deleted, replace, counts, previous)
                    self.store.set_meta(meta_key, page["cursor"], conn)
                first = False
                if stuck:
                    raise ApiAbandoned(f"{kind}: has_more but the cursor did not advance")
                cursor = page["cursor"]
                if not page["has_more"]:
                    break
                if following is None:
                    raise ApiAbandoned(f"{kind}: still has_more after {pages} pages; resuming next cycle")
                page = following.result()
                pages += 1
        finally:
            if ahead is not None:  # after an error: the page fetched ahead is dropped unapplied
                ahead.shutdown(wait=True, cancel_futures=True)
        counts.deleted += len(previous)  # replaced away and not sent again
        if counts.added or counts.updated or counts.deleted:
            self.changed.emit(kind)
        return counts

    def _with_deadline(self, fetch: Callable[[str | None], dict]) -> Callable[[str | None], dict]:
        """fetch for another thread, bounded by this thread's cycle deadline (thread-local)."""
        left = self.api.deadline_left()

        def call(cursor: str | None) -> dict:
            if left is None:
                return fetch(cursor)
            with self.api.deadline(left):
                return fetch(cursor)
        return call

    def _count(self, conn: sqlite3.Connection, table: str, ids: list[str], counts: Counts,
               previous: set[str]) -> None:
        existing: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            existing |= {r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)}
        for item_id in ids:
            if item_id in existing or item_id in previous:
                counts.updated += 1
                previous.discard(item_id)
            else:
                counts.added += 1

    def _apply_jobs(self, conn: sqlite3.Connection, jobs: list[Job], deleted: list[str],
                    _replace: bool, counts: Counts, previous: set[str]) -> None:
        self._count(conn, "jobs", [j.id for j in jobs], counts, previous)
        self.store.upsert_jobs(jobs, conn)
        counts.deleted += self.store.delete_jobs(deleted, conn)
        previous.difference_update(deleted)

    def _apply_policies(self, conn: sqlite3.Connection, policies: list[Policy], deleted: list[str],
                        _replace: bool, counts: Counts, previous: set[str]) -> None:
        self._count(conn, "policies", [p.id for p in policies], counts, previous)
        self.store.upsert_policies(policies, conn)
        counts.deleted += self.store.delete_policies(deleted, conn)
        previous.difference_update(deleted)

    def _pin_county_key(self, raw: bytes) -> None:
        try:
            county = json.loads(raw).get("county")
        except (ValueError, AttributeError):
            return  # apply() will reject it and say why
        if isinstance(county, str) and county and (not self.settings.station.county
                                                   or county == self.settings.station.county):
            info = self.api.public_key(county)
            if info.get("algorithm") == "Ed25519" and isinstance(info.get("public_key"), str):
                self.remote_config.pin_key(county, info["public_key"])

    def _check_station(self) -> None:
        """A cache filled for another station id (re-provisioned kiosk) starts over."""
        stored = self.store.get_meta(META_STATION)
        if stored != self.station_id:
            with self.store.transaction() as conn:
                self.store.set_meta(META_JOBS_CURSOR, "", conn)
                self.store.set_meta(META_POLICIES_CURSOR, "", conn)
                self.store.set_meta(META_STATION, self.station_id, conn)

    def _stored_last_success(self) -> float | None:
        try:
            value = self.store.get_meta(META_LAST_SUCCESS)
            return float(value) if value else None
        except ValueError:
            return None

    # --- state and listeners --------------------------------------------------------------
    def _connectivity(self, exc: ApiError | None) -> None:
        was = self.online
        if exc is None:
            self.online = True
            self._set_status(WorkerState.OK)
        else:
            self.online = False
            state = (WorkerState.UNAUTHORISED if isinstance(exc, ApiUnauthorised)
                     else WorkerState.OFFLINE if isinstance(exc, ApiOffline) else WorkerState.ERROR)
            # A refusal (4xx) means the server is there: data is not stale for that reason.
            self.online = not isinstance(exc, ApiUnauthorised | ApiOffline | ApiServerError)
            self._set_status(state, exc.detail[:120])
        if self.online != was:
            log.info("sync: %s", "online" if self.online else "offline")
            self.changed.emit("connectivity")

    def _attempt_failed(self) -> None:
        """A request could not connect or read (its retries may still succeed): say offline
        now, not after the retries and their backoff (issue 18: the strip came ~60 s late).
        The request's outcome sets the final state through _connectivity."""
        if self.online:
            self.online = False
            log.info("sync: offline (a request failed; retrying)")
            self.changed.emit("connectivity")

    # --- the thread -----------------------------------------------------------------------
    def _config(self) -> AppliedConfig:
        return self.remote_config.current

    def run(self) -> None:
        now = time.monotonic()
        next_cycle = next_beat = now
        failures = 0
        while self.running:
            woke = self._wake.is_set()
            self._wake.clear()
            now = time.monotonic()
            try:
                if now >= next_cycle:
                    try:
                        self.run_cycle(heartbeat=False)
                        failures = 0
                        next_cycle = time.monotonic() + self._config().sync_interval_s
                    except ApiError as exc:
                        failures += 1
                        log.warning("sync cycle failed: %s", exc.detail)
                        next_cycle = time.monotonic() + self.backoff(failures)
                elif woke or self._config_due:
                    ok = True
                    if self._config_due:
                        ok = self._guard(self.sync_config)
                    if woke:
                        ok = self._guard(self.flush_outbox) and ok
                    if not ok:
                        # Lost the API between cycles: retry the whole cycle soon, with
                        # backoff, rather than at the next regular interval.
                        failures += 1
                        next_cycle = min(next_cycle, time.monotonic() + self.backoff(failures))
                if time.monotonic() >= next_beat and self.running:
                    beat_ok = self._guard(self.send_heartbeat)
                    next_beat = time.monotonic() + (
                        self._config().heartbeat_interval_s if beat_ok
                        else min(self._config().heartbeat_interval_s, self.backoff(failures + 1)))
                    if not beat_ok:
                        next_cycle = min(next_cycle, time.monotonic() + self.backoff(failures + 1))
                    if beat_ok and self._config_due:
                        continue  # fetch the newer config straight away
            except Exception:  # a bug must not end the sync thread
                log.exception("sync worker error")
                self._set_status(WorkerState.ERROR, "internal error")
                next_cycle = time.monotonic() + self.backoff(failures + 1)
            wait = max(0.0, min(next_cycle, next_beat) - time.monotonic())
            self._wake.wait(wait)

    def _guard(self, call: Callable[[], Any]) -> bool:
        try:
            with self._cycle_lock:
                call()
        except ApiError as exc:
            self._connectivity(exc)
            return False
        self._connectivity(None)
        return True

    def _interrupt(self) -> None:
        self._wake.set()

    def _backoff_cap(self) -> float:
        return float(self._config().sync_interval_s)
