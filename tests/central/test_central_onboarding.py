"""A county sets itself up: the CLI commands, the admin pages for stations and staff, the
one-time enrolment code exchange and the jobs spreadsheet import (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from central_helpers import admin_login, csrf_of
from sqlalchemy import update

from central import cli, db
from central.models import Station

ENROL_CODE = re.compile(r'id="enrol-code"[^>]*>([A-Z0-9-]+)<')


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, dict | None, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if out.strip() else None), err


def _db_args(database_url: str, tmp_path: Path) -> list[str]:
    return ["--database", database_url, "--data-key-file", str(tmp_path / "data.key")]


def test_cli_builds_a_county_from_an_empty_database(database_url: str, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    d = _db_args(database_url, tmp_path)
    assert run_cli(capsys, "migrate", *d)[0] == 0
    rc, county, _ = run_cli(capsys, "county", "add", *d, "--code", "north", "--name", "北县", "--name-en", "North")
    assert rc == 0 and county["code"] == "north" and len(base64.b64decode(county["public_key"])) == 32
    # The same county again is a no-op with the same key; another name for the code is refused.
    assert run_cli(capsys, "county", "add", *d, "--code", "north", "--name", "北县")[1] == county
    rc, out, err = run_cli(capsys, "county", "add", *d, "--code", "north", "--name", "南县")
    assert (rc, out) == (2, None) and err.count("\n") == 1 and "another name" in err
    rc, out, err = run_cli(capsys, "county", "add", *d, "--code", "No Way", "--name", "x")
    assert rc == 2 and "code:" in err

    rc, staff, _ = run_cli(capsys, "staff", "add", *d, "--county", "north", "--username", "n-admin", "--role", "admin")
    assert rc == 0 and staff["role"] == "admin" and len(staff["password"]) >= 12
    assert run_cli(capsys, "staff", "add", *d, "--county", "north", "--username", "n-admin", "--role", "admin")[0] == 2
    rc, _, err = run_cli(capsys, "staff", "add", *d, "--county", "nowhere", "--username", "x", "--role", "admin")
    assert rc == 2 and "no county 'nowhere'" in err

    rc, st, _ = run_cli(capsys, "station", "add", *d, "--county", "north", "--id", "north-park", "--name", "北公园",
                        "--name-en", "North Park", "--lat", "32.1", "--lng", "117.5")
    assert rc == 0 and set(st) == {"id", "enrol_code", "enrol_expires_at"}
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", st["enrol_code"])
    assert "token" not in json.dumps(st)
    rc, _, err = run_cli(capsys, "station", "add", *d, "--county", "north", "--id", "north-park", "--name", "x",
                         "--lat", "1", "--lng", "1")
    assert rc == 2 and "already exists" in err
    rc, _, err = run_cli(capsys, "station", "add", *d, "--county", "north", "--id", "n2", "--name", "x",
                         "--lat", "91", "--lng", "1")
    assert rc == 2 and "lat:" in err
    rc, _, err = run_cli(capsys, "station", "add", "--database", database_url, "--data-key-file",
                         str(tmp_path / "nokey"), "--county", "north", "--id", "n3", "--name", "x",
                         "--lat", "1", "--lng", "1")
    assert rc == 2 and "not found" in err and err.count("\n") == 1
    # Only the hash of the code is stored.
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        dump = json.dumps([list(map(str, r)) for r in conn.execute(Station.__table__.select())])
    engine.dispose()
    assert st["enrol_code"].replace("-", "") not in dump and st["enrol_code"] not in dump


def _station_by_admin(server, county: str = "east", sid: str = "e-new") -> tuple[httpx.Client, str]:  # noqa: ANN001
    admin = server.staff[county]
    c = admin_login(server.base_url, admin["username"], admin["password"])
    page = c.get("/admin/stations/new").text
    r = c.post("/admin/stations/new", data={"csrf": csrf_of(page), "id": sid, "name": "新驿站",
                                            "name_en": "New", "lat": "31.3", "lng": "117.2"})
    assert r.status_code == 200, r.text[:300]
    assert 'id="enrol-qr"' in r.text and "data:image/svg+xml;base64," in r.text
    return c, ENROL_CODE.search(r.text).group(1)


def test_enrolment_once_and_refusals(server) -> None:  # noqa: ANN001
    api = server.client
    c, code = _station_by_admin(server, sid="e-enrol")
    # A kiosk configured for another station id is told so and the code is not used up.
    r = api.post("/v1/enrol", json={"code": code, "station_id": "e-other"})
    assert r.status_code == 409 and "not used up" in r.json()["detail"]
    r = api.post("/v1/enrol", json={"code": code.lower().replace("-", " "), "station_id": "e-enrol"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["station_id"] == "e-enrol" and body["county"] == "east"
    assert body["public_key"] == next(x for x in server.seed["counties"] if x["code"] == "east")["public_key"]
    assert api.get("/v1/stations/e-enrol/jobs", headers=server.as_(body["token"])).status_code == 200
    # Reused, wrong, malformed, oversize: JSON refusals that name no station.
    r = api.post("/v1/enrol", json={"code": code})
    assert r.status_code == 410 and "already used" in r.json()["detail"]
    r = api.post("/v1/enrol", json={"code": "ABCD-EFGH-JKMN"})
    assert r.status_code == 404 and "e-" not in r.json()["detail"]
    assert api.post("/v1/enrol", json={"code": "short"}).status_code == 400
    assert api.post("/v1/enrol", content=b"{]").status_code == 400
    assert api.post("/v1/enrol", json={"code": "A" * 12, "x": "y" * 2000}).status_code == 413
    # Expired.
    page = c.get("/admin/stations/e-enrol/manage").text
    r = c.post("/admin/stations/e-enrol/enrol-code", data={"csrf": csrf_of(page)})
    fresh = ENROL_CODE.search(r.text).group(1)
    engine = db.make_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(update(Station).where(Station.id == "e-enrol")
                     .values(enrol_expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    engine.dispose()
    r = api.post("/v1/enrol", json={"code": fresh})
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    # A new code did not revoke the enrolled token; rotating does, at once.
    assert api.get("/v1/stations/e-enrol/jobs", headers=server.as_(body["token"])).status_code == 200
    page = c.get("/admin/stations/e-enrol/manage").text
    r = c.post("/admin/stations/e-enrol/rotate", data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and ENROL_CODE.search(r.text)
    assert api.get("/v1/stations/e-enrol/jobs", headers=server.as_(body["token"])).status_code == 401
    second = api.post("/v1/enrol", json={"code": ENROL_CODE.search(r.text).group(1)}).json()
    assert api.get("/v1/stations/e-enrol/jobs", headers=server.as_(second["token"])).status_code == 200
    # Disabling stops the token at once, and a disabled station cannot be given a code.
    page = c.get("/admin/stations/e-enrol/manage").text
    r = c.post("/admin/stations/e-enrol/disable", data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and "已停用" in r.text
    assert api.get("/v1/stations/e-enrol/jobs", headers=server.as_(second["token"])).status_code == 401
    assert c.post("/admin/stations/e-enrol/enrol-code", data={"csrf": csrf_of(page)}).status_code == 409
    row = re.search(r'<tr data-station="e-enrol">.*?</tr>', c.get("/admin/stations").text, re.S).group(0)
    assert "已停用 Disabled" in row


def test_enrol_is_rate_limited_per_address_across_instances(tmp_path: Path) -> None:
    from central.app import create_app
    from central.enrol_api import RateLimit
    from central.security import new_data_key
    from central.testing import start_server

    # Two instances on one database: the failures counted by one limit the other too.
    engine = db.make_engine(f"sqlite:///{tmp_path}/c.db")
    db.migrate(engine)
    key = new_data_key()
    servers = []
    for _ in range(2):
        app = create_app(engine, key, admin=False)
        app.state.enrol_limit = RateLimit(attempts=3, window_s=600)
        servers.append(start_server(app))
    try:
        a, b = (httpx.Client(base_url=url) for url, _ in servers)
        codes = [c.post("/v1/enrol", json={"code": "ABCD-EFGH-JKMN"}).status_code for c in (a, b, a, b)]
        assert codes == [404, 404, 404, 429]
        r = a.post("/v1/enrol", json={"code": "ABCD-EFGH-JKMN"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 500
    finally:
        for _, stop in servers:
            stop()
        engine.dispose()


def test_station_and_staff_pages_are_scoped(server) -> None:  # noqa: ANN001
    station = server.stations["e-park"]
    # Admin pages never accept a station's bearer token: it is a sign-in redirect, nothing done.
    r = server.client.post("/admin/stations/e-park/rotate", headers=server.as_(station["token"]),
                           data={"csrf": "x"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert server.client.get("/v1/stations/e-park/jobs", headers=server.as_(station["token"])).status_code == 200
    # Operator and maintainer: 403 on station and staff management.
    for user in ("east-operator", "east-maint"):
        acct = server.by_user[user]
        c = admin_login(server.base_url, acct["username"], acct["password"])
        csrf = csrf_of(c.get("/admin/stations").text)
        assert c.get("/admin/stations/new").status_code == 403
        assert c.post("/admin/stations/e-park/rotate", data={"csrf": csrf}).status_code == 403
        assert c.get("/admin/staff").status_code == 403
        assert c.post("/admin/staff/new", data={"csrf": csrf, "username": "x", "role": "admin"}).status_code == 403
    # Another county's admin: 404 for this county's station and staff.
    west = server.staff["west"]
    c = admin_login(server.base_url, west["username"], west["password"])
    csrf = csrf_of(c.get("/admin/stations").text)
    assert c.get("/admin/stations/e-park/manage").status_code == 404
    assert c.post("/admin/stations/e-park/rotate", data={"csrf": csrf}).status_code == 404
    east_ids = re.findall(r'/admin/staff/(\d+)/reset', _admin(server).get("/admin/staff").text)
    assert east_ids
    assert c.post(f"/admin/staff/{east_ids[0]}/disable", data={"csrf": csrf}).status_code == 404
    # CSRF on every form.
    e = _admin(server)
    assert e.post("/admin/stations/e-park/enrol-code", data={"csrf": "forged"}).status_code == 403
    assert e.post("/admin/staff/new", data={"csrf": "forged", "username": "y", "role": "admin"}).status_code == 403
    assert server.client.get("/v1/stations/e-park/jobs", headers=server.as_(station["token"])).status_code == 200


def _admin(server, county: str = "east") -> httpx.Client:  # noqa: ANN001
    admin = server.staff[county]
    return admin_login(server.base_url, admin["username"], admin["password"])


def test_staff_one_time_password_reset_and_disable(server) -> None:  # noqa: ANN001
    c = _admin(server)
    page = c.get("/admin/staff").text
    r = c.post("/admin/staff/new", data={"csrf": csrf_of(page), "username": "e-new-op", "role": "operator"})
    assert r.status_code == 200
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', r.text).group(1)
    dup = c.post("/admin/staff/new", data={"csrf": csrf_of(page), "username": "e-new-op", "role": "operator"})
    assert dup.status_code == 422 and "already taken" in dup.text
    # First login: everything leads to the password page until the password is changed.
    op = admin_login(server.base_url, "e-new-op", password)
    r = op.get("/admin/jobs")
    assert r.status_code == 303 and r.headers["location"] == "/admin/password"
    pw_page = op.get("/admin/password").text
    r = op.post("/admin/password", data={"csrf": csrf_of(pw_page), "current": password, "new": "short",
                                         "repeat": "short"})
    assert r.status_code == 422 and "10" in r.text
    r = op.post("/admin/password", data={"csrf": csrf_of(pw_page), "current": password,
                                         "new": "a-long-new-secret", "repeat": "a-long-new-secret"})
    assert r.status_code == 303
    assert op.get("/admin/jobs").status_code == 200
    # Reset: a new one-time password, the open session ends.
    staff_id = re.search(r'data-staff="e-new-op".*?/admin/staff/(\d+)/reset', c.get("/admin/staff").text, re.S).group(1)
    r = c.post(f"/admin/staff/{staff_id}/reset", data={"csrf": csrf_of(page)})
    again = re.search(r'id="one-time-password"[^>]*>([^<]+)<', r.text).group(1)
    assert again != password
    assert op.get("/admin/jobs").status_code == 303
    op = admin_login(server.base_url, "e-new-op", again)
    assert op.get("/admin/jobs").headers["location"] == "/admin/password"
    # Disable: sessions end, login refused, the API token of a disabled account stops at once.
    maint = server.by_user["east-maint"]
    maint_id = re.search(r'data-staff="east-maint".*?/admin/staff/(\d+)/reset', c.get("/admin/staff").text, re.S).group(1)
    assert server.client.get("/v1/stations/e-park/config", headers=server.as_(maint["token"])).status_code == 200
    m = admin_login(server.base_url, maint["username"], maint["password"])
    r = c.post(f"/admin/staff/{maint_id}/disable", data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and "已停用" in r.text
    assert server.client.get("/v1/stations/e-park/config", headers=server.as_(maint["token"])).status_code == 401
    assert m.get("/admin/stations").status_code == 303
    r = httpx.post(server.base_url + "/admin/login", data={"username": maint["username"],
                                                            "password": maint["password"]})
    assert r.status_code != 303
    r = c.post(f"/admin/staff/{maint_id}/enable", data={"csrf": csrf_of(page)})
    assert server.client.get("/v1/stations/e-park/config", headers=server.as_(maint["token"])).status_code == 200
    # An admin cannot disable themself.
    me_id = re.search(rf'data-staff="{server.staff["east"]["username"]}".*?/admin/staff/(\d+)/reset',
                      c.get("/admin/staff").text, re.S).group(1)
    assert c.post(f"/admin/staff/{me_id}/disable", data={"csrf": csrf_of(page)}).status_code == 409


def jobs_csv(rows: list[dict], headers: list[str] | None = None) -> bytes:
    headers = headers or list(rows[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=headers)
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def job_row(job_id: str, **over: object) -> dict:
    start = date.today() + timedelta(days=1)
    row = {"id": job_id, "title": "分拣员", "category": "仓储", "employer": "示例公司", "headcount": "3",
           "pay_amount": "150", "pay_unit": "day", "settlement": "daily", "start_date": start.isoformat(),
           "end_date": (start + timedelta(days=2)).isoformat(), "daily_hours": "08:00-17:00",
           "address": "东县示例路1号", "lat": "31.30", "lng": "117.20", "contact": "王 139",
           "valid_through": (start + timedelta(days=2)).isoformat()}
    row.update({k: str(v) for k, v in over.items()})
    return row


def test_jobs_import_page(server) -> None:  # noqa: ANN001
    op = server.by_user["east-operator"]
    c = admin_login(server.base_url, op["username"], op["password"])
    page = c.get("/admin/jobs-import").text
    data = jobs_csv([job_row("imp-1"), job_row("imp-2", headcount="0"), job_row("imp-1", title="dup"),
                     job_row("east-imp-3", end_date="2000-01-01")])
    r = c.post("/admin/jobs-import", data={"csrf": csrf_of(page)},
               files={"file": ("jobs.csv", data, "text/csv")})
    assert r.status_code == 200, r.text[:500]
    assert re.search(r'id="n-imported">1<', r.text) and re.search(r'id="n-rejected">3<', r.text)
    href = re.search(r'id="download-rejected"[^>]*href="data:text/csv;charset=utf-8;base64,([^"]+)"', r.text).group(1)
    rejected = list(csv.reader(io.StringIO(base64.b64decode(href).decode("utf-8-sig"))))
    assert [row[0] for row in rejected[1:]] == ["3", "4", "5"] and rejected[0][-1] == "error"
    assert "duplicate of row 2" in rejected[2][-1]
    jobs = c.get("/admin/jobs").text
    assert "east-imp-1" in jobs and "east-imp-2" not in jobs
    # Again: an update, not a copy; CSRF checked; a maintainer may not import.
    r = c.post("/admin/jobs-import", data={"csrf": csrf_of(page)}, files={"file": ("jobs.csv", data, "text/csv")})
    assert re.search(r'id="n-imported">0<', r.text) and re.search(r'id="n-updated">1<', r.text)
    assert c.post("/admin/jobs-import", data={"csrf": "x"}, files={"file": ("j.csv", data)}).status_code == 403
    m = server.by_user["east-maint"]
    mc = admin_login(server.base_url, m["username"], m["password"])
    assert mc.get("/admin/jobs-import").status_code == 403
    r = c.post("/admin/jobs-import", data={"csrf": csrf_of(page)}, files={"file": ("x.pdf", b"%PDF", "application/pdf")})
    assert r.status_code == 422 and "only .csv and .xlsx" in r.text


def test_jobs_import_cli_edges(database_url: str, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    d = _db_args(database_url, tmp_path)
    for code in ("east", "west"):
        assert run_cli(capsys, "county", "add", *d, "--code", code, "--name", code)[0] == 0
    good = tmp_path / "west.csv"
    good.write_bytes(jobs_csv([job_row("west-7")]))
    assert run_cli(capsys, "jobs", "import", *d, "--county", "west", str(good))[1]["imported"] == 1
    # Chinese labels, GB18030 (what Excel on a Chinese Windows saves), option labels in Chinese;
    # an id already used by another county's job is refused for that row only.
    row = job_row("1", pay_unit="按天", settlement="日结")
    from central.jobs_import import LABELS

    labelled = {LABELS[k][0]: v for k, v in row.items()}
    f = tmp_path / "gb.csv"
    f.write_bytes(jobs_csv([labelled]).decode("utf-8").encode("gb18030"))
    rc, out, _ = run_cli(capsys, "jobs", "import", *d, "--county", "east", str(f))
    assert rc == 0 and (out["imported"], out["prefixed"]) == (1, 1) and "prefix" in out["note"]
    clash = tmp_path / "clash.csv"
    clash.write_bytes(jobs_csv([job_row("east-west-7"), job_row("east-8")]))
    engine = db.make_engine(database_url)
    with engine.begin() as conn:
        from central.models import Job

        conn.execute(update(Job).where(Job.id == "west-7").values(id="east-west-7"))
    engine.dispose()
    rc, out, _ = run_cli(capsys, "jobs", "import", *d, "--county", "east", str(clash))
    assert (out["imported"], out["rejected"]) == (1, [{"row": 2, "field": "id",
                                                       "reason": "this id belongs to another county's job"}])
    # Whole-file problems: one line, exit 2, nothing written.
    for content, message in ((b"title,headcount\nx,1\n", "an id column"), (b"id,titel\n1,x\n", "unknown column 'titel'"),
                             (b"", "empty")):
        f.write_bytes(content)
        rc, out, err = run_cli(capsys, "jobs", "import", *d, "--county", "east", str(f))
        assert (rc, out) == (2, None) and message in err and err.count("\n") == 1
    rc, _, err = run_cli(capsys, "jobs", "import", *d, "--county", "nowhere", str(good))
    assert rc == 2 and "no county" in err
    rc, _, err = run_cli(capsys, "jobs", "import", *d, "--county", "east", str(tmp_path / "missing.csv"))
    assert rc == 2 and "missing.csv" in err
