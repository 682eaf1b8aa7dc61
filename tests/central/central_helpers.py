"""Request bodies shared by the central tests (fictional people only)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum.cn import ric

from central.services import RATE_ENV


def id_number(serial: int = 123, birth: str = "19900101", area: str = "340102") -> str:
    base = f"{area}{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")  # it ignores the last character


def application(station_id: str, job_id: str = "e-000", phone: str = "13812345678", **seeker: Any) -> dict:
    return {
        "job_id": job_id,
        "station_id": station_id,
        "seeker": {"id_number": id_number(), "name": "张测试", "phone": phone, **seeker},
        "consent": {"version": "2026-01", "at": datetime.now(UTC).isoformat()},
    }


def job_body(**over: Any) -> dict:
    start = date.today() + timedelta(days=1)
    body = {
        "title": "仓库分拣员", "category": "仓储分拣", "employer": "示例仓储有限公司", "headcount": 5,
        "pay_amount": 22.5, "pay_unit": "hour", "settlement": "daily",
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=2)).isoformat(),
        "daily_hours": "08:00-17:00", "address": "东县示例路1号", "lat": 31.301, "lng": 117.201,
        "contact": "李经理 139-0000-1111", "requirements": {"age_min": 18, "age_max": 50, "notes": ""},
        "valid_through": (start + timedelta(days=2)).isoformat(),
    }
    body.update(over)
    return body


HEARTBEAT = {
    "app_version": "0.1.0", "config_version": 1, "rejected_config": None,
    "devices": {"printer": {"state": "ok"}, "idcard": {"state": "error", "detail": "no reply"}},
    "outbox_depth": 2, "paper": "low",
}


DEMO = Path(__file__).with_name("demo")


class Server:
    def __init__(self, base_url: str, seed: dict[str, Any]) -> None:
        self.base_url = base_url
        self.seed = seed
        self.client = httpx.Client(base_url=base_url, timeout=30)
        st = seed["stations"]
        self.stations = {s["id"]: s for s in st}
        # staff[county] is the county's admin; by_user holds every account (operator, maintainer).
        self.staff = {s["county"]: s for s in seed["staff"] if s["role"] == "admin"}
        self.by_user = {s["username"]: s for s in seed["staff"]}

    def as_(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}


def admin_login(base_url: str, username: str, password: str) -> httpx.Client:
    """A client signed in to the admin pages (sends the login form's hidden fields back)."""
    client = httpx.Client(base_url=base_url, timeout=30)
    page = client.get("/admin/login").text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    r = client.post("/admin/login", data={**hidden, "username": username, "password": password})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture(autouse=True, scope="module")
def no_application_rate_limit() -> Iterator[None]:
    """For a module that makes many applications from one station within seconds: import it
    there (an autouse fixture applies to the module that imports it)."""
    old = os.environ.get(RATE_ENV)
    os.environ[RATE_ENV] = "100000/1"
    yield
    if old is None:
        os.environ.pop(RATE_ENV)
    else:
        os.environ[RATE_ENV] = old
