"""Maintenance PIN hashes are per station: one cracked hash must open one station only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import Station

SHARED_PIN = ("another station of the county already has this PIN hash; give each station its own PIN "
              "(gig-kiosk pin-hash) / 该哈希已用于本县另一驿站，请为每个驿站单独设置维护密码")


def station_errors(s: Session, station: Station, overrides: dict[str, Any]) -> dict[str, str]:
    """{"maintenance_pin_hash": why} if the hash is pasted on another station too, else {}."""
    wanted = overrides.get("maintenance_pin_hash")
    if not wanted:
        return {}
    others = s.scalars(select(Station.config).where(Station.county == station.county, Station.id != station.id))
    if any((cfg or {}).get("maintenance_pin_hash") == wanted for cfg in others):
        return {"maintenance_pin_hash": SHARED_PIN}
    return {}
