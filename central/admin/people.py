"""Admin pages for a county's own set-up: stations (add, enrolment codes, token rotation,
disable), staff accounts (add, reset password, disable), the first-login password change and
the jobs spreadsheet import. Logic lives in central.onboarding and central.jobs_import.

Secrets are shown once, on the page answering the POST that made them (enrolment codes,
one-time passwords); only their hashes are stored.
"""

from __future__ import annotations

import base64
import io
from typing import Annotated, Any

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import jobs_import, onboarding, services
from central.admin.routes import (
    Db,
    FormData,
    JobEditor,
    StaffManager,
    StationManager,
    check_csrf,
    render,
    session_staff,
)
from central.models import Staff, Station
from central.roles import ROLES
from central.security import verify_password

router = APIRouter(prefix="/admin", include_in_schema=False)
MAX_UPLOAD = 10 * 1024 * 1024  # a 50,000-row sheet is well under this


def qr_svg(text: str) -> str:
    """A data: URI of the QR code as SVG, drawn here (no CDN, no JavaScript)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# -- stations -------------------------------------------------------------------------------------


def _station_page(request: Request, me: Staff, station: Station, status: int = 200,
                  enrolment: onboarding.Enrolment | None = None, note: str = "") -> HTMLResponse:
    now = services.now()
    expires = services.as_utc(station.enrol_expires_at)
    if station.enrol_used_at is not None:
        enrol_state = "used"
    elif expires is not None and expires > now:
        enrol_state = "pending"
    elif expires is not None:
        enrol_state = "expired"
    else:
        enrol_state = "none"
    qr = qr_svg(enrolment.qr_text) if enrolment else None
    return render(request, "station_manage.html", me, status=status, station=station,
                  enrolment=enrolment, qr=qr, enrol_state=enrol_state,
                  expires=expires.strftime("%Y-%m-%d %H:%M UTC") if expires else None, note=note,
                  api_url=str(request.base_url).rstrip("/"))


@router.get("/stations/new")
def station_new(request: Request, me: StationManager) -> HTMLResponse:
    return render(request, "station_new.html", me, form={}, errors={})


@router.post("/stations/new")
def station_create(request: Request, me: StationManager, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    fields = {k: form.get(k, "").strip() for k in ("id", "name", "name_en", "lat", "lng", "address")}
    with request.app.state.sessions() as s:
        try:
            station, enrolment = onboarding.add_station(s, request.app.state.keyring, me.county, fields)
        except onboarding.Invalid as exc:
            return render(request, "station_new.html", me, status=422, form=form,
                          errors={exc.field: str(exc).split(": ", 1)[1]})
        s.commit()
        return _station_page(request, me, station, enrolment=enrolment,
                             note="驿站已添加 / Station added")


@router.get("/stations/{station_id}/manage")
def station_manage(request: Request, station_id: str, s: Db, me: StationManager) -> HTMLResponse:
    return _station_page(request, me, services.in_county(s, Station, station_id, me.county))


@router.post("/stations/{station_id}/{action}")
def station_action(request: Request, station_id: str, action: str, me: StationManager, form: FormData) -> HTMLResponse:
    if action not in ("enrol-code", "rotate", "disable", "enable"):
        raise HTTPException(404, "no such action")
    check_csrf(request, form.get("csrf", ""))
    forget: str | None = None
    enrolment = None
    with request.app.state.sessions() as s:
        station = services.in_county(s, Station, station_id, me.county)
        if action == "enrol-code":
            if station.disabled:
                raise HTTPException(409, "enable the station first")
            enrolment, note = onboarding.new_enrolment(station), "新的注册码 / New enrolment code"
        elif action == "rotate":
            if station.disabled:
                raise HTTPException(409, "enable the station first")
            # The old token stops now; the kiosk gets its new one by enrolling with this code.
            forget = onboarding.revoke_token(station)
            enrolment = onboarding.new_enrolment(station)
            note = "旧令牌已作废，请用新注册码重新注册本机 / Old token revoked: enrol the kiosk with the new code"
        else:
            forget = onboarding.set_station_disabled(station, action == "disable")
            note = "已停用 / Disabled" if action == "disable" else "已启用 / Enabled"
        s.commit()
        if forget:
            request.app.state.tokens.forget(forget)
        return _station_page(request, me, station, enrolment=enrolment, note=note)


# -- staff ----------------------------------------------------------------------------------------


def _staff_page(request: Request, s: Session, me: Staff, status: int = 200, **ctx: Any) -> HTMLResponse:
    rows = s.scalars(select(Staff).where(Staff.county == me.county).order_by(Staff.username)).all()
    ctx.setdefault("form", {"role": "operator"})
    ctx.setdefault("errors", {})
    return render(request, "staff.html", me, status=status, people=rows, roles=ROLES, **ctx)


@router.get("/staff")
def staff_list(request: Request, s: Db, me: StaffManager) -> HTMLResponse:
    return _staff_page(request, s, me)


@router.post("/staff/new")
def staff_create(request: Request, me: StaffManager, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        try:
            staff, password = onboarding.add_staff(s, me.county, form.get("username", "").strip(),
                                                   form.get("role", ""), form.get("display_name", ""))
        except onboarding.Invalid as exc:
            return _staff_page(request, s, me, status=422, form=form,
                               errors={exc.field: str(exc).split(": ", 1)[1]})
        s.commit()
        return _staff_page(request, s, me, shown={"username": staff.username, "password": password})


@router.post("/staff/{staff_id}/{action}")
def staff_action(request: Request, staff_id: int, action: str, me: StaffManager, form: FormData) -> HTMLResponse:
    if action not in ("reset", "disable", "enable"):
        raise HTTPException(404, "no such action")
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        person = services.in_county(s, Staff, staff_id, me.county)
        if person.id == me.id and action == "disable":
            return _staff_page(request, s, me, status=409,
                               errors={"__all__": "不能停用自己 / you cannot disable your own account"})
        shown, forget = None, None
        if action == "reset":
            shown = {"username": person.username, "password": onboarding.reset_password(s, person)}
        else:
            forget = onboarding.set_staff_disabled(s, person, action == "disable")
        s.commit()
        if forget:
            request.app.state.tokens.forget(forget)
        return _staff_page(request, s, me, shown=shown)


# -- own password -----------------------------------------------------------------------------------

Session_ = Annotated[Staff, Depends(session_staff)]


@router.get("/password")
def password_page(request: Request, me: Session_) -> HTMLResponse:
    return render(request, "password.html", me, errors={})


@router.post("/password")
def password_change(request: Request, me: Session_, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        staff = s.get(Staff, me.id)
        if not verify_password(form.get("current", ""), staff.password_hash):
            return render(request, "password.html", me, status=422,
                          errors={"current": "当前密码不对 / the current password is wrong"})
        if form.get("new", "") == form.get("current", ""):
            return render(request, "password.html", me, status=422,
                          errors={"new": "请设置新密码 / choose a new password"})
        try:
            onboarding.change_password(staff, form.get("new", ""), form.get("repeat", ""))
        except onboarding.Invalid as exc:
            return render(request, "password.html", me, status=422,
                          errors={exc.field: str(exc).split(": ", 1)[1]})
        s.commit()
    return RedirectResponse("/admin/stations?password=1", status_code=303)


# -- jobs import ----------------------------------------------------------------------------------


@router.get("/jobs-import")
def import_page(request: Request, me: JobEditor) -> HTMLResponse:
    return render(request, "jobs_import.html", me, result=None, error=None)


@router.post("/jobs-import")
def import_upload(request: Request, me: JobEditor, file: Annotated[UploadFile, File()],
                        csrf: Annotated[str, Form()] = "", dry_run: Annotated[str, Form()] = "") -> HTMLResponse:
    check_csrf(request, csrf)
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return render(request, "jobs_import.html", me, status=413, result=None,
                      error=f"文件太大 / file larger than {MAX_UPLOAD // 1024 // 1024} MB")
    with request.app.state.sessions() as s:
        try:
            result = jobs_import.import_file(s, me.county, data, file.filename or "upload.csv",
                                             dry_run=bool(dry_run))
        except jobs_import.ImportError_ as exc:
            return render(request, "jobs_import.html", me, status=422, result=None, error=str(exc))
        if not dry_run:
            s.commit()
    download = None
    if result.rejected:
        # The rejected rows travel with the page (no server-side state to expire or leak).
        body = ("\ufeff" + result.rejected_csv()).encode("utf-8")  # BOM: Excel opens it as UTF-8
        download = "data:text/csv;charset=utf-8;base64," + base64.b64encode(body).decode("ascii")
    return render(request, "jobs_import.html", me, result=result, summary=result.as_dict(),
                  download=download, filename=file.filename, error=None)
