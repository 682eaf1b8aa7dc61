"""Remote diagnostics commands from the county (central/commands.py, issue 13).

Commands arrive in heartbeat answers (kiosk.sync `commands_received`). Each is a document
signed with the county key, checked here before anything runs: the signature (the same
trusted key and code as the station config, RemoteConfig.signature_ok), this station's id
and county, its expiry (and a validity of at most a day), and its nonce, which must never have
been seen (kept in data_dir/commands.db, so a restart does not open a replay window). A
refused command is reported as its result ("refused: <reason>"), like a done or failed one.

Accepted commands are queued (also in commands.db) and run by `CommandRunner`, a worker
thread, through handlers by kind. A handler returns an `Outcome`, or raises `Deferred` when
it must not run yet (a screenshot while a seeker's card or phone number is on screen): it is
tried again every second until the command expires. Results wait in commands.db until central
has them. This module imports nothing from screens/ or devices/: the app passes in the
handlers that need the UI or the printer (screens/remote_commands.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kiosk.api import ApiError, ApiRejected, ApiUnauthorised
from kiosk.worker import Worker, WorkerState

log = logging.getLogger(__name__)

KINDS = ("screenshot", "upload_logs", "restart", "resync", "test_print")
CLOCK_SKEW_S = 120  # central's and the kiosk's clocks may differ this much
MAX_VALIDITY_S = 24 * 3600  # central's longest ttl; a longer one is refused
MAX_ATTACHMENT = 4 * 1024 * 1024  # central's limit (central/commands.py MAX_ATTACHMENT)
_COMMAND_ID = re.compile(r"^[0-9a-f-]{36}$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Deferred(Exception):  # noqa: N818 - a signal to try later, not an error
    """Raised by a handler that must not run now; the command is tried again later."""


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    kind: str
    args: dict[str, Any]
    expires_at: float  # unix seconds


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["done", "failed", "refused"]
    detail: str = ""
    attachment_type: str | None = None  # image/png | application/gzip
    data: bytes | None = None
    then: Callable[[], None] | None = None  # run once the result is reported (restart)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "detail": self.detail[:500]}
        if self.data is not None:
            body["attachment_type"] = self.attachment_type
            body["attachment"] = base64.b64encode(self.data).decode("ascii")
        return body


Handler = Callable[[Command], Outcome]


class Refused(Exception):  # noqa: N818
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _time(text: object) -> float | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.timestamp() if at.tzinfo is not None else None


class CommandStore:
    """commands.db: nonces seen, commands accepted but not finished, results not yet reported."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript("""
                CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS queue (id TEXT PRIMARY KEY, command TEXT NOT NULL,
                                                  received_at REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                                                    id TEXT NOT NULL, body TEXT NOT NULL);
            """)

    def claim_nonce(self, nonce: str, expires_at: float, now: float) -> bool:
        """Records the nonce; False if it was seen before. Nonces of commands past their expiry
        (and the skew) are dropped: such a command is refused as expired anyway."""
        with self.lock:
            self.conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now - CLOCK_SKEW_S,))
            try:
                self.conn.execute("INSERT INTO nonces VALUES (?, ?)", (nonce, expires_at))
            except sqlite3.IntegrityError:
                return False
            return True

    def enqueue(self, cmd: Command, now: float) -> None:
        record = json.dumps({"id": cmd.id, "kind": cmd.kind, "args": cmd.args, "expires_at": cmd.expires_at})
        with self.lock:
            self.conn.execute("INSERT OR IGNORE INTO queue VALUES (?, ?, ?)", (cmd.id, record, now))

    def queued(self) -> list[Command]:
        with self.lock:
            rows = self.conn.execute("SELECT command FROM queue ORDER BY received_at").fetchall()
        return [Command(**json.loads(r[0])) for r in rows]

    def finish(self, command_id: str, outcome: Outcome) -> None:
        """The command's result replaces its queue entry, in one transaction."""
        with self.lock:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM queue WHERE id = ?", (command_id,))
            self.conn.execute("INSERT INTO results (id, body) VALUES (?, ?)",
                              (command_id, json.dumps(outcome.body())))
            self.conn.execute("COMMIT")

    def results(self) -> list[tuple[int, str, dict[str, Any]]]:
        """(seq, command id, body), oldest first: a command's result before later reports."""
        with self.lock:
            rows = self.conn.execute("SELECT seq, id, body FROM results ORDER BY seq").fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def reported(self, seq: int) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM results WHERE seq = ?", (seq,))

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class CommandRunner(Worker):
    """Checks incoming command documents, runs them by kind, reports their results."""

    name = "commands"
    FILE = "commands.db"

    def __init__(
        self,
        station_id: str,
        county: str,
        data_dir: Path,
        signature_ok: Callable[[dict[str, Any]], bool],
        report: Callable[[str, dict[str, Any]], object],
        handlers: dict[str, Handler] | None = None,
        clock: Callable[[], float] = time.time,
        poll_s: float = 1.0,
    ) -> None:
        super().__init__()
        self.station_id, self.county = station_id, county
        self.store = CommandStore(Path(data_dir) / self.FILE)
        self.signature_ok, self.report = signature_ok, report
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.clock, self.poll_s = clock, poll_s
        self._wake = threading.Event()
        self._run_lock = threading.Lock()
        self._interrupted()

    # --- receiving (the sync thread) --------------------------------------------------------
    def receive(self, documents: list[Any]) -> None:
        """Check each document: accepted ones are queued, refused ones get a result."""
        for doc in documents:
            found = doc.get("command_id") if isinstance(doc, dict) else None
            command_id = found if isinstance(found, str) and _COMMAND_ID.fullmatch(found) else None
            try:
                cmd = self.check(doc)
            except Refused as exc:
                log.warning("remote command %s refused: %s", command_id or "?", exc.reason)
                if command_id is not None:
                    self.store.finish(command_id, Outcome("refused", exc.reason))
                continue
            log.info("remote command %s (%s) accepted", cmd.id, cmd.kind)
            self.store.enqueue(cmd, self.clock())
        self._wake.set()

    def check(self, doc: Any) -> Command:
        """The command in `doc`, or Refused(reason). The nonce is used up only on success."""
        if not isinstance(doc, dict) or doc.get("type") != "command":
            raise Refused("not a command document")
        if not isinstance(doc.get("command_id"), str) or not _COMMAND_ID.fullmatch(doc["command_id"]):
            raise Refused("missing or invalid command_id")
        if not self.signature_ok(doc):
            raise Refused("bad signature: does not verify with the trusted county key")
        if doc.get("station_id") != self.station_id:
            raise Refused("the command is for another station")
        if self.county and doc.get("county") != self.county:
            raise Refused("the command is for another county")
        issued, expires = _time(doc.get("issued_at")), _time(doc.get("expires_at"))
        if issued is None or expires is None:
            raise Refused("missing or invalid issued_at/expires_at")
        now = self.clock()
        if now > expires + CLOCK_SKEW_S:
            raise Refused("expired")
        if issued > now + CLOCK_SKEW_S:
            raise Refused("issued in the future (check the clock)")
        if expires - issued > MAX_VALIDITY_S:
            raise Refused("valid for longer than a day")
        if doc.get("kind") not in KINDS or not isinstance(doc.get("args"), dict):
            raise Refused("unknown kind")
        nonce = doc.get("nonce")
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise Refused("missing or invalid nonce")
        if not self.store.claim_nonce(nonce, expires, now):
            raise Refused("replayed: this nonce was used before")
        return Command(doc["command_id"], doc["kind"], dict(doc["args"]), expires)

    # --- running (this worker's thread) -----------------------------------------------------
    def run_due(self) -> list[Callable[[], None]]:
        """Runs every queued command whose handler is ready; returns the `then` actions."""
        after: list[Callable[[], None]] = []
        with self._run_lock:
            for cmd in self.store.queued():
                if self.clock() > cmd.expires_at + CLOCK_SKEW_S:
                    self.store.finish(cmd.id, Outcome("failed", "expired before it could run"))
                    continue
                handler = self.handlers.get(cmd.kind)
                if handler is None:
                    self.store.finish(cmd.id, Outcome("failed", f"{cmd.kind} is not available on this station"))
                    continue
                try:
                    outcome = handler(cmd)
                except Deferred:
                    continue
                except Exception as exc:  # a handler's bug is this command's failure, not the thread's
                    log.exception("remote command %s (%s) failed", cmd.id, cmd.kind)
                    outcome = Outcome("failed", f"{type(exc).__name__}")
                if outcome.data is not None and len(outcome.data) > MAX_ATTACHMENT:
                    outcome = Outcome("failed", f"attachment of {len(outcome.data)} bytes is over "
                                                f"{MAX_ATTACHMENT}")
                log.info("remote command %s (%s): %s", cmd.id, cmd.kind, outcome.status)
                self.store.finish(cmd.id, outcome)
                if outcome.then is not None:
                    after.append(outcome.then)
        return after

    def flush(self) -> int:
        """Reports stored results; returns how many central took. Offline: kept for later."""
        sent = 0
        for seq, command_id, body in self.store.results():
            try:
                self.report(command_id, body)
            except ApiRejected as exc:  # central will never take it (e.g. 404): drop, say so
                log.warning("remote command %s: result refused by central: %s", command_id, exc.detail)
            except ApiUnauthorised as exc:
                log.warning("remote command %s: result not accepted: %s", command_id, exc.detail)
                return sent
            except ApiError as exc:
                log.info("remote command results: will retry (%s)", exc.detail)
                return sent
            else:
                sent += 1
            self.store.reported(seq)
        return sent

    def step(self) -> None:
        """One round: run what is due, report, then the after-actions (a restart last)."""
        after = self.run_due()
        self.flush()
        for action in after:
            action()

    def run(self) -> None:
        self._set_status(WorkerState.OK)
        while self.running:
            try:
                self.step()
            except Exception:  # a bug must not end the thread
                log.exception("command runner error")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _interrupt(self) -> None:
        self._wake.set()

    def _interrupted(self) -> None:
        """Commands left running by a restart or crash are reported, not run twice."""
        for cmd in self.store.queued():
            if cmd.kind in ("restart", "resync", "test_print"):
                self.store.finish(cmd.id, Outcome("failed", "interrupted by a restart of the kiosk"))


