"""Demo data: counties, stations, staff, jobs and policies from assets/demo/*.json.

Job dates in jobs.json are relative ("start_in_days", "duration_days", "valid_days") and are
materialised against today's date, so the demo never goes stale.
"""

from __future__ import annotations

import json
import math
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import services, trust
from central.models import County, Staff
from central.schemas import JobIn, PolicyIn
from central.security import hash_password, hash_token, new_token

DEMO_DIR = Path(__file__).resolve().parent.parent / "assets" / "demo"


class AlreadySeeded(Exception):
    pass


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * k) * services.KM_PER_DEG_LAT


def materialise_job(raw: dict[str, Any], today: date) -> JobIn:
    fields = dict(raw)
    start = today + timedelta(days=int(fields.pop("start_in_days", 0)))
    duration = max(1, int(fields.pop("duration_days", 1)))
    valid = int(fields.pop("valid_days", duration))
    fields.pop("status", None)
    fields.pop("county", None)
    fields.update(start_date=start, end_date=start + timedelta(days=duration - 1),
                  valid_through=today + timedelta(days=valid))
    known = set(JobIn.model_fields)
    return JobIn.model_validate({k: v for k, v in fields.items() if k in known})


def seed(
    session: Session, keyring: services.Keyring, demo_dir: Path = DEMO_DIR, today: date | None = None
) -> dict[str, Any]:
    """Creates the demo data in an empty, migrated database; returns the printed JSON."""
    if session.scalars(select(County)).first() is not None:
        raise AlreadySeeded("database already holds counties; seed-demo needs an empty database")
    today = today or date.today()
    geo = json.loads((demo_dir / "stations.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {"stations": [], "staff": [], "counties": []}
    places: list[tuple[tuple[float, float], str]] = []
    for c in geo["counties"]:
        county = services.create_county(session, keyring, c["code"], c["name"], c.get("name_en", ""),
                                         c.get("id_prefix"))
        key = keyring.for_county(county)
        out["counties"].append({
            "code": county.code, "name": county.name, "name_en": county.name_en,
            "key_id": key.key_id, "public_key": _b64(key.public_raw),
        })
        for st in c["stations"]:
            token = new_token()
            station = services.create_station(session, keyring, county, st, token)
            places.append(((station.lat, station.lng), county.code))
            out["stations"].append({
                "id": station.id, "county": county.code, "token": token, "name": station.name,
                "name_en": station.name_en, "lat": station.lat, "lng": station.lng,
            })
        for person in c.get("staff", []):
            token, password = new_token(), secrets.token_urlsafe(9)
            session.add(Staff(
                county=county.code, username=person["username"],
                display_name=person.get("display_name", ""), password_hash=hash_password(password),
                token_hash=hash_token(token), role=person.get("role", "admin"),
                token_rotated_at=services.now(),  # expires after models.STAFF_TOKEN_TTL
            ))
            out["staff"].append({"county": county.code, "token": token, "role": person.get("role", "admin"),
                                 "username": person["username"], "password": password})
    jobs_file = demo_dir / "jobs.json"
    jobs = json.loads(jobs_file.read_text(encoding="utf-8")) if jobs_file.exists() else []
    for raw in jobs:
        job_in = materialise_job(raw, today)
        # Jobs carry no county: they belong to the county of the nearest station.
        county = raw.get("county") or min(places, key=lambda p: _km(p[0], (job_in.lat, job_in.lng)))[1]
        job = services.save_job(session, county, job_in, job_in.id)
        if raw.get("status") == "closed":
            services.close_job(session, job)
    trust_file = demo_dir / "trust.json"  # issue 16: verified employers, guidance wages
    if trust_file.exists():
        trust.seed_demo(session, json.loads(trust_file.read_text(encoding="utf-8")))
    policies_file = demo_dir / "policies.json"
    policies = json.loads(policies_file.read_text(encoding="utf-8")) if policies_file.exists() else []
    if not policies:
        print(f"seed-demo: no policies in {policies_file}", file=sys.stderr)
    known = set(PolicyIn.model_fields)
    for raw in policies:
        # Policies are edited per county, so each county gets its own copy of the demo set.
        for c in out["counties"]:
            fields = PolicyIn.model_validate({k: v for k, v in raw.items() if k in known})
            services.save_policy(session, c["code"], f"{c['code']}-{raw['id']}", fields)
    session.commit()
    out["jobs"] = len(jobs)
    out["policies"] = len(policies) * len(out["counties"])
    return out


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii")
