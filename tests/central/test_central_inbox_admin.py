"""Follow-up admin pages over HTTP (issue 12): masked inbox scoped to the county, reveal with a
reason (logged), outcomes, the day's call list as CSV and XLSX (clear only with a reason, each
row logged), the access log and its CSV (admins), retention settings. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator

import pytest
from central_helpers import (
    admin_login,
    application,
    csrf_of,
    id_number,
    no_application_rate_limit,  # noqa: F401 - autouse fixture for this module
)
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def logins(server) -> Iterator[dict]:  # noqa: ANN001
    clients = {u: admin_login(server.base_url, u, server.by_user[u]["password"])
               for u in ("east-admin", "east-operator", "east-maint", "west-admin")}
    yield clients
    for c in clients.values():
        c.close()


def apply(server, station: str, job: str, serial: int, name: str, phone: str) -> str:  # noqa: ANN001
    body = application(station, job_id=job, phone=phone, name=name, id_number=id_number(serial))
    r = server.client.post("/v1/applications", json=body, headers={
        **server.as_(server.stations[station]["token"]), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _log(server) -> list[dict]:  # noqa: ANN001
    r = server.client.get("/v1/counties/east/access-log", params={"limit": 1000},
                          headers=server.as_(server.staff["east"]["token"]))
    return r.json()["entries"]


def test_inbox_reveal_and_outcome_pages(server, logins) -> None:  # noqa: ANN001
    east = apply(server, "e-park", "e-007", 501, "页面甲", "13833330001")
    west = apply(server, "w-park", "w-003", 502, "页面乙", "13833330002")
    op = logins["east-operator"]
    page = op.get("/admin/applications")
    assert page.status_code == 200
    assert east in page.text and west not in page.text
    assert "页*甲" in page.text and "138****0001" in page.text
    assert "页面甲" not in page.text and "13833330001" not in page.text
    assert re.search(r'data-count="new">[^<]*<b>\d+</b>', page.text)
    assert logins["east-maint"].get("/admin/applications").status_code == 403
    assert logins["west-admin"].get(f"/admin/applications/{east}").status_code == 404
    assert op.get("/admin/applications/%00x").status_code == 404  # NUL: unknown, not a 500 on PostgreSQL
    assert east not in logins["west-admin"].get("/admin/applications").text
    assert op.get("/admin/applications", params={"status": "hired"}).text.count(east) == 0
    # reveal: a reason is required, the contact is shown once and logged
    csrf = csrf_of(page.text)
    assert op.post(f"/admin/applications/{east}/reveal", data={"csrf": csrf}).status_code == 422
    before = len(_log(server))
    r = op.post(f"/admin/applications/{east}/reveal", data={"csrf": csrf, "reason": "follow_up"})
    assert r.status_code == 200 and "页面甲" in r.text and "13833330001" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert id_number(501) not in r.text
    assert op.get(f"/admin/applications/{east}").text.count("13833330001") == 0  # masked again
    entries = _log(server)
    assert len(entries) == before + 1 and entries[0]["by"] == "east-operator" and entries[0]["action"] == "reveal"
    assert op.post(f"/admin/applications/{east}/reveal", data={"csrf": "bad", "reason": "follow_up"}).status_code == 403
    # outcomes: from the inbox row back to the inbox; an illegal one is a 409 page
    r = op.post(f"/admin/applications/{east}/outcome", data={
        "csrf": csrf, "status": "contacted", "note": "约好面试", "back": "/admin/applications?status=new"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/applications?status=new&saved=1"
    r = op.post(f"/admin/applications/{east}/outcome", data={"csrf": csrf, "status": "contacted",
                                                            "back": "https://evil.example/"})
    assert r.status_code == 409 and "不能这样变更" in r.text
    r = op.post(f"/admin/applications/{east}/outcome", data={"csrf": csrf, "status": "hired",
                                                            "back": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/applications/{east}?saved=1"
    detail = op.get(f"/admin/applications/{east}").text
    assert "约好面试" in detail and "已上岗 Hired" in detail and "east-operator" in detail


def test_call_list_csv_and_xlsx(server, logins) -> None:  # noqa: ANN001
    a = apply(server, "e-park", "e-008", 511, "名单甲", "13833330011")
    b = apply(server, "e-mall", "e-009", 512, "名单乙", "13833330012")
    op = logins["east-operator"]
    csrf = csrf_of(op.get("/admin/applications").text)
    before = len(_log(server))
    masked = op.post("/admin/applications-call-list", data={"csrf": csrf, "format": "csv"})
    assert masked.status_code == 200 and masked.headers["content-type"].startswith("text/csv")
    text = masked.content.decode("utf-8-sig")
    assert "名*甲" in text and "138****0011" in text and "13833330011" not in text
    assert len(_log(server)) == before  # nothing in clear, nothing to log
    clear = op.post("/admin/applications-call-list", data={"csrf": csrf, "format": "csv", "reason": "follow_up"})
    rows = list(csv.reader(io.StringIO(clear.content.decode("utf-8-sig"))))
    assert rows[0][4].startswith("姓名") and rows[0][5].startswith("电话")
    mine = {r[8]: r for r in rows[1:]}
    assert mine[a][4:6] == ["名单甲", "13833330011"] and mine[b][4:6] == ["名单乙", "13833330012"]
    assert all(id_number(511) not in ",".join(r) for r in rows)  # the ID number is never listed
    logged = [e for e in _log(server)[: len(rows) - 1] if e["action"] == "call_list"]
    assert len(logged) == len(rows) - 1 and {a, b} <= {e["application_id"] for e in logged}
    assert "w-" not in clear.content.decode("utf-8-sig")  # another county's applications never
    x = op.post("/admin/applications-call-list", data={"csrf": csrf, "format": "xlsx", "reason": "referral"})
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = list(load_workbook(io.BytesIO(x.content), read_only=True).active.iter_rows(values_only=True))
    assert [list(r) for r in sheet] == rows
    assert logins["east-maint"].post("/admin/applications-call-list", data={"csrf": csrf}).status_code == 403


def test_access_log_page_and_retention_settings(server, logins) -> None:  # noqa: ANN001
    app_id = apply(server, "e-park", "e-000", 521, "记录丙", "13833330021")
    admin = logins["east-admin"]
    csrf = csrf_of(admin.get("/admin/applications").text)
    assert admin.post(f"/admin/applications/{app_id}/reveal", data={"csrf": csrf, "reason": "data_check"}).status_code == 200
    page = admin.get("/admin/access-log")
    assert page.status_code == 200 and app_id in page.text and "核对信息" in page.text
    exported = admin.get("/admin/access-log.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["at", "by", "application_id", "reason", "action", "match_id"]  # match_id: issue 16
    assert ["east-admin", app_id, "data_check", "reveal", ""] in [r[1:] for r in rows]
    assert "记录丙" not in exported.text and "13833330021" not in exported.text
    assert logins["east-operator"].get("/admin/access-log").status_code == 403
    assert logins["east-operator"].get("/admin/access-log.csv").status_code == 403
    assert app_id not in logins["west-admin"].get("/admin/access-log").text
    # retention: shown to staff, saved by an admin only, with field messages
    assert 'value="30"' in admin.get("/admin/retention").text
    op_csrf = csrf_of(logins["east-operator"].get("/admin/applications").text)
    assert logins["east-operator"].post("/admin/retention", data={
        "csrf": op_csrf, "final_days": "5", "max_days": "60"}).status_code == 403
    bad = admin.post("/admin/retention", data={"csrf": csrf, "final_days": "0", "max_days": "x"})
    assert bad.status_code == 422 and "error-final_days" in bad.text and "error-max_days" in bad.text
    ok = admin.post("/admin/retention", data={"csrf": csrf, "final_days": "14", "max_days": "60"})
    assert ok.status_code == 200 and 'id="saved"' in ok.text
    assert 'value="14"' in admin.get("/admin/retention").text
    assert 'value="30"' in logins["west-admin"].get("/admin/retention").text  # per county
