"""Issue 16, trust on every job, on SQLite and PostgreSQL: employers verified by staff (USCC
checked with stdnum), guidance wages, and seekers' reports that hide a job after N different
visits until staff uphold or dismiss them. The stations see all of it in their jobs delta."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from central_helpers import admin_login, csrf_of, job_body
from stdnum.cn import uscc

STATION = "e-park"


def uscc_code(serial: int) -> str:
    base = f"91340100MA{serial:07d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture(scope="module")
def admin(server):  # noqa: ANN001, ANN201
    client = admin_login(server.base_url, "east-admin", server.by_user["east-admin"]["password"])
    yield client
    client.close()


def _staff(server) -> dict[str, str]:  # noqa: ANN001
    return server.as_(server.staff["east"]["token"])


def _station(server, station: str = STATION) -> dict[str, str]:  # noqa: ANN001
    return server.as_(server.stations[station]["token"])


def _new_job(server, **over) -> str:  # noqa: ANN001, ANN003
    r = server.client.post("/v1/jobs", json=job_body(**over), headers=_staff(server))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _cursor(server) -> str:  # noqa: ANN001
    since = None
    while True:
        d = _delta(server, since)
        since = d["cursor"]
        if not d["has_more"]:
            return since


def _delta(server, since: str | None) -> dict:  # noqa: ANN001
    params = {"limit": 1000, **({"since": since} if since else {})}
    r = server.client.get(f"/v1/stations/{STATION}/jobs", params=params, headers=_station(server))
    assert r.status_code == 200, r.text
    return r.json()


def _changes(server, since: str) -> tuple[dict[str, dict], set[str], str]:  # noqa: ANN001
    d = _delta(server, since)
    return {j["id"]: j for j in d["jobs"]}, set(d["deleted"]), d["cursor"]


def _report(server, job_id: str, visit: str, reason: str = "fee", key: str | None = None,  # noqa: ANN001
            station: str = STATION, headers: dict | None = None, **over) -> httpx.Response:  # noqa: ANN003
    body = {"station_id": station, "job_id": job_id, "reason": reason, "visit": visit,
            "at": datetime.now(UTC).isoformat(), **over}
    return server.client.post("/v1/job-reports", json=body, headers={
        **(headers if headers is not None else _station(server, station)),
        "Idempotency-Key": key or str(uuid.uuid4())})


def test_employer_code_is_checked_and_verification_reaches_the_stations(server, admin) -> None:  # noqa: ANN001
    name = f"认证测试公司{uuid.uuid4().hex[:6]}"
    job = _new_job(server, employer=name)
    other = _new_job(server)  # another employer: not affected
    since = _cursor(server)
    page = admin.get("/admin/employers")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    good = uscc_code(int(uuid.uuid4().int % 10**7))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = admin.post("/admin/employers", data={"csrf": csrf, "name": name, "uscc": bad})
    assert r.status_code == 422 and 'id="error-uscc"' in r.text and "统一社会信用代码无效" in r.text
    r = admin.post("/admin/employers", data={"csrf": csrf, "name": name, "uscc": good[:9] + " " + good[9:]})
    assert r.status_code == 303 and r.headers["location"].endswith("added-1")  # linked by its name
    r = admin.post("/admin/employers", data={"csrf": csrf, "name": name, "uscc": good})
    assert r.status_code == 422 and "已登记" in r.text
    jobs, _, since = _changes(server, since)
    assert jobs[job]["employer_verified"] is False and other not in jobs

    page = admin.get("/admin/employers").text
    employer_id = page.split(f"<code>{good}</code>")[0].rsplit('data-employer="', 1)[1].split('"')[0]
    r = admin.post(f"/admin/employers/{employer_id}/verify", data={"csrf": csrf, "licence_seen": "on"})
    assert r.status_code == 303
    jobs, _, since = _changes(server, since)
    assert set(jobs) == {job} and jobs[job]["employer_verified"] is True
    assert "✓ 已认证" in admin.get("/admin/employers").text
    # A job added later under the same name is linked with the button, and shows verified.
    later = _new_job(server, employer=name)
    r = admin.post(f"/admin/employers/{employer_id}/link", data={"csrf": csrf})
    assert r.headers["location"].endswith("linked-1")
    jobs, _, since = _changes(server, since)
    assert jobs[later]["employer_verified"] is True
    # Editing the job keeps the link; withdrawing the verification reaches the stations.
    r = server.client.put(f"/v1/jobs/{later}", json=job_body(employer=name, title="改过的"), headers=_staff(server))
    assert r.json()["employer_verified"] is True
    admin.post(f"/admin/employers/{employer_id}/verify", data={"csrf": csrf})
    jobs, _, _ = _changes(server, since)
    assert {j: v["employer_verified"] for j, v in jobs.items()} == {job: False, later: False}


def test_guidance_wage_per_category_and_unit(server, admin) -> None:  # noqa: ANN001
    category = f"保洁{uuid.uuid4().hex[:4]}"
    daily = _new_job(server, category=category, pay_unit="day", pay_amount=100)
    hourly = _new_job(server, category=category, pay_unit="hour", pay_amount=20)
    since = _cursor(server)
    csrf = csrf_of(admin.get("/admin/guidance").text)
    r = admin.post("/admin/guidance", data={"csrf": csrf, "category": category, "pay_unit": "day", "amount": "-5"})
    assert r.status_code == 422 and 'id="error-amount"' in r.text
    r = admin.post("/admin/guidance", data={"csrf": csrf, "category": category, "pay_unit": "day", "amount": "150"})
    assert r.status_code == 303
    jobs, _, since = _changes(server, since)
    assert set(jobs) == {daily}  # only the jobs the wage applies to are sent again
    assert jobs[daily]["guidance"] == {"amount": 150.0, "unit": "day"}
    # A new job of that category and unit carries it at once; another unit has none.
    fresh = _new_job(server, category=category, pay_unit="day", pay_amount=90)
    jobs, _, since = _changes(server, since)
    assert jobs[fresh]["guidance"] == {"amount": 150.0, "unit": "day"}
    r = server.client.get(f"/v1/jobs/{hourly}", headers=_staff(server))
    assert r.json()["guidance"] is None
    # Removing it (blank amount) clears it on the stations.
    admin.post("/admin/guidance", data={"csrf": csrf, "category": category, "pay_unit": "day", "amount": ""})
    jobs, _, _ = _changes(server, since)
    assert set(jobs) == {daily, fresh} and all(j["guidance"] is None for j in jobs.values())


def test_reports_from_different_visits_hide_the_job_until_dismissed(server) -> None:  # noqa: ANN001
    job = _new_job(server)
    since = _cursor(server)
    visits = [uuid.uuid4().hex for _ in range(3)]
    assert _report(server, job, visits[0]).status_code == 201
    assert _report(server, job, visits[0], reason="other").status_code == 201  # same visit: counts once
    assert _report(server, job, visits[1], station="e-mall").status_code == 201
    jobs, deleted, since = _changes(server, since)
    assert job not in deleted
    queue = server.client.get("/v1/counties/east/job-reports", headers=_staff(server)).json()
    mine = next(g for g in queue["jobs"] if g["job_id"] == job)
    assert (mine["reports"], mine["visits"], mine["reasons"], mine["job_status"]) == (
        3, 2, {"fee": 2, "other": 1}, "open")
    assert queue["threshold"] == 3
    r = _report(server, job, visits[2], reason="unpaid_wages")
    assert r.status_code == 201 and r.json()["status"] == "received"
    _, deleted, since = _changes(server, since)
    assert job in deleted  # hidden for review: the stations drop it
    assert server.client.get(f"/v1/jobs/{job}", headers=_staff(server)).json()["status"] == "review"

    r = server.client.post(f"/v1/job-reports/{mine['report_id']}/resolve", json={"decision": "dismiss"},
                           headers=server.as_(server.by_user["east-operator"]["token"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"job_id": job, "job_status": "open", "resolved": 4, "decision": "dismiss"}
    jobs, deleted, since = _changes(server, since)
    assert job in jobs and job not in deleted  # shown again
    # Counting starts afresh after a dismissal: one new report does not hide it.
    _report(server, job, uuid.uuid4().hex)
    _, deleted, since = _changes(server, since)
    assert job not in deleted


def test_upheld_reports_close_the_job(server) -> None:  # noqa: ANN001
    job = _new_job(server)
    since = _cursor(server)
    report_id = _report(server, job, uuid.uuid4().hex).json()["id"]
    r = server.client.post(f"/v1/job-reports/{report_id}/resolve", json={"decision": "uphold"},
                           headers=_staff(server))
    assert r.json()["job_status"] == "closed"
    _, deleted, _ = _changes(server, since)
    assert job in deleted
    upheld = server.client.get("/v1/counties/east/job-reports?status=upheld", headers=_staff(server)).json()
    assert job in {g["job_id"] for g in upheld["jobs"]}


def test_report_threshold_is_a_county_setting(server, admin) -> None:  # noqa: ANN001
    csrf = csrf_of(admin.get("/admin/guidance").text)
    assert admin.post("/admin/guidance/threshold", data={"csrf": csrf, "threshold": "0"}).status_code == 422
    assert admin.post("/admin/guidance/threshold", data={"csrf": csrf, "threshold": "1"}).status_code == 303
    try:
        job = _new_job(server)
        since = _cursor(server)
        _report(server, job, uuid.uuid4().hex)
        _, deleted, _ = _changes(server, since)
        assert job in deleted
        page = admin.get("/admin/reports").text
        assert f'data-job="{job}"' in page and "待审核（已隐藏）" in page
        assert admin.post("/admin/reports/e-x%00y/resolve", data={"csrf": csrf, "decision": "dismiss"}
                          ).status_code == 404
        r = admin.post(f"/admin/reports/{job}/resolve", data={"csrf": csrf, "decision": "dismiss"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=dismiss")
        assert server.client.get(f"/v1/jobs/{job}", headers=_staff(server)).json()["status"] == "open"
    finally:
        admin.post("/admin/guidance/threshold", data={"csrf": csrf, "threshold": "3"})


def test_report_idempotency(server) -> None:  # noqa: ANN001
    job = _new_job(server)
    key, visit = str(uuid.uuid4()), uuid.uuid4().hex
    body = {"station_id": STATION, "job_id": job, "reason": "fee", "visit": visit,
            "at": "2026-11-29T10:00:00+08:00"}
    first = server.client.post("/v1/job-reports", json=body, headers={**_station(server), "Idempotency-Key": key})
    again = server.client.post("/v1/job-reports", json=body, headers={**_station(server), "Idempotency-Key": key})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = server.client.post("/v1/job-reports", json={**body, "reason": "other"},
                               headers={**_station(server), "Idempotency-Key": key})
    assert other.status_code == 409
    queue = server.client.get("/v1/counties/east/job-reports", headers=_staff(server)).json()
    assert next(g for g in queue["jobs"] if g["job_id"] == job)["reports"] == 1


def test_report_scoping_and_limits(server) -> None:  # noqa: ANN001
    job = _new_job(server)
    visit = uuid.uuid4().hex
    assert _report(server, job, visit, station="w-park").status_code == 404  # another county's job
    assert _report(server, "e-no-such-job", visit).status_code == 404
    # e-park's token speaking for e-mall: 403; for a west station: 404; staff tokens: 403.
    assert _report(server, job, visit, station="e-mall", headers=_station(server)).status_code == 403
    assert _report(server, job, visit, station="w-park", headers=_station(server)).status_code == 404
    assert _report(server, job, visit, headers=_staff(server)).status_code == 403
    assert _report(server, job, visit, reason="bored").status_code == 422
    assert _report(server, job, "short").status_code == 422
    assert _report(server, job, visit, at="2026-11-29T10:00:00").status_code == 422  # no time zone
    assert _report(server, job, visit, extra="x").status_code == 422
    big = server.client.post("/v1/job-reports", content=b"{" + b" " * 2048 + b"}", headers={
        **_station(server), "Idempotency-Key": "k", "Content-Type": "application/json"})
    assert big.status_code == 413
    report_id = _report(server, job, visit).json()["id"]
    west = server.as_(server.staff["west"]["token"])
    assert server.client.get("/v1/counties/east/job-reports", headers=west).status_code == 404
    assert server.client.get("/v1/counties/east/job-reports", headers=_station(server)).status_code == 403
    maint = server.as_(server.by_user["east-maint"]["token"])
    assert server.client.get("/v1/counties/east/job-reports", headers=maint).status_code == 403
    resolve = f"/v1/job-reports/{report_id}/resolve"
    assert server.client.post(resolve, json={"decision": "dismiss"}, headers=west).status_code == 404
    assert server.client.post(resolve, json={"decision": "dismiss"}, headers=_station(server)).status_code == 403
    assert server.client.post(resolve, json={"decision": "maybe"}, headers=_staff(server)).status_code == 422
    assert server.client.post(resolve, content=b"{" + b" " * 2048 + b"}", headers={
        **_staff(server), "Content-Type": "application/json"}).status_code == 413


def test_trust_pages_by_role(server, admin) -> None:  # noqa: ANN001
    others = {u: admin_login(server.base_url, u, server.by_user[u]["password"])
              for u in ("east-operator", "east-maint")}
    try:
        clients = {"east-admin": admin, **others}
        for path, allowed in [("/admin/employers", {"east-admin"}), ("/admin/guidance", {"east-admin"}),
                              ("/admin/reports", {"east-admin", "east-operator"})]:
            for user, client in clients.items():
                r = client.get(path)
                assert r.status_code == (200 if user in allowed else 403), (user, path, r.status_code)
        nav = others["east-operator"].get("/admin/reports").text
        assert 'id="nav-reports"' in nav and 'id="nav-employers"' not in nav
        csrf = csrf_of(nav)
        r = others["east-operator"].post("/admin/employers", data={"csrf": csrf, "name": "x", "uscc": "y"})
        assert r.status_code == 403
    finally:
        for c in others.values():
            c.close()


def test_jobs_import_links_employers_by_code(server, admin) -> None:  # noqa: ANN001
    from central import db, jobs_import
    from central.models import Employer, Job

    code = uscc_code(int(uuid.uuid4().int % 10**7))
    name = f"导入公司{uuid.uuid4().hex[:6]}"
    body = job_body(employer=name)
    headers = ["id", "统一社会信用代码", *[k for k in body if k != "requirements"]]
    row_id = f"imp{uuid.uuid4().hex[:6]}"
    rows = [[row_id, code, *[body[k] for k in headers[2:]]],
            [row_id + "b", "91340100MA0000000", *[body[k] for k in headers[2:]]]]
    engine = db.make_engine(server.database_url)
    try:
        with db.session_factory(engine)() as s:
            result = jobs_import.import_jobs(s, "east", headers, rows)
            s.commit()
            assert [(r.row, r.field) for r in result.rejected] == [(3, "employer_uscc")]
            job = s.get(Job, f"east-{row_id}")
            employer = s.get(Employer, job.employer_id)
            assert (employer.uscc, employer.name, employer.verified_at) == (code, name, None)
    finally:
        engine.dispose()
