"""Admin pages: login, station health, config editing with history, jobs, policies.

A login sets an HttpOnly, SameSite=Strict session cookie (only its hash is stored); every
form also carries a CSRF token derived from the session. The login form itself, having no
session yet, carries a token signed over a random pre-session cookie (see `login_page`), and
failed logins are throttled per user name and per client address (central.admin.throttle).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central import pins, services, station_config
from central.admin import forms, throttle
from central.headers import cookie_secure
from central.models import (
    AdminSession,
    County,
    CountyConfigVersion,
    Job,
    Policy,
    Staff,
    Station,
    StationConfigVersion,
)
from central.roles import Action, may
from central.schemas import JobIn, PolicyIn
from central.security import (
    dummy_password_hash,
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    verify_password,
)
from central.station_config import ConfigPatch

HERE = Path(__file__).parent
COOKIE = "gig_admin"
SESSION_TTL = timedelta(hours=8)
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
router = APIRouter(prefix="/admin", include_in_schema=False)


def static_app() -> StaticFiles:
    return StaticFiles(directory=str(HERE / "static"))


class Login(Exception):
    """Raised by `current_staff` when there is no valid session; handled as a redirect."""


def db(request: Request):  # noqa: ANN201 - generator dependency
    with request.app.state.sessions() as session:
        yield session


Db = Annotated[Session, Depends(db)]


def session_staff(request: Request, s: Db) -> Staff:
    """The signed-in staff member, even one who still has to change a one-time password."""
    token = request.cookies.get(COOKIE)
    if token:
        row = s.get(AdminSession, hash_token(token))
        if row is not None and services.as_utc(row.expires_at) > services.now():
            staff = s.get(Staff, row.staff_id)
            if staff is not None and not staff.disabled:
                request.state.csrf = _csrf(token)
                return staff
        if row is not None:  # expired: gone now, not just ignored (a bulk delete: no error
            # when a concurrent request with the same cookie deleted it first)
            s.execute(delete(AdminSession).where(AdminSession.token_hash == row.token_hash))
            s.commit()
    raise HTTPException(303, headers={"Location": "/admin/login"})


def purge_expired_sessions(s: Session) -> None:
    """Deletes every expired admin session (the caller commits). Called on each login, so the
    table holds at most the sessions of the last SESSION_TTL."""
    s.execute(delete(AdminSession).where(AdminSession.expires_at <= services.now()))


def current_staff(request: Request, staff: Annotated[Staff, Depends(session_staff)]) -> Staff:
    if staff.must_change_password:  # a one-time password allows nothing but changing it
        raise HTTPException(303, headers={"Location": "/admin/password"})
    return staff


Me = Annotated[Staff, Depends(current_staff)]


def require(me: Staff, action: Action) -> None:
    """403 unless the signed-in staff member's role allows `action` (central.roles)."""
    if not may(me.role, action):
        raise HTTPException(403, "您的角色无权执行此操作 / your role may not do this")


def allowed(action: Action) -> Callable[[Staff], Staff]:
    """Dependency: the signed-in staff member, if their role allows `action`, else 403."""
    def check(me: Me) -> Staff:
        require(me, action)
        return me
    return check


ConfigEditor = Annotated[Staff, Depends(allowed("edit_config"))]
JobEditor = Annotated[Staff, Depends(allowed("edit_jobs"))]
PolicyEditor = Annotated[Staff, Depends(allowed("edit_policies"))]
StationManager = Annotated[Staff, Depends(allowed("manage_stations"))]
StaffManager = Annotated[Staff, Depends(allowed("manage_staff"))]


def _csrf(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"csrf", hashlib.sha256).hexdigest()


def check_csrf(request: Request, value: str) -> None:
    if not hmac.compare_digest(getattr(request.state, "csrf", ""), value or ""):
        raise HTTPException(403, "CSRF token mismatch / 表单已过期，请刷新页面")


