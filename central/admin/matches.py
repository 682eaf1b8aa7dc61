"""Admin page of the standing registrations' match list (issue 16): per job, who to call,
best first, with outcome buttons (the follow-up workflow) and reveal (reason chip, logged).
Logic in central.matches."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from central import followup, matches, services
from central.admin.routes import Db, FormData, allowed, check_csrf, render
from central.models import Staff, Station
from central.roles import may
from central.text import has_bad_characters

router = APIRouter(prefix="/admin", include_in_schema=False)
Inbox = Annotated[Staff, Depends(allowed("view_applications"))]
_ITEM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BACK = re.compile(r"^/admin/matches(\?[A-Za-z0-9_=&%.+-]*)?$")


def _filters(status: str | None, station: str | None, job: str | None) -> matches.Filters:
    return matches.Filters(status=status if status in followup.STATUSES else None,
                           station_id=station if station and _ITEM.fullmatch(station) else None,
                           job_id=job if job and _ITEM.fullmatch(job) else None)


def _page(request: Request, s: Db, me: Staff, f: matches.Filters, status: int = 200,
          contact: dict | None = None, error: str = "") -> HTMLResponse:
    cipher = request.app.state.cipher
    groups = matches.by_job(s, cipher, me.county, f.job_id, f.status)
    if f.station_id:
        groups = [(job, [m for m in ms if m["station_id"] == f.station_id]) for job, ms in groups]
        groups = [(job, ms) for job, ms in groups if ms]
    stations = s.scalars(select(Station).where(Station.county == me.county).order_by(Station.id)).all()
    q = urlencode({k: v for k, v in {"status": f.status, "station": f.station_id, "job": f.job_id}.items() if v})
    return render(request, "matches.html", me, status=status, groups=groups, f=f, stations=stations,
                  counts=matches.counts(s, me.county, f), labels=followup.LABELS, statuses=followup.STATUSES,
                  next_of=followup.NEXT, reasons=followup.REASONS, may_reveal=may(me.role, "reveal_contact"),
                  back="/admin/matches" + (f"?{q}" if q else ""), contact=contact, error=error)


@router.get("/matches")
def matches_page(request: Request, s: Db, me: Inbox, status: str | None = None, station: str | None = None,
                 job: str | None = None) -> HTMLResponse:
    return _page(request, s, me, _filters(status, station, job))


@router.get("/matches/{match_id}")
def match_page(match_id: str, s: Db, me: Inbox) -> Response:
    m = matches.get(s, match_id, me.county)
    return RedirectResponse("/admin/matches?" + urlencode({"job": m.job_id}), status_code=303)


@router.post("/matches/{match_id}/reveal")
def reveal(request: Request, match_id: str, s: Db, me: Inbox, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    m = matches.get(s, match_id, me.county)
    f = matches.Filters(job_id=m.job_id)
    if not may(me.role, "reveal_contact"):
        return _page(request, s, me, f, status=403, error="role")
    reason = form.get("reason", "")
    if reason not in followup.REASONS:
        return _page(request, s, me, f, status=422, error="reason")
    try:
        contact = matches.reveal(s, request.app.state.cipher, m, me.username, reason)
    except services.Gone:
        return _page(request, s, me, f, status=410, error="erased")
    s.commit()
    resp = _page(request, s, me, f, contact=contact)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/matches/{match_id}/outcome")
def outcome(request: Request, match_id: str, s: Db, me: Inbox, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    status, note, back = form.get("status", ""), form.get("note", "").strip(), form.get("back", "")
    m = matches.get(s, match_id, me.county)
    f = matches.Filters(job_id=m.job_id)
    if status not in followup.OUTCOMES or len(note) > 500 or has_bad_characters(note.replace("\n", " ")):
        return _page(request, s, me, f, status=422, error="outcome")
    try:
        matches.set_outcome(s, m, status, note, me.username)
    except services.Conflict:
        return _page(request, s, me, f, status=409, error="conflict")
    s.commit()
    target = back if _BACK.fullmatch(back) else "/admin/matches?" + urlencode({"job": m.job_id})
    return RedirectResponse(target + ("&" if "?" in target else "?") + "saved=1", status_code=303)
