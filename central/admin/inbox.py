"""Admin pages for the follow-up of applications (issue 12): the inbox (filters, counts per
status, seekers masked), an application's page (reveal with a reason chip, outcome buttons,
history), the day's call list as CSV or XLSX, the access log (admins, with CSV export) and the
county's retention settings. Logic in central.followup.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook
from sqlalchemy import select

from central import followup, retention, services
from central.admin.routes import Db, FormData, Me, allowed, check_csrf, render, templates
from central.models import County, Staff, Station
from central.roles import may
from central.text import has_bad_characters

router = APIRouter(prefix="/admin", include_in_schema=False)
Inbox = Annotated[Staff, Depends(allowed("view_applications"))]
Auditor = Annotated[Staff, Depends(allowed("audit_access"))]
ConfigEditor = Annotated[Staff, Depends(allowed("edit_config"))]
PAGE = 50
LOG_PAGE = 100
_BACK = re.compile(r"^/admin/applications(/[0-9a-f-]{36})?(\?[A-Za-z0-9_=&%.+-]*)?$")
_ITEM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def china_time(value: str | None) -> str:
    """An ISO 8601 UTC time as staff read it: Chinese local time, to the minute."""
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(followup.CHINA).strftime("%Y-%m-%d %H:%M")


templates.env.filters["china_time"] = china_time


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(status: str | None, station: str | None, job: str | None, day: str | None) -> followup.Filters:
    """Only values that can be valid reach the query; anything else is no filter."""
    return followup.Filters(
        status=status if status in followup.STATUSES else None,
        station_id=station if station and _ITEM.fullmatch(station) else None,
        job_id=job if job and _ITEM.fullmatch(job) else None,
        day=_day(day))


def _query(f: followup.Filters, **over: Any) -> str:
    params = {"status": f.status, "station": f.station_id, "job": f.job_id,
              "day": f.day.isoformat() if f.day else None, **over}
    return urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})


@router.get("/applications")
def inbox_page(request: Request, s: Db, me: Inbox, status: str | None = None, station: str | None = None,
               job: str | None = None, day: str | None = None, page: int = 0) -> HTMLResponse:
    f = _filters(status, station, job, day)
    page = max(0, min(page, 10_000))
    data = followup.inbox(s, request.app.state.cipher, me.county, f, PAGE, page * PAGE)
    stations = s.scalars(select(Station).where(Station.county == me.county).order_by(Station.id)).all()
    here = "/admin/applications" + (f"?{q}" if (q := _query(f, page=page)) else "")
    return render(request, "inbox.html", me, data=data, f=f, stations=stations, page=page, pages=PAGE,
                  query=lambda **over: _query(f, **over), back=here, labels=followup.LABELS,
                  statuses=followup.STATUSES, next_of=followup.NEXT, reasons=followup.REASONS,
                  today=followup.china_today().isoformat(), may_reveal=may(me.role, "reveal_contact"))


def _detail(request: Request, s: Db, me: Staff, app_id: str, status: int = 200, contact: dict | None = None,
            error: str = "", saved: bool = False) -> HTMLResponse:
    app = followup.get(s, app_id, me.county)
    item = followup.detail(s, request.app.state.cipher, app)
    return render(request, "application.html", me, status=status, a=item, contact=contact, error=error,
                  saved=saved, labels=followup.LABELS, reasons=followup.REASONS,
                  may_reveal=may(me.role, "reveal_contact"), back=f"/admin/applications/{app.id}")


@router.get("/applications/{app_id}")
def application_page(request: Request, app_id: str, s: Db, me: Inbox, saved: int = 0) -> HTMLResponse:
    return _detail(request, s, me, app_id, saved=bool(saved))


@router.post("/applications/{app_id}/reveal")
def reveal(request: Request, app_id: str, s: Db, me: Inbox, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    if not may(me.role, "reveal_contact"):
        return _detail(request, s, me, app_id, status=403, error="您的角色无权查看联系方式 / your role may not reveal contacts")
    reason = form.get("reason", "")
    if reason not in followup.REASONS:
        return _detail(request, s, me, app_id, status=422, error="请选择查看原因 / choose a reason")
    app = followup.get(s, app_id, me.county)
    try:
        contact = followup.reveal(s, request.app.state.cipher, app, me.username, reason)
    except services.Gone:
        return _detail(request, s, me, app_id, status=410, error="个人信息已删除 / the personal data has been erased")
    s.commit()
    resp = _detail(request, s, me, app_id, contact=contact)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/applications/{app_id}/outcome")
def outcome(request: Request, app_id: str, s: Db, me: Inbox, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    status, note = form.get("status", ""), form.get("note", "").strip()
    back = form.get("back", "")
    if status not in followup.OUTCOMES or len(note) > 500 or has_bad_characters(note.replace("\n", " ")):
        return _detail(request, s, me, app_id, status=422, error="无效的结果或备注 / invalid outcome or note")
    app = followup.get(s, app_id, me.county)
    try:
        followup.set_outcome(s, app, status, note, me.username)
    except services.Conflict as exc:
        return _detail(request, s, me, app_id, status=409, error=f"不能这样变更 / {exc}")
    s.commit()
    if status == "withdrawn":
        retention.scrub(request.app.state.engine)
    target = back if _BACK.fullmatch(back) else f"/admin/applications/{app.id}"
    return RedirectResponse(target + ("&" if "?" in target else "?") + "saved=1", status_code=303)


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    # Spreadsheet formula injection: a cell starting with = + - @ is text, not a formula.
    writer.writerows([["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in r] for r in rows])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _xlsx(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("call list")
    ws.append(list(header))
    for r in rows:
        ws.append(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@router.post("/applications-call-list")
def call_list(request: Request, s: Db, me: Inbox, form: FormData) -> Response:
    """The day's call list. Names and phones in clear only for a role that may reveal them,
    with a reason, and each row is then written to the access log."""
    check_csrf(request, form.get("csrf", ""))
    day = _day(form.get("day")) or followup.china_today()
    fmt = form.get("format", "csv")
    clear = may(me.role, "reveal_contact") and form.get("reason", "") in followup.REASONS
    rows = followup.call_list(s, request.app.state.cipher, me.county, day, clear, me.username,
                              form.get("reason", ""))
    s.commit()
    name = f"call-list-{me.county}-{day.isoformat()}"
    if fmt == "xlsx":
        body, media, name = _xlsx(followup.CALL_COLUMNS, rows), XLSX, name + ".xlsx"
    else:
        body, media, name = _csv(followup.CALL_COLUMNS, rows), "text/csv; charset=utf-8", name + ".csv"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/access-log")
def access_log_page(request: Request, s: Db, me: Auditor, page: int = 0) -> HTMLResponse:
    page = max(0, min(page, 100_000))
    entries = followup.access_log(s, me.county, LOG_PAGE + 1, page * LOG_PAGE)
    return render(request, "access_log.html", me, entries=entries[:LOG_PAGE], more=len(entries) > LOG_PAGE,
                  page=page, reasons=followup.REASONS)


@router.get("/access-log.csv")
def access_log_csv(s: Db, me: Auditor) -> Response:
    entries = followup.access_log(s, me.county, 1_000_000, 0)
    rows = [(e["at"], e["by"], e["application_id"] or "", e["reason"], e["action"], e["match_id"] or "")
            for e in entries]
    body = _csv(("at", "by", "application_id", "reason", "action", "match_id"), rows)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="access-log-{me.county}.csv"'})


def _retention_page(request: Request, me: Staff, county: County, form: dict[str, str],
                    errors: dict[str, str], saved: bool = False, status: int = 200) -> HTMLResponse:
    return render(request, "retention.html", me, county=county, form=form, errors=errors, saved=saved,
                  status=status)


@router.get("/retention")
def retention_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    county = s.get(County, me.county)
    form = {"final_days": str(county.retention_final_days), "max_days": str(county.retention_max_days)}
    return _retention_page(request, me, county, form, {})


@router.post("/retention")
def retention_save(request: Request, s: Db, me: ConfigEditor, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    county = s.get(County, me.county)
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for field, top in (("final_days", 365), ("max_days", 3650)):
        raw = form.get(field, "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            errors[field] = f"请填 1 到 {top} 的整数 / a whole number from 1 to {top}"
        else:
            values[field] = int(raw)
    if errors:
        return _retention_page(request, me, county, form, errors, status=422)
    county.retention_final_days, county.retention_max_days = values["final_days"], values["max_days"]
    s.commit()
    return _retention_page(request, me, county, {k: str(v) for k, v in values.items()}, {}, saved=True)
