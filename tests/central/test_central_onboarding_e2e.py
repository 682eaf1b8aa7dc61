"""A county's first day, end to end, as real processes (SQLite and PostgreSQL):

migrate → county add → staff add → station add → `gig-central serve` → a kiosk process enrols
by code → jobs imported from a CSV and an XLSX (good, bad and duplicate rows) → the kiosk's
next sync holds exactly the good rows → a county config set by the (first-login) admin in the
admin pages is signed, synced and applied by the kiosk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from central_helpers import admin_login, csrf_of

from central.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def sh(*argv: str, ok: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, env=ENV,
                       timeout=timeout, cwd=ROOT)
    if ok:
        assert p.returncode == 0, (argv, p.returncode, p.stderr[-2000:])
    return p


def central(*argv: str, **kw: object) -> dict:
    p = sh("central.cli", *argv, **kw)
    return json.loads(p.stdout) if p.stdout.strip() else {}


@pytest.fixture
def served(database_url: str, tmp_path: Path):  # noqa: ANN201
    """Empty database → the CLI set-up → a `gig-central serve` subprocess on 127.0.0.1."""
    d = ["--database", database_url, "--data-key-file", str(tmp_path / "central" / "data.key")]
    sh("central.cli", "migrate", *d)
    county = central("county", "add", *d, "--code", "lake", "--name", "湖县", "--name-en", "Lake County")
    staff = central("staff", "add", *d, "--county", "lake", "--username", "lake-admin", "--role", "admin")
    station = central("station", "add", *d, "--county", "lake", "--id", "lake-market", "--name", "湖县集市驿站",
                      "--name-en", "Lake Market", "--lat", "30.50", "--lng", "116.50")
    port = free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "central.cli", "serve", *d, "--port", str(port),
                             "--log-level", "warning", "--no-access-log"],
                            stdout=log, stderr=subprocess.STDOUT, env=ENV, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        time.sleep(0.2)
    yield {"base": base, "d": d, "county": county, "staff": staff, "station": station, "log": tmp_path / "serve.log"}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text(), "server errors in serve.log"


def station_toml(tmp_path: Path, base: str) -> Path:
    p = tmp_path / "kiosk" / "station.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(f"""
[station]
id = "lake-market"
county = "lake"
lat = 30.50
lng = 116.50

[api]
base_url = "{base}"
token_file = "{tmp_path}/kiosk/secrets/token"

[storage]
data_dir = "{tmp_path}/kiosk/data"
""", encoding="utf-8")
    return p


def job(job_id: str, **over: object) -> dict:
    start = date.today() + timedelta(days=2)
    row = {"id": job_id, "title": "装卸工", "category": "搬运", "employer": "湖县物流", "headcount": 4,
           "pay_amount": 180, "pay_unit": "day", "settlement": "daily", "start_date": start.isoformat(),
           "end_date": (start + timedelta(days=3)).isoformat(), "daily_hours": "08:00-17:00",
           "address": "湖县集市路2号", "lat": 30.51, "lng": 116.51, "contact": "赵 138",
           "valid_through": (start + timedelta(days=3)).isoformat()}
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict]) -> Path:
    """The admin form's Chinese labels as headers, real dates and numbers in the cells."""
    from openpyxl import Workbook

    from central.jobs_import import LABELS

    wb = Workbook()
    ws = wb.active
    names = list(rows[0])
    ws.append([LABELS[n][0] for n in names])
    for r in rows:
        ws.append([date.fromisoformat(v) if n.endswith("date") or n == "valid_through" else v
                   for n, v in r.items()])
    wb.save(path)
    return path


def cached_job_ids(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "kiosk" / "data" / "cache.db") as conn:
        return {r[0] for r in conn.execute("SELECT id FROM jobs WHERE status = 'open'")}


