"""Durable outbox for applications and withdrawals: committed before the seeker is told, sent
exactly once.

Its own SQLite file (WAL, synchronous=FULL: a commit survives power loss) so the re-syncable
cache never shares its durability trade-offs. Each row carries the Idempotency-Key made at
submit time; the server stores the first result per key and replays it, so re-sending after
any crash or lost answer cannot create a second application. A row is deleted only after the
server confirmed it (201, first time or replayed). A 4xx refusal (job closed, unknown job…)
is final: the personal data is deleted and only (reference, job, status, reason) is kept for
reporting. Seeker fields are AES-256-GCM encrypted under a key file created 0600 on first
run; the Idempotency-Key is the associated data, binding each ciphertext to its row.

The key lives OUTSIDE data_dir (`[storage] outbox_key_file`, or the systemd credential
`outbox.key`): a copy of data_dir (a pulled SD card, a backup) holds ciphertext at most, never
the key. Delivered or refused rows are deleted with `secure_delete=ON` (the freed bytes are
zeroed) and the WAL is then checkpointed and truncated, so no old page image with the
ciphertext stays in outbox.db-wal either.

Withdrawals (issue 12: the seeker takes back a registration at the kiosk) ride the same
rails: the row and its Idempotency-Key are committed before the first send, the ID number
(the proof of ownership central checks) is encrypted like an application's seeker fields, the
row leaves only when central answered 200 (first time, replayed, or already withdrawn), a 4xx
is final and keeps only (application id, status) — and the same flush sends them, after the
applications, so the sync worker's backoff and urllib3's keyed retries apply to both.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.api import ApiRejected
from kiosk.outbox_standing import SCHEMA as STANDING_SCHEMA
from kiosk.outbox_standing import StandingRows
from kiosk.settings import Settings

log = logging.getLogger(__name__)

# Crockford base32 without I, L, O, U: easy to read aloud and to copy off a receipt.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    station_id TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    consent_at TEXT NOT NULL,
    created_at REAL NOT NULL,
    seeker BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS rejected (
    reference TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    status INTEGER,
    reason TEXT NOT NULL,
    created_at REAL NOT NULL,
    rejected_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS withdrawals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    app_id TEXT NOT NULL UNIQUE,
    station_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    seeker BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS withdrawals_done (
    app_id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    status INTEGER,
    done_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS job_reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    station_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    visit TEXT NOT NULL,
    at TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS delivered (
    reference TEXT PRIMARY KEY,
    server_id TEXT NOT NULL,
    delivered_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the receipt needs; no personal data."""

    reference: str  # e.g. "K7QD-3M9X"
    idempotency_key: str
    created_at: float  # unix time
    job_id: str


