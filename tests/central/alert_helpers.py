"""Shared set-up of the alert tests: fresh stations with real tokens on the seeded server, real
heartbeats through the API, and the evaluation run directly against the server's database."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central.models import Alert, Station
from central.security import hash_token, new_token
from central.services import as_utc, now

# A long interval, so simulated minutes between evaluations never make the station offline.
CLEAN = {"app_version": "1.0", "config_version": 1, "devices": {"printer": {"state": "ok"}},
         "outbox_depth": 0, "paper": "ok", "heartbeat_interval_s": 3600}
_serial = itertools.count()


def new_station(engine: Engine, county: str = "east", prefix: str = "al") -> tuple[str, str]:
    """(station id, token) of a new station of `county`."""
    sid, token = f"{prefix}-{next(_serial)}-{new_token()[:6].lower()}", new_token()
    with Session(engine) as s:
        s.add(Station(id=sid, county=county, name=f"测试驿站 {sid}", name_en=sid, lat=31.3, lng=117.2,
                      token_hash=hash_token(token), config={}, config_version=1))
        s.commit()
    return sid, token


def beat(server: Any, sid: str, token: str, **over: Any) -> dict[str, Any]:
    r = server.client.post(f"/v1/stations/{sid}/heartbeats", headers=server.as_(token), json={**CLEAN, **over})
    assert r.status_code == 200, r.text
    return r.json()


def active(engine: Engine, sid: str) -> dict[str, Alert]:
    with Session(engine) as s:
        rows = s.scalars(select(Alert).where(Alert.station_id == sid, Alert.resolved_at.is_(None))).all()
        s.expunge_all()
    return {a.kind: a for a in rows}


def history(engine: Engine, sid: str, kind: str) -> list[Alert]:
    with Session(engine) as s:
        rows = s.scalars(select(Alert).where(Alert.station_id == sid, Alert.kind == kind).order_by(Alert.id)).all()
        s.expunge_all()
    return list(rows)


def later(minutes: float, start: datetime | None = None) -> datetime:
    return (start or now()) + timedelta(minutes=minutes)


def utc(value: datetime | None) -> datetime | None:
    return as_utc(value)