def test_a_county_onboards_itself(served: dict, tmp_path: Path) -> None:
    base, d = served["base"], served["d"]
    toml = station_toml(tmp_path, base)
    code = served["station"]["enrol_code"]

    # Plain HTTP is refused unless asked for on loopback; a wrong code is refused, nothing stored.
    p = sh("kiosk.cli", "enrol", "--config", str(toml), code, ok=False)
    assert p.returncode == 2 and "https://" in p.stderr
    p = sh("kiosk.cli", "enrol", "--config", str(toml), "--allow-http", "ZZZZ-ZZZZ-ZZZZ", ok=False)
    assert p.returncode == 2 and "unknown enrolment code" in p.stderr
    assert not (tmp_path / "kiosk" / "secrets" / "token").exists()

    # Enrol for real: token file 0600 outside data_dir, county key pinned, first config applied.
    out = json.loads(sh("kiosk.cli", "enrol", "--config", str(toml), "--allow-http", code).stdout)
    assert out["station_id"] == "lake-market" and out["county"] == "lake"
    assert out["key_id"] == served["county"]["key_id"]
    token_file = tmp_path / "kiosk" / "secrets" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    pin = json.loads((tmp_path / "kiosk" / "data" / "station-config-key.json").read_text())
    assert pin["public_key"] == served["county"]["public_key"]
    assert out["sync"]["config"]["status"] == "applied" and out["sync"]["jobs"]["total"] == 0
    p = sh("kiosk.cli", "enrol", "--config", str(toml), "--allow-http", code, ok=False)
    assert p.returncode == 2 and "already used" in p.stderr

    # Jobs from a CSV (English headers) and an XLSX (Chinese labels).
    csv_rows = [job("lake-001"), job("002", title="保洁员"), job("003", headcount=0),   # bad: headcount
                job("lake-001", title="重复"),                                          # duplicate in file
                job("004", end_date="2000-01-01"), job("005", pay_unit="按小时", pay_amount=25)]
    csv_file = write_csv(tmp_path / "jobs.csv", csv_rows)
    dry = central("jobs", "import", *d, "--county", "lake", "--dry-run", str(csv_file))
    assert dry["imported"] == 3 and dry["dry_run"] is True
    first = central("jobs", "import", *d, "--county", "lake", str(csv_file))
    assert (first["imported"], first["updated"]) == (3, 0)
    assert [(r["row"], r["field"]) for r in first["rejected"]] == [(4, "headcount"), (5, "id"), (6, "__all__")]
    assert first["prefixed"] == 2
    again = central("jobs", "import", *d, "--county", "lake", str(csv_file))
    assert (again["imported"], again["updated"]) == (0, 3)
    xlsx_rows = [job("lake-010", title="搬运工"), job("011", lat=95), job("lake-002", title="保洁员（更新）")]
    xlsx = central("jobs", "import", *d, "--county", "lake", str(write_xlsx(tmp_path / "jobs.xlsx", xlsx_rows)))
    assert (xlsx["imported"], xlsx["updated"]) == (1, 1) and [r["row"] for r in xlsx["rejected"]] == [3]

    # The kiosk's next sync: exactly the good rows.
    report = json.loads(sh("kiosk.cli", "sync", "--once", "--config", str(toml)).stdout)
    assert report["jobs"]["total"] == 4
    assert cached_job_ids(tmp_path) == {"lake-001", "lake-002", "lake-005", "lake-010"}
    with sqlite3.connect(tmp_path / "kiosk" / "data" / "cache.db") as conn:
        title = conn.execute("SELECT title FROM jobs WHERE id = 'lake-002'").fetchone()[0]
    assert title == "保洁员（更新）"

    # The admin signs in with the one-time password, must set a new one, then sets a county
    # config; the kiosk verifies it with the pinned key and applies it.
    staff = served["staff"]
    c = admin_login(base, staff["username"], staff["password"])
    assert c.get("/admin/county/config").headers["location"] == "/admin/password"
    pw = c.get("/admin/password").text
    r = c.post("/admin/password", data={"csrf": csrf_of(pw), "current": staff["password"],
                                        "new": "lake-admin-new-pass", "repeat": "lake-admin-new-pass"})
    assert r.status_code == 303
    page = c.get("/admin/county/config").text
    r = c.post("/admin/county/config", data={"csrf": csrf_of(page), "banner": "湖县欢迎您"})
    assert r.status_code == 200, r.text[:300]
    report = json.loads(sh("kiosk.cli", "sync", "--once", "--config", str(toml)).stdout)
    # Versions only grow (and survive a central restore: they are time-based), so: newer than
    # the document the kiosk took at enrolment.
    assert report["config"]["status"] == "applied"
    assert report["config"]["version"] > out["sync"]["config"]["version"]
    applied = json.loads((tmp_path / "kiosk" / "data" / "station-config.json").read_text())
    assert applied["config"]["banner"] == "湖县欢迎您" and applied["county"] == "lake"
