"""The outbox's standing registrations (求职登记, issue 16): the same rails as applications.

A registration row is committed (WAL, synchronous=FULL) with its Idempotency-Key and its
reference before the seeker is told; the seeker's fields (card type, ID number, name, phone,
birth date) are AES-256-GCM encrypted under the outbox key with the Idempotency-Key as
associated data; the wants and the consent are not personal and stay readable. A row leaves
only when central answered 201/200 (first time, replayed, or an update of the open one); a
4xx is final and keeps only (reference, outcome). Endings (the seeker ends it at the kiosk;
central then erases the personal data) are rows of their own, keyed the same way. The
outbox's flush sends both after the applications and withdrawals.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.api import ApiRejected

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS standing (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    station_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    wants TEXT NOT NULL,
    consent TEXT NOT NULL,
    created_at REAL NOT NULL,
    seeker BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS standing_done (
    reference TEXT PRIMARY KEY,
    server_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    done_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS standing_ends (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    reg_id TEXT NOT NULL UNIQUE,
    station_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    seeker BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS standing_ends_done (
    reg_id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    status INTEGER,
    done_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class StandingEntry:
    """A registration committed to the outbox; no personal data."""

    reference: str
    idempotency_key: str
    created_at: float


class StandingSender(Protocol):
    def submit_registration(self, idempotency_key: str, body: dict) -> dict: ...
    def end_registration(self, reg_id: str, id_number: str, idempotency_key: str, *,
                         station_id: str) -> dict: ...


class StandingRows:
    """Mixed into kiosk.outbox.Outbox (which provides _conn, _aead and the flush lock)."""

    _aead: AESGCM
    DELIVERED_KEEP_S: int

    def _conn(self) -> sqlite3.Connection:  # provided by Outbox
        raise NotImplementedError

    def _seal(self, data: dict[str, Any], key: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                                          key.encode("ascii"))

    def _open(self, blob: bytes, key: str) -> dict[str, Any]:
        return json.loads(self._aead.decrypt(blob[:12], blob[12:], key.encode("ascii")))

    # --- accept ---------------------------------------------------------------------------
    def submit_standing(self, *, station_id: str, lang: str, seeker: dict[str, str], wants: dict[str, Any],
                        consent: dict[str, Any]) -> StandingEntry:
        """Commit one registration durably (returns after the commit reached the disk)."""
        from kiosk.outbox import new_reference

        key = str(uuid.uuid4())
        blob = self._seal(seeker, key)
        created = time.time()
        conn = self._conn()
        for _ in range(5):  # a reference collision (1 in 2^40) just draws another
            reference = new_reference()
            if conn.execute("SELECT 1 FROM outbox WHERE reference = ?", (reference,)).fetchone():
                continue  # one reference space for applications and registrations
            try:
                conn.execute(
                    "INSERT INTO standing (reference, idempotency_key, station_id, lang, wants, consent,"
                    " created_at, seeker) VALUES (?,?,?,?,?,?,?,?)",
                    (reference, key, station_id, lang, json.dumps(wants, ensure_ascii=False),
                     json.dumps(consent), created, blob))
            except sqlite3.IntegrityError:
                continue
            return StandingEntry(reference, key, created)
        raise RuntimeError("could not allocate a unique reference")

    def cancel_standing(self, reference: str) -> bool:
        """Delete a registration that has not been sent (the seeker ended it before the
        network came back): it never leaves the kiosk. False if it was no longer waiting."""
        from kiosk.outbox import _tx

        conn = self._conn()
        with _tx(conn):
            gone = conn.execute("DELETE FROM standing WHERE reference = ?", (reference,)).rowcount
            if gone:
                conn.execute("INSERT OR REPLACE INTO standing_done (reference, server_id, outcome, status, done_at)"
                             " VALUES (?,?,?,?,?)", (reference, "", "cancelled", None, time.time()))
        if gone:
            self._checkpoint(conn)
        return bool(gone)

    def end_standing(self, *, reg_id: str, station_id: str, id_number: str) -> str:
        """Commit the ending of central's registration `reg_id` (one per registration, whatever
        the taps); returns its Idempotency-Key."""
        conn = self._conn()
        key = str(uuid.uuid4())
        conn.execute("INSERT OR IGNORE INTO standing_ends (idempotency_key, reg_id, station_id, created_at, seeker)"
                     " VALUES (?,?,?,?,?)", (key, str(reg_id), station_id, time.time(),
                                             self._seal({"id_number": id_number}, key)))
        return conn.execute("SELECT idempotency_key FROM standing_ends WHERE reg_id = ?",
                            (str(reg_id),)).fetchone()[0]

    # --- state ----------------------------------------------------------------------------
    def standing_status(self, reference: str) -> str:
        """"pending", "delivered", "rejected", "cancelled" or "unknown"."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM standing WHERE reference = ?", (reference,)).fetchone():
            return "pending"
        row = conn.execute("SELECT outcome FROM standing_done WHERE reference = ?", (reference,)).fetchone()
        return row[0] if row else "unknown"

    def standing_server_id(self, reference: str) -> str:
        """Central's id of a delivered registration ("" while it waits, or unknown)."""
        row = self._conn().execute("SELECT server_id FROM standing_done WHERE reference = ? AND outcome = ?",
                                   (reference, "delivered")).fetchone()
        return row[0] if row else ""

    def standing_end_status(self, reg_id: str) -> str:
        """"pending", "ended" (central confirmed), "refused" or "unknown"."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM standing_ends WHERE reg_id = ?", (str(reg_id),)).fetchone():
            return "pending"
        row = conn.execute("SELECT outcome FROM standing_ends_done WHERE reg_id = ?", (str(reg_id),)).fetchone()
        return row[0] if row else "unknown"

    def standing_pending(self) -> int:
        conn = self._conn()
        return (conn.execute("SELECT count(*) FROM standing").fetchone()[0]
                + conn.execute("SELECT count(*) FROM standing_ends").fetchone()[0])

    # --- deliver (inside Outbox.flush, under its lock) ------------------------------------------------
    def _flush_standing(self, conn: sqlite3.Connection, api: Any, max_items: int | None) -> tuple[int, int]:
        """Send waiting registrations, then endings, oldest first; raises like the
        applications' loop on anything that is not a final answer. Returns (sent, non-zero
        when rows may have left the queue)."""
        from kiosk.outbox import _tx

        sent, touched, last_seq = 0, 0, 0
        if not hasattr(api, "submit_registration"):
            return 0, 0  # an older sender (tests' fakes of the applications API)
        while max_items is None or sent < max_items:
            row = conn.execute("SELECT seq, reference, idempotency_key, station_id, lang, wants, consent, seeker"
                               " FROM standing WHERE seq > ? ORDER BY seq LIMIT 1", (last_seq,)).fetchone()
            if row is None:
                break
            seq, reference, key, station_id, lang, wants, consent, blob = row
            last_seq = touched = seq
            try:
                seeker = self._open(blob, key)
            except Exception:
                self._standing_done(conn, _tx, seq, reference, "", "rejected", None, "cannot decrypt")
                continue
            body = {"station_id": station_id, "reference": reference, "lang": lang, "seeker": seeker,
                    "wants": json.loads(wants), "consent": json.loads(consent)}
            conn.execute("UPDATE standing SET attempts = attempts + 1 WHERE seq = ?", (seq,))
            try:
                answer = api.submit_registration(key, body)
            except ApiRejected as exc:
                self._standing_done(conn, _tx, seq, reference, "", "rejected", exc.status, exc.reason)
                continue
            except Exception as exc:
                conn.execute("UPDATE standing SET last_error = ? WHERE seq = ?", (type(exc).__name__, seq))
                raise
            server_id = str(answer.get("id", ""))
            if not self._standing_done(conn, _tx, seq, reference, server_id, "delivered", 200, ""):
                # The seeker ended it at the kiosk while it was on the wire (cancel_standing took
                # the row): central has it now, so its ending goes out like any other.
                self.end_standing(reg_id=server_id, station_id=station_id, id_number=seeker["id_number"])
                conn.execute("UPDATE standing_done SET outcome = ? WHERE reference = ?", ("cancelled", reference))
            sent += 1
        last_seq = 0
        while max_items is None or sent < max_items:
            row = conn.execute("SELECT seq, idempotency_key, reg_id, station_id, seeker FROM standing_ends"
                               " WHERE seq > ? ORDER BY seq LIMIT 1", (last_seq,)).fetchone()
            if row is None:
                break
            seq, key, reg_id, station_id, blob = row
            last_seq = touched = seq
            try:
                id_number = self._open(blob, key)["id_number"]
            except Exception:
                self._end_done(conn, _tx, seq, reg_id, "refused", None, "cannot decrypt")
                continue
            conn.execute("UPDATE standing_ends SET attempts = attempts + 1 WHERE seq = ?", (seq,))
            try:
                api.end_registration(reg_id, id_number, key, station_id=station_id)
            except ApiRejected as exc:
                self._end_done(conn, _tx, seq, reg_id, "refused", exc.status, exc.reason)
                continue
            except Exception as exc:
                conn.execute("UPDATE standing_ends SET last_error = ? WHERE seq = ?", (type(exc).__name__, seq))
                raise
            self._end_done(conn, _tx, seq, reg_id, "ended", 200, "")
            sent += 1
        keep = time.time() - self.DELIVERED_KEEP_S
        conn.execute("DELETE FROM standing_done WHERE done_at < ?", (keep,))
        conn.execute("DELETE FROM standing_ends_done WHERE done_at < ?", (keep,))
        return sent, touched

    def _standing_done(self, conn: sqlite3.Connection, tx: Any, seq: int, reference: str, server_id: str,
                       outcome: str, status: int | None, reason: str) -> bool:
        """Move the row to standing_done; False if it had already gone (cancelled meanwhile)."""
        if outcome != "delivered":
            log.warning("outbox: registration %s refused (%s): %s", reference, status, reason[:300])
        with tx(conn):
            still = conn.execute("DELETE FROM standing WHERE seq = ?", (seq,)).rowcount
            conn.execute("INSERT OR REPLACE INTO standing_done (reference, server_id, outcome, status, done_at)"
                         " VALUES (?,?,?,?,?)", (reference, server_id, outcome, status, time.time()))
        return bool(still)

    def _end_done(self, conn: sqlite3.Connection, tx: Any, seq: int, reg_id: str, outcome: str,
                  status: int | None, reason: str) -> None:
        if outcome != "ended":
            log.warning("outbox: ending of registration %s refused (%s): %s", reg_id, status, reason[:300])
        with tx(conn):
            conn.execute("DELETE FROM standing_ends WHERE seq = ?", (seq,))
            conn.execute("INSERT OR REPLACE INTO standing_ends_done (reg_id, outcome, status, done_at)"
                         " VALUES (?,?,?,?)", (reg_id, outcome, status, time.time()))

    def _checkpoint(self, conn: sqlite3.Connection) -> None: ...  # provided by Outbox
