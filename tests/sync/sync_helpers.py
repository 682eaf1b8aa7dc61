"""Shared helpers for the sync tests: a restartable reference server, kiosk settings, fixtures
of fictional seekers."""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from stdnum.cn import ric

from central import db
from central.app import create_app
from central.models import Application, ApplicationEvent
from central.security import new_data_key
from central.services import RATE_ENV
from central.testing import start_seeded_server, start_server
from kiosk.netsim import FaultProxy, Request
from kiosk.outbox import Outbox
from kiosk.settings import Settings, from_dict


def fake_id_number(rng: random.Random) -> str:
    """A fictional 18-digit resident ID with a valid GB 11643 check digit."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
    body = f"340102{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def numbered_id_number(n: int) -> str:
    """A fictional resident ID that is different for every n < 14,000,000 (central merges two
    applications of one person to one job, so markers that must all arrive need distinct people)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 1000)
    body = f"340102{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def fake_phone(rng: random.Random) -> str:
    return f"139{rng.randrange(0, 10**8):08d}"


class Central:
    """The reference server on a SQLite file that survives restarts (new port each time)."""

    def __init__(self, tmp: Path) -> None:
        # The sync tests send many applications from one station (chaos, backlogs): lift the
        # per-station rate limit, which tests/central checks on its own.
        os.environ.setdefault(RATE_ENV, "100000/60")
        tmp.mkdir(parents=True, exist_ok=True)
        self.database_url = f"sqlite:///{tmp}/central.db"
        self.key = new_data_key()
        self.base_url, self.seed, self._stop = start_seeded_server(
            self.database_url, data_key=self.key, admin=False)
        self.engine = None
        self.station = self.seed["stations"][0]
        # The county admin: only an admin may change configuration (central/roles.py).
        self.staff = {s["county"]: s for s in self.seed["staff"] if s["role"] == "admin"}
        self.counties = {c["code"]: c for c in self.seed["counties"]}

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def stop(self) -> None:
        self._stop()
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def restart(self, between: Callable[[], None] | None = None) -> None:
        self.stop()
        if between:
            between()
        self.engine = db.make_engine(self.database_url)
        self.base_url, self._stop = start_server(create_app(self.engine, self.key, admin=False))

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

    def staff_client(self, county: str | None = None) -> httpx.Client:
        return self.client(self.staff[county or self.station["county"]]["token"])

    def station_client(self) -> httpx.Client:
        return self.client(self.station["token"])


def kiosk_settings(central: Central, data_dir: Path, base_url: str | None = None,
                   station: dict[str, Any] | None = None, keys: list[str] | None = None,
                   county: str = "", pin: bool = False, **api: Any) -> Settings:
    station = station or central.station
    return from_dict({
        "station": {"id": station["id"], "county": county},
        "api": {"base_url": base_url or central.base_url, "token": station["token"],
                "connect_timeout_s": 1.0, "read_timeout_s": 3.0, **api},
        "storage": {"data_dir": str(data_dir), "outbox_key_file": str(key_file_for(data_dir))},
        "security": {"trusted_config_keys": keys if keys is not None
                     else [central.counties[station["county"]]["public_key"]],
                     "pin_config_key_on_first_use": pin},
    })


def key_file_for(data_dir: Path) -> Path:
    """The outbox key beside data_dir, never in it (as in production: /etc/gig-kiosk)."""
    return Path(data_dir).parent / f"{Path(data_dir).name}-keys" / "outbox.key"


def make_outbox(data_dir: Path) -> Outbox:
    return Outbox(data_dir, key_file_for(data_dir))


def editable(job: dict[str, Any]) -> dict[str, Any]:
    """A job as returned by GET, reduced to what PUT /v1/jobs/{id} accepts (the trust fields of
    issue 16 are central's own, read-only)."""
    return {k: v for k, v in job.items()
            if k not in ("id", "county", "status", "updated_at", "employer_verified", "guidance")}


def apply_at(central: Central, id_number: str, job_id: str, station: dict[str, Any] | None = None,
             name: str = "测试", phone: str = "13900000000") -> str:
    """Registers a (fictional) seeker for a job as a station does; returns central's application id."""
    station = station or central.station
    body = {"job_id": job_id, "station_id": station["id"],
            "seeker": {"id_number": id_number, "name": name, "phone": phone},
            "consent": {"version": "v1", "at": dt.datetime.now(dt.UTC).isoformat()}}
    with central.client(station["token"]) as c:
        r = c.post("/v1/applications", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def erasures(database_url: str) -> dict[str, int]:
    """Withdrawals that took effect at central, per application id: the 'withdrawn' events in
    its history. Checks each such row really is erased (status withdrawn, or a hired / not hired
    outcome kept; erased_at set; the ciphertext gone)."""
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            counted = dict(conn.execute(
                select(ApplicationEvent.application_id, func.count())
                .where(ApplicationEvent.status == "withdrawn").group_by(ApplicationEvent.application_id)).all())
            rows = conn.execute(select(Application.id, Application.status, Application.erased_at,
                                       Application.seeker_enc).where(Application.id.in_(counted))).all()
    finally:
        engine.dispose()
    for app_id, status, erased_at, seeker_enc in rows:
        assert status in ("withdrawn", "hired", "not_hired") and erased_at is not None and not seeker_enc, app_id
    return {k: int(v) for k, v in counted.items()}


def withdraw_requests(proxy: FaultProxy) -> list[Request]:
    """The withdraw requests that reached the server through this proxy."""
    return [r for r in proxy.requests if r.method == "POST" and r.path.endswith("/withdraw")]
