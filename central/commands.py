"""Remote diagnostics commands: staff send a station a signed command, the station answers.

A command document names the station, county, kind, args, issued_at, expires_at and a random
single-use nonce, and is signed with the county's Ed25519 key exactly as config documents are
(security.sign_document; the kiosk checks it with the same code as its config, see
kiosk/commands.py). It travels once, in the next heartbeat answer (state pending -> sent), and
the station reports done | failed | refused with an optional attachment: a PNG screenshot or a
gzip log bundle. A report that comes after the first result (a replay the station refused, or
a copy another station of the county refused) is kept as a note, never over the result.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central import services
from central.models import County, Station, StationCommand
from central.security import sign_document
from central.text import Text

Kind = Literal["screenshot", "upload_logs", "restart", "resync", "test_print"]
KINDS: tuple[str, ...] = ("screenshot", "upload_logs", "restart", "resync", "test_print")
MAX_LOG_HOURS = 72
DEFAULT_TTL_MIN = 30
MAX_TTL_MIN = 24 * 60  # the kiosk refuses documents valid longer than this
MAX_ATTACHMENT = 4 * 1024 * 1024  # raw bytes; base64 in JSON makes the body ~5.4 MB (limits.py)
PER_HEARTBEAT = 10  # commands per heartbeat answer
MAX_NOTES = 20
ATTACHMENT_TYPES = ("image/png", "application/gzip")


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    hours: int | None = Field(None, ge=1, le=MAX_LOG_HOURS, description="upload_logs: the last N hours")
    ttl_minutes: int = Field(DEFAULT_TTL_MIN, ge=1, le=MAX_TTL_MIN, description="refused by the station after this")

    @model_validator(mode="after")
    def _hours(self) -> CommandIn:
        if self.kind == "upload_logs" and self.hours is None:
            self.hours = 24
        if self.kind != "upload_logs" and self.hours is not None:
            raise ValueError("hours is only for upload_logs")
        return self

    def args(self) -> dict[str, Any]:
        return {"hours": self.hours} if self.kind == "upload_logs" else {}


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["done", "failed", "refused"]
    detail: Text = Field("", max_length=500)
    attachment_type: Literal["image/png", "application/gzip"] | None = None
    attachment: str | None = Field(None, max_length=(MAX_ATTACHMENT + 2) // 3 * 4,
                                   description="base64 of the PNG or gzip bundle")

    @model_validator(mode="after")
    def _pair(self) -> ResultIn:
        if (self.attachment is None) != (self.attachment_type is None):
            raise ValueError("attachment and attachment_type go together")
        if self.attachment is not None and self.status != "done":
            raise ValueError("only a done result carries an attachment")
        return self

    def data(self) -> bytes | None:
        if self.attachment is None:
            return None
        try:
            raw = base64.b64decode(self.attachment, validate=True)
        except ValueError:
            raise services.BadId("attachment is not base64", ("body", "attachment")) from None
        magic = b"\x89PNG\r\n\x1a\n" if self.attachment_type == "image/png" else b"\x1f\x8b"
        if not raw.startswith(magic):
            raise services.BadId(f"attachment is not {self.attachment_type}", ("body", "attachment"))
        return raw


def create(session: Session, keyring: services.Keyring, station: Station, body: CommandIn,
           by: str, at: datetime | None = None) -> StationCommand:
    at = at or services.now()
    county = session.get(County, station.county)
    expires = at + timedelta(minutes=body.ttl_minutes)
    command_id, nonce = str(uuid.uuid4()), secrets.token_urlsafe(24)
    payload = {
        "type": "command", "command_id": command_id, "station_id": station.id,
        "county": county.code, "kind": body.kind, "args": body.args(), "nonce": nonce,
        "issued_at": services.iso(at), "expires_at": services.iso(expires),
    }
    document = sign_document(payload, keyring.for_county(county))
    row = StationCommand(
        id=command_id, station_id=station.id, county=county.code, kind=body.kind, args=body.args(),
        nonce=nonce, document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        created_at=at, created_by=by, expires_at=expires, state="pending", result_detail="", notes=[],
    )
    session.add(row)
    session.flush()
    return row


def take_pending(session: Session, station_id: str, at: datetime | None = None) -> list[dict[str, Any]]:
    """The station's unexpired pending commands, marked sent: each goes out once (the station
    refuses a nonce it has seen, so a second copy could only be reported as a replay)."""
    at = at or services.now()
    rows = session.scalars(
        select(StationCommand).where(StationCommand.station_id == station_id,
                                     StationCommand.state == "pending", StationCommand.expires_at > at)
        .order_by(StationCommand.created_at).limit(PER_HEARTBEAT)
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    # Only rows still pending are taken: two concurrent heartbeats cannot both send one.
    taken = session.scalars(
        update(StationCommand).where(StationCommand.id.in_(ids), StationCommand.state == "pending")
        .values(state="sent", sent_at=at).returning(StationCommand.id)
    ).all()
    return [json.loads(r.document) for r in rows if r.id in set(taken)]


def record_result(session: Session, station_id: str, command_id: str, result: ResultIn,
                  county: str, at: datetime | None = None) -> StationCommand:
    """The station's report. Another county's (or unknown) command: NotFound."""
    at = at or services.now()
    row = session.get(StationCommand, command_id)
    if row is None or row.county != county:
        raise services.NotFound("no such command for this station")
    data = result.data()
    if (row.station_id == station_id and row.result_at is not None and row.state == result.status
            and row.result_detail == result.detail and (data is None or data == row.result_data)):
        return row  # the same result again (its answer was lost): nothing new to keep
    first = row.station_id == station_id and row.result_at is None
    if not first:
        if row.station_id != station_id and result.status != "refused":
            raise services.NotFound("no such command for this station")
        # A replay refused, or a copy that reached another station and was refused there:
        # kept for staff to see, the first result stays as it is.
        notes = list(row.notes or [])[-(MAX_NOTES - 1):]
        notes.append({"at": services.iso(at), "station_id": station_id, "status": result.status,
                      "detail": result.detail})
        row.notes = notes
        session.flush()
        return row
    row.state, row.result_at, row.result_detail = result.status, at, result.detail
    if data is not None:
        row.result_type, row.result_data, row.result_size = result.attachment_type, data, len(data)
    session.flush()
    return row


def state_of(row: StationCommand, at: datetime | None = None) -> str:
    """The stored state, with 'expired' for one never answered before its expiry."""
    at = at or services.now()
    if row.state in ("pending", "sent") and services.as_utc(row.expires_at) <= at:
        return "expired"
    return row.state


def as_dict(row: StationCommand, at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": row.id, "station_id": row.station_id, "kind": row.kind, "args": row.args or {},
        "state": state_of(row, at), "created_at": services.iso(services.as_utc(row.created_at)),
        "created_by": row.created_by, "expires_at": services.iso(services.as_utc(row.expires_at)),
        "sent_at": services.iso(services.as_utc(row.sent_at)) if row.sent_at else None,
        "result_at": services.iso(services.as_utc(row.result_at)) if row.result_at else None,
        "result_detail": row.result_detail or "", "attachment_type": row.result_type,
        "attachment_size": row.result_size,
        "notes": row.notes or [],
    }


def attachment_headers(row: StationCommand) -> dict[str, str]:
    """A download, never rendered inline as anything but the image it is."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", row.station_id)
    if row.result_type == "image/png":
        return {"Content-Disposition": f'inline; filename="screenshot-{name}-{row.id[:8]}.png"',
                "Cache-Control": "private, no-store"}
    stamp = services.as_utc(row.result_at or row.created_at).strftime("%Y%m%d-%H%M")
    return {"Content-Disposition": f'attachment; filename="logs-{name}-{stamp}.log.gz"',
            "Cache-Control": "private, no-store"}


def listing(session: Session, station_id: str, limit: int = 50) -> list[StationCommand]:
    return list(session.scalars(
        select(StationCommand).where(StationCommand.station_id == station_id)
        .order_by(StationCommand.created_at.desc()).limit(limit)
    ).all())