# --- handlers the kiosk itself provides; the app adds those that need the UI or printer -----


def personal_data_on_screen(screen: str, session: Any) -> bool:
    """True while a visit shows a seeker's card data or phone number (kiosk.session.Session):
    until it is back on the attract screen, nothing of it may be captured."""
    return screen != "attract" and (bool(getattr(session, "identified", False))
                                    or bool(getattr(session, "phone", "")))


def screenshot_handler(capture: Callable[[], bytes | None]) -> Handler:
    """`capture()` runs the check and the capture together (on the UI thread): PNG bytes, or
    None while personal data is on screen, and the command waits."""
    def handle(_cmd: Command) -> Outcome:
        png = capture()
        if png is None:
            raise Deferred
        return Outcome("done", f"{len(png)} bytes", "image/png", png)
    return handle


def logs_handler(log_dir: Path, clock: Callable[[], float] = time.time) -> Handler:
    from kiosk import logbundle

    def handle(cmd: Command) -> Outcome:
        hours = cmd.args.get("hours", 24)
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 72:
            return Outcome("failed", "hours must be 1-72")
        b = logbundle.bundle(log_dir, hours, now=clock(), max_bytes=MAX_ATTACHMENT)
        detail = f"{b.lines} lines of the last {hours} h; {b.remasked} masked again before upload"
        if b.truncated:
            detail += "; older lines left out (size limit)"
        return Outcome("done", detail, "application/gzip", b.data)
    return handle


def resync_handler(full_resync: Callable[[], Any]) -> Handler:
    def handle(_cmd: Command) -> Outcome:
        try:
            report = full_resync()
        except ApiError as exc:
            return Outcome("failed", f"resync stopped: {exc.detail}"[:500])
        d = report.as_dict() if hasattr(report, "as_dict") else {}
        jobs, policies = d.get("jobs", {}), d.get("policies", {})
        return Outcome("done", f"full resync: {jobs.get('total', '?')} jobs, "
                               f"{policies.get('total', '?')} policies; config {d.get('config', {}).get('status', '?')}")
    return handle


def restart_handler(restart: Callable[[], None]) -> Handler:
    """Reports first, then restarts (the systemd unit brings the kiosk back: Restart=always)."""
    def handle(_cmd: Command) -> Outcome:
        return Outcome("done", "restarting the kiosk app", then=restart)
    return handle


def test_print_handler(print_test: Callable[[], Outcome | None]) -> Handler:
    """`print_test()`: None while a visit is in progress (the test page waits), else the
    outcome of printing it."""
    def handle(_cmd: Command) -> Outcome:
        outcome = print_test()
        if outcome is None:
            raise Deferred
        return outcome
    return handle