def render(request: Request, name: str, staff: Staff | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.update(staff=staff, csrf=getattr(request.state, "csrf", ""), path=request.url.path,
               can=(lambda action: staff is not None and may(staff.role, action)))
    return templates.TemplateResponse(request, name, ctx, status_code=status)


async def form_dict(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


# Form handlers parse the body in this async dependency and are plain `def` themselves, so
# their database work runs in the thread pool, never on the event loop.
FormData = Annotated[dict[str, str], Depends(form_dict)]


# -- login ---------------------------------------------------------------------------------------


LOGIN_COOKIE = "gig_login"  # random pre-session value the login form's CSRF token is bound to
LOGIN_COOKIE_TTL_S = 3600
MAX_USERNAME = 64
MAX_PASSWORD = 1024


def _login_csrf(request: Request, nonce: str) -> str:
    return hmac.new(request.app.state.form_key, nonce.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def _plain_text(value: str, limit: int) -> bool:
    """No control characters or lone surrogates (PostgreSQL refuses NUL; HTML can't show them)."""
    return len(value) <= limit and not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


def _login_form(request: Request, status: int = 200, headers: dict[str, str] | None = None,
                **ctx: Any) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    if not (16 <= len(nonce) <= 64 and nonce.isascii()):
        nonce = new_token()
    request.state.csrf = _login_csrf(request, nonce)
    resp = render(request, "login.html", None, status=status, **ctx)
    resp.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path="/admin/login",
                    max_age=LOGIN_COOKIE_TTL_S, secure=cookie_secure(request))
    if headers:
        resp.headers.update(headers)
    return resp


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


# A plain `def`: scrypt (~0.3 s) runs in the thread pool, never on the event loop.
@router.post("/login")
def login(request: Request, s: Db, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    if not nonce or not hmac.compare_digest(_login_csrf(request, nonce), csrf):
        raise HTTPException(403, "CSRF token mismatch / 表单已过期，请刷新页面")
    address = request.client.host if request.client else ""
    shown = username if _plain_text(username, MAX_USERNAME) else ""
    wait = throttle.retry_after(s, username, address)
    if wait:
        return _login_form(request, status=429, headers={"Retry-After": str(wait)},
                           throttled=(wait + 59) // 60, username=shown)
    staff = None
    if shown and _plain_text(password, MAX_PASSWORD):
        staff = s.scalars(select(Staff).where(Staff.username == username)).first()
    # Unknown user names cost one scrypt too, so response time does not reveal which exist.
    ok = verify_password(password, staff.password_hash if staff is not None else dummy_password_hash())
    if staff is None or staff.disabled or not ok:
        throttle.record_failure(s, username, address)
        s.commit()
        return _login_form(request, status=401, error=True, username=shown)
    throttle.record_success(s, username)
    if needs_rehash(staff.password_hash):  # made with older scrypt parameters
        staff.password_hash = hash_password(password)
    token = new_token()
    purge_expired_sessions(s)
    s.add(AdminSession(token_hash=hash_token(token), staff_id=staff.id,
                       expires_at=services.now() + SESSION_TTL))
    s.commit()
    resp = RedirectResponse("/admin/stations", status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/admin",
                    max_age=int(SESSION_TTL.total_seconds()), secure=cookie_secure(request))
    resp.delete_cookie(LOGIN_COOKIE, path="/admin/login")
    return resp


@router.post("/logout")
def logout(request: Request, s: Db, me: Annotated[Staff, Depends(session_staff)],
           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    s.execute(delete(AdminSession).where(AdminSession.token_hash == hash_token(request.cookies[COOKIE])))
    s.commit()
    resp = RedirectResponse("/admin/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/admin")
    return resp


@router.get("/")
def home(me: Me) -> Response:
    return RedirectResponse("/admin/stations", status_code=303)


# -- stations and config --------------------------------------------------------------------------


@router.get("/stations")
def stations(request: Request, s: Db, me: Me) -> HTMLResponse:
    rows = s.scalars(select(Station).where(Station.county == me.county).order_by(Station.id)).all()
    at = services.now()
    items = []
    for st in rows:
        h = services.health(st, at)
        interval = services.effective_config(s, st)["heartbeat_interval_s"]
        age = h["heartbeat_age_s"]
        h["online"] = age is not None and age <= 3 * interval
        h["disabled"] = st.disabled
        items.append(h)
    county = s.get(County, me.county)
    return render(request, "stations.html", me, stations=items, county=county)


def _history(s: Session, station: Station) -> list[dict[str, Any]]:
    rows = s.scalars(select(StationConfigVersion).where(StationConfigVersion.station_id == station.id)
                     .order_by(StationConfigVersion.version.desc()).limit(20)).all()
    return [{"version": r.version, "reason": r.reason, "by": r.created_by,
             "at": services.iso(r.created_at), "config": json.loads(r.document)["config"]} for r in rows]


def _config_page(request: Request, s: Session, me: Staff, station: Station | None, form: dict[str, str],
                 errors: dict[str, str], saved: bool = False, status: int = 200) -> HTMLResponse:
    county = s.get(County, me.county)
    if station is not None:
        effective = services.effective_config(s, station)
        history = _history(s, station)
    else:
        effective = station_config.effective(county.config or {}, {})
        rows = s.scalars(select(CountyConfigVersion).where(CountyConfigVersion.county == county.code)
                         .order_by(CountyConfigVersion.version.desc()).limit(20)).all()
        history = [{"version": r.version, "reason": "county", "by": r.created_by,
                    "at": services.iso(r.created_at), "config": r.config} for r in rows]
    inherited = station_config.effective(county.config or {}, {}) if station else station_config.effective({}, {})
    return render(request, "config.html", me, status=status, station=station, county=county, form=form,
                  errors=errors, saved=saved, effective=effective, inherited=inherited, history=history,
                  fields=station_config.FIELDS, features=station_config.FEATURES)


@router.get("/stations/{station_id}/config")
def station_config_page(request: Request, station_id: str, s: Db, me: Me) -> HTMLResponse:
    station = services.in_county(s, Station, station_id, me.county)
    return _config_page(request, s, me, station, forms.config_to_form(station.config or {}), {})


@router.post("/stations/{station_id}/config")
def station_config_save(request: Request, station_id: str, me: ConfigEditor, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        station = services.in_county(s, Station, station_id, me.county)
        patch, errors = forms.validate(ConfigPatch, forms.config_from_form(form))
        errors = errors or pins.station_errors(s, station, patch.overrides())
        if errors:
            return _config_page(request, s, me, station, form, errors, status=422)
        services.set_station_config(s, request.app.state.keyring, station, patch.overrides(), me.username)
        s.commit()
        return _config_page(request, s, me, station, forms.config_to_form(station.config), {}, saved=True)


@router.get("/county/config")
def county_config_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    county = s.get(County, me.county)
    return _config_page(request, s, me, None, forms.config_to_form(county.config or {}), {})


@router.post("/county/config")
def county_config_save(request: Request, me: ConfigEditor, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        county = s.get(County, me.county)
        patch, errors = forms.validate(ConfigPatch, forms.config_from_form(form))
        errors = errors or station_config.county_errors(patch.overrides())
        if errors:
            return _config_page(request, s, me, None, form, errors, status=422)
        services.set_county_config(s, request.app.state.keyring, county, patch.overrides(), me.username)
        s.commit()
        return _config_page(request, s, me, None, forms.config_to_form(county.config), {}, saved=True)


# -- jobs -------------------------------------------------------------------------------------------


@router.get("/jobs")
def jobs(request: Request, s: Db, me: JobEditor, status: str = "open") -> HTMLResponse:
    q = select(Job).where(Job.county == me.county)
    if status in ("open", "closed"):
        q = q.where(Job.status == status)
    rows = s.scalars(q.order_by(Job.updated_at.desc()).limit(500)).all()
    return render(request, "jobs.html", me, jobs=[services.job_dict(j) for j in rows], shown=status)


@router.get("/jobs/new")
def job_new(request: Request, me: JobEditor) -> HTMLResponse:
    return render(request, "job_form.html", me, job=None, form={"pay_unit": "day", "settlement": "daily"},
                  errors={})


@router.get("/jobs/{job_id}")
def job_edit(request: Request, job_id: str, s: Db, me: JobEditor) -> HTMLResponse:
    job = services.job_dict(services.in_county(s, Job, job_id, me.county))
    return render(request, "job_form.html", me, job=job, form=forms.job_to_form(job), errors={})


@router.post("/jobs/new")
def job_create(request: Request, me: JobEditor, form: FormData) -> Response:
    return job_save(request, me, None, form)


@router.post("/jobs/{job_id}")
def job_save(request: Request, me: JobEditor, job_id: str | None, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    with request.app.state.sessions() as s:
        existing = services.job_dict(services.in_county(s, Job, job_id, me.county)) if job_id else None
        data = forms.job_from_form(form)
        if job_id:
            data["id"] = job_id
        job_in, errors = forms.validate(JobIn, data)
        if not errors and not job_id:
            job_id, errors = _claim(s, Job, me, job_in.id)
        if errors:
            return render(request, "job_form.html", me, status=422, job=existing, form=form, errors=errors)
        job = services.save_job(s, me.county, job_in, job_id)
        s.commit()
        return RedirectResponse(f"/admin/jobs/{job.id}?saved=1", status_code=303)


def _claim(s: Session, model: Any, me: Staff, wanted: str | None) -> tuple[str | None, dict[str, str]]:
    """(id for a new job/policy, form errors): blank → generated in the county's namespace."""
    county = s.get(County, me.county)
    try:
        return services.claim_id(s, model, county, wanted), {}
    except services.BadId as exc:
        hint = services.namespace_hint(county)
        return None, {"id": f"编号须以 {hint} 开头，只能包含字母、数字和 ._- / {exc}"}
    except services.Taken:
        return None, {"id": "此编号已存在 / this id is already taken"}


@router.post("/jobs/{job_id}/close")
def job_close(request: Request, job_id: str, s: Db, me: JobEditor, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    services.close_job(s, services.in_county(s, Job, job_id, me.county))
    s.commit()
    return RedirectResponse("/admin/jobs", status_code=303)


# -- policies ---------------------------------------------------------------------------------------


@router.get("/policies")
def policies(request: Request, s: Db, me: PolicyEditor) -> HTMLResponse:
    rows = s.scalars(select(Policy).where(Policy.county == me.county).order_by(Policy.id)).all()
    return render(request, "policies.html", me, policies=[services.policy_dict(p) for p in rows])


@router.get("/policies/new")
def policy_new(request: Request, me: PolicyEditor) -> HTMLResponse:
    return render(request, "policy_form.html", me, policy=None, form={"status": "published"}, errors={})


@router.get("/policies/{policy_id}")
def policy_edit(request: Request, policy_id: str, s: Db, me: PolicyEditor) -> HTMLResponse:
    p = services.policy_dict(services.in_county(s, Policy, policy_id, me.county))
    return render(request, "policy_form.html", me, policy=p, form={k: str(v) for k, v in p.items()}, errors={})


@router.post("/policies/new")
def policy_create(request: Request, me: PolicyEditor, form: FormData) -> Response:
    return policy_save(request, me, None, form)


@router.post("/policies/{policy_id}")
def policy_save(request: Request, me: PolicyEditor, policy_id: str | None, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    new = policy_id is None
    with request.app.state.sessions() as s:
        existing = None if new else services.in_county(s, Policy, policy_id, me.county)
        data = {k: form.get(k, "") for k in PolicyIn.model_fields}
        policy_in, errors = forms.validate(PolicyIn, data)
        if new:
            policy_id, id_error = _claim(s, Policy, me, form.get("id", "").strip() or None)
            errors |= id_error
        if errors:
            shown = services.policy_dict(existing) if existing is not None else None
            return render(request, "policy_form.html", me, status=422, policy=shown, form=form, errors=errors)
        policy_id = services.save_policy(s, me.county, policy_id, policy_in).id
        s.commit()
        return RedirectResponse(f"/admin/policies/{policy_id}?saved=1", status_code=303)


# Token pages live in their own module; it imports the helpers above, so it is included last.
from central.admin import tokens as _tokens  # noqa: E402

router.include_router(_tokens.router)