@dataclass(frozen=True, slots=True)
class Rejection:
    reference: str
    job_id: str
    status: int | None
    reason: str  # the server's reason, e.g. "the job is closed"
    rejected_at: float


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal committed to the outbox; no personal data."""

    app_id: str
    idempotency_key: str
    created_at: float


class ApplicationSender(Protocol):
    def submit_application(self, idempotency_key: str, body: dict) -> dict: ...
    def withdraw_application(self, app_id: str, id_number: str, idempotency_key: str, *,
                             station_id: str) -> dict: ...
    def report_job(self, idempotency_key: str, body: dict) -> dict: ...


CREDENTIAL = "outbox.key"  # name of the systemd credential (LoadCredential=outbox.key:...)


def key_path(settings: Settings) -> Path:
    """Where the outbox key is: the systemd credential if the service was given one
    ($CREDENTIALS_DIRECTORY/outbox.key, readable by the service only), else the setting."""
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / CREDENTIAL).is_file():
        return Path(creds) / CREDENTIAL
    return settings.storage.outbox_key_file


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path}: outbox key must be 32 bytes")
    if path.stat().st_mode & 0o077:
        log.error("outbox key %s is readable by other users; make it 0600", path)
    return key


def load_or_create_key(path: Path) -> bytes:
    """32-byte AES key; created atomically with mode 0600 (O_EXCL: two processes starting
    together cannot each write their own key). An existing key is only read (a systemd
    credential is on a read-only file system)."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = AESGCM.generate_key(bit_length=256)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)
    return key


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_reference() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Outbox(StandingRows):
    """Applications waiting for the central API. Safe to call from several threads.
    Standing registrations (issue 16): kiosk/outbox_standing.py."""

    FILE = "outbox.db"
    LEGACY_KEY_FILE = "outbox.key"  # where the key used to be: inside data_dir
    DELIVERED_KEEP_S = 7 * 24 * 3600  # receipts' references stay checkable for a week

    def __init__(self, data_dir: Path, key_file: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = Path(key_file)
        if key_file.resolve().is_relative_to(self.data_dir.resolve()):
            raise ValueError(f"{key_file}: the outbox key must be kept outside data_dir")
        self._aead = AESGCM(load_or_create_key(key_file))
        self.path = self.data_dir / self.FILE
        self._local = threading.local()
        self._flush_lock = threading.Lock()  # one flush at a time (sync thread, sync --once)
        conn = self._conn()
        conn.executescript(_SCHEMA)
        conn.executescript(STANDING_SCHEMA)  # kreg: standing registrations and their endings
        self._migrate_legacy_key(conn)

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbox:
        return cls(settings.storage.data_dir, key_path(settings))

    def _migrate_legacy_key(self, conn: sqlite3.Connection) -> None:
        """Older kiosks kept the key in data_dir: re-encrypt waiting rows under the new key,
        then overwrite and delete the old key file."""
        legacy = self.data_dir / self.LEGACY_KEY_FILE
        try:
            old = AESGCM(_read_key(legacy))
        except (FileNotFoundError, ValueError):
            return
        with _tx(conn):
            rows = conn.execute("SELECT seq, idempotency_key, seeker FROM outbox").fetchall()
            for seq, key, blob in rows:
                try:
                    seeker = old.decrypt(blob[:12], blob[12:], key.encode("ascii"))
                except Exception:
                    continue  # already under the new key (or broken: flush reports it)
                nonce = os.urandom(12)
                conn.execute("UPDATE outbox SET seeker = ? WHERE seq = ?",
                             (nonce + self._aead.encrypt(nonce, seeker, key.encode("ascii")), seq))
        self._checkpoint(conn)
        with open(legacy, "r+b") as f:
            f.write(b"\0" * 32)
            f.flush()
            os.fsync(f.fileno())
        legacy.unlink()
        _fsync_dir(self.data_dir)
        log.warning("outbox: moved the key out of data_dir (%d waiting rows re-encrypted)", len(rows))

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")  # delivered rows' bytes are overwritten
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- accept ---------------------------------------------------------------------------
    def submit(
        self,
        *,
        job_id: str,
        station_id: str,
        id_number: str,
        name: str,
        phone: str,
        consent_version: str,
        consent_at: dt.datetime | str,
    ) -> Entry:
        """Commit one application durably; return only after the commit reached the disk.
        `consent_at`: an aware datetime, or ISO 8601 text with a zone."""
        if isinstance(consent_at, dt.datetime):
            if consent_at.tzinfo is None:
                raise ValueError("consent_at must carry a time zone")
            consent_at = consent_at.isoformat()
        key = str(uuid.uuid4())
        seeker = json.dumps({"id_number": id_number, "name": name, "phone": phone},
                            ensure_ascii=False).encode("utf-8")
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, seeker, key.encode("ascii"))
        created = time.time()
        conn = self._conn()
        for _ in range(5):  # a reference collision (1 in 2^40) just draws another
            reference = new_reference()
            try:
                conn.execute(
                    "INSERT INTO outbox (reference, idempotency_key, job_id, station_id,"
                    " consent_version, consent_at, created_at, seeker) VALUES (?,?,?,?,?,?,?,?)",
                    (reference, key, job_id, station_id, consent_version, consent_at, created, blob),
                )
            except sqlite3.IntegrityError:
                continue
            # autocommit mode: the INSERT is its own transaction, durable on return (FULL).
            return Entry(reference, key, created, job_id)
        raise RuntimeError("could not allocate a unique reference")

    def withdraw(self, *, app_id: str, station_id: str, id_number: str) -> Withdrawal:
        """Commit the withdrawal of central's application `app_id` durably (key first, then
        any send). A second call for the same application while it waits returns the same
        row: one withdrawal per application, whatever the taps."""
        app_id = str(app_id)
        conn = self._conn()
        key = str(uuid.uuid4())
        nonce = os.urandom(12)
        seeker = json.dumps({"id_number": id_number}).encode("utf-8")
        blob = nonce + self._aead.encrypt(nonce, seeker, key.encode("ascii"))
        created = time.time()
        conn.execute(
            "INSERT OR IGNORE INTO withdrawals (idempotency_key, app_id, station_id, created_at,"
            " seeker) VALUES (?,?,?,?,?)", (key, app_id, station_id, created, blob))
        row = conn.execute("SELECT idempotency_key, created_at FROM withdrawals WHERE app_id = ?",
                           (app_id,)).fetchone()
        return Withdrawal(app_id, row[0], row[1])

    def withdrawal_status(self, app_id: str) -> str:
        """"pending", "withdrawn" (central confirmed), "refused" or "unknown"."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM withdrawals WHERE app_id = ?", (str(app_id),)).fetchone():
            return "pending"
        row = conn.execute("SELECT outcome FROM withdrawals_done WHERE app_id = ?",
                           (str(app_id),)).fetchone()
        return row[0] if row else "unknown"

    # --- state ----------------------------------------------------------------------------
    def pending(self) -> int:
        """Rows waiting to be sent: applications, withdrawals, job reports, standing registrations and their endings."""
        conn = self._conn()
        return (conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
                + conn.execute("SELECT count(*) FROM withdrawals").fetchone()[0]
                + self.reports_pending()
                + self.standing_pending())

    def oldest_age_s(self) -> int:
        """Seconds the oldest unsent row has waited (0 when none): central alerts on a backlog."""
        oldest = self._conn().execute(
            "SELECT min(t) FROM (SELECT min(created_at) AS t FROM outbox"
            " UNION ALL SELECT min(created_at) FROM standing)").fetchone()[0]  # kreg: registrations too
        return max(0, int(time.time() - oldest)) if oldest is not None else 0

    def status_of(self, reference: str) -> str:
        """"pending", "delivered", "rejected" or "unknown" — for a receipt look-up."""
        conn = self._conn()
        for table, state in (("outbox", "pending"), ("delivered", "delivered"), ("rejected", "rejected")):
            if conn.execute(f"SELECT 1 FROM {table} WHERE reference = ?", (reference,)).fetchone():
                return state
        return "unknown"

    def rejections(self) -> list[Rejection]:
        rows = self._conn().execute(
            "SELECT reference, job_id, status, reason, rejected_at FROM rejected ORDER BY rejected_at"
        )
        return [Rejection(*r) for r in rows]

    def rejected_count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM rejected").fetchone()[0]

    # --- deliver --------------------------------------------------------------------------
    def flush(self, api: ApplicationSender, max_items: int | None = None) -> tuple[int, int]:
        """Send pending rows oldest first; returns (sent, pending). Stops at the first error
        that is not the application's own fault (offline, server error, bad token) and
        re-raises it, leaving the row in place for the next flush."""
        sent = 0
        with self._flush_lock:
            conn = self._conn()
            last_seq = 0
            try:
                while max_items is None or sent < max_items:
                    row = conn.execute(
                        "SELECT seq, reference, idempotency_key, job_id, station_id, consent_version,"
                        " consent_at, created_at, seeker FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1",
                        (last_seq,),
                    ).fetchone()
                    if row is None:
                        break
                    seq, reference, key, job_id, station_id, cv, cat, created, blob = row
                    last_seq = seq
                    try:
                        seeker = json.loads(self._aead.decrypt(blob[:12], blob[12:], key.encode("ascii")))
                    except Exception:
                        # Undecryptable (key file replaced): unsendable forever; drop the data.
                        self._reject(conn, seq, reference, job_id, created, None, "cannot decrypt")
                        continue
                    body = {"job_id": job_id, "station_id": station_id, "seeker": seeker,
                            "consent": {"version": cv, "at": cat}}
                    conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))
                    try:
                        answer = api.submit_application(key, body)
                    except ApiRejected as exc:
                        if exc.status == 409:
                            # Key reused with another body: cannot happen for our rows unless the
                            # row was altered; report it like any other refusal.
                            log.error("outbox %s: idempotency conflict", reference)
                        self._reject(conn, seq, reference, job_id, created, exc.status, exc.reason)
                        continue
                    except Exception as exc:
                        conn.execute("UPDATE outbox SET last_error = ? WHERE seq = ?",
                                     (type(exc).__name__, seq))
                        raise
                    with _tx(conn):
                        conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
                        conn.execute(
                            "INSERT OR REPLACE INTO delivered (reference, server_id, delivered_at)"
                            " VALUES (?,?,?)", (reference, str(answer.get("id", "")), time.time()))
                    sent += 1
                left = None if max_items is None else max_items - sent
                sent_w, tried_w = self._flush_withdrawals(conn, api, left)
                sent += sent_w
                last_seq = last_seq or tried_w
                sent += self._flush_reports(conn, api, None if max_items is None else max_items - sent)
                # kreg: standing registrations and their endings (kiosk/outbox_standing.py)
                left = None if max_items is None else max_items - sent
                sent_s, tried_s = self._flush_standing(conn, api, left)
                sent += sent_s
                last_seq = last_seq or tried_s
            finally:
                if last_seq:  # rows left the queue: purge their old page images
                    self._checkpoint(conn)
            conn.execute("DELETE FROM delivered WHERE delivered_at < ?",
                         (time.time() - self.DELIVERED_KEEP_S,))
            conn.execute("DELETE FROM withdrawals_done WHERE done_at < ?",
                         (time.time() - self.DELIVERED_KEEP_S,))
        return sent, self.pending()

    def _flush_withdrawals(self, conn: sqlite3.Connection, api: ApplicationSender,
                           max_items: int | None) -> tuple[int, int]:
        """Send waiting withdrawals oldest first (the caller holds the flush lock); raises
        like the applications' loop on anything that is not a final answer.
        Returns (sent, the last row tried: non-zero when rows may have left the queue)."""
        sent, last_seq = 0, 0
        while max_items is None or sent < max_items:
            row = conn.execute(
                "SELECT seq, idempotency_key, app_id, station_id, seeker FROM withdrawals"
                " WHERE seq > ? ORDER BY seq LIMIT 1", (last_seq,)).fetchone()
            if row is None:
                break
            seq, key, app_id, station_id, blob = row
            last_seq = seq
            try:
                id_number = json.loads(self._aead.decrypt(blob[:12], blob[12:], key.encode("ascii")))["id_number"]
            except Exception:
                self._withdrawal_done(conn, seq, app_id, "refused", None, "cannot decrypt")
                continue
            conn.execute("UPDATE withdrawals SET attempts = attempts + 1 WHERE seq = ?", (seq,))
            try:
                api.withdraw_application(app_id, id_number, key, station_id=station_id)
            except ApiRejected as exc:
                self._withdrawal_done(conn, seq, app_id, "refused", exc.status, exc.reason)
                continue
            except Exception as exc:
                conn.execute("UPDATE withdrawals SET last_error = ? WHERE seq = ?",
                             (type(exc).__name__, seq))
                raise
            self._withdrawal_done(conn, seq, app_id, "withdrawn", 200, "")
            sent += 1
        return sent, last_seq

    def _withdrawal_done(self, conn: sqlite3.Connection, seq: int, app_id: str, outcome: str,
                         status: int | None, reason: str) -> None:
        if outcome != "withdrawn":
            log.warning("outbox: withdrawal of application %s refused (%s): %s", app_id, status, reason)
        with _tx(conn):
            conn.execute("DELETE FROM withdrawals WHERE seq = ?", (seq,))
            conn.execute("INSERT OR REPLACE INTO withdrawals_done (app_id, outcome, status, done_at)"
                         " VALUES (?,?,?,?)", (app_id, outcome, status, time.time()))

    # --- job reports (issue 16, trust) -------------------------------------------------------
    # "Report this job": no personal data at all (job, reason, a random per-visit id), so the
    # row is stored in clear. Committed before the seeker is thanked; sent after applications
    # and withdrawals; a row leaves on 201 (first time or replayed) or on a final 4xx.

    def report(self, *, job_id: str, station_id: str, reason: str, visit: str,
               at: dt.datetime) -> str:
        """Commit one report durably; returns its Idempotency-Key."""
        if at.tzinfo is None:
            raise ValueError("at must carry a time zone")
        key = str(uuid.uuid4())
        self._conn().execute(
            "INSERT INTO job_reports (idempotency_key, job_id, station_id, reason, visit, at, created_at)"
            " VALUES (?,?,?,?,?,?,?)", (key, job_id, station_id, reason, visit, at.isoformat(), time.time()))
        return key

    def reports_pending(self) -> int:
        return self._conn().execute("SELECT count(*) FROM job_reports").fetchone()[0]

    def _flush_reports(self, conn: sqlite3.Connection, api: ApplicationSender, max_items: int | None) -> int:
        """Send waiting reports oldest first (the caller holds the flush lock); raises like
        the other loops on anything that is not a final answer. Returns how many were sent."""
        sent, last_seq = 0, 0
        while max_items is None or sent < max_items:
            row = conn.execute("SELECT seq, idempotency_key, job_id, station_id, reason, visit, at"
                               " FROM job_reports WHERE seq > ? ORDER BY seq LIMIT 1", (last_seq,)).fetchone()
            if row is None:
                break
            seq, key, job_id, station_id, reason, visit, at = row
            last_seq = seq
            conn.execute("UPDATE job_reports SET attempts = attempts + 1 WHERE seq = ?", (seq,))
            try:
                api.report_job(key, {"station_id": station_id, "job_id": job_id, "reason": reason,
                                     "visit": visit, "at": at})
            except ApiRejected as exc:  # the job is gone, say: nothing to resend
                log.warning("outbox: report of job %s refused (%s): %s", job_id, exc.status, exc.reason)
            except Exception as exc:
                conn.execute("UPDATE job_reports SET last_error = ? WHERE seq = ?", (type(exc).__name__, seq))
                raise
            else:
                sent += 1
            conn.execute("DELETE FROM job_reports WHERE seq = ?", (seq,))
        return sent

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """Copy the WAL into the database and truncate it to 0 bytes: the WAL's old page
        images still hold deleted ciphertext (secure_delete only zeroes the new image)."""
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:  # a reader held the WAL open; the next flush tries again
            log.info("outbox: WAL checkpoint postponed (database busy)")

    def _reject(self, conn: sqlite3.Connection, seq: int, reference: str, job_id: str,
                created: float, status: int | None, reason: str) -> None:
        log.warning("outbox %s: refused by the server (%s): %s", reference, status, reason)
        with _tx(conn):
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            conn.execute(
                "INSERT OR REPLACE INTO rejected (reference, job_id, status, reason, created_at,"
                " rejected_at) VALUES (?,?,?,?,?,?)",
                (reference, job_id, status, reason[:300], created, time.time()),
            )


class _tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
