"""Admin pages for staff API tokens: see expiry and last rotation, rotate, revoke.

Everyone manages their own token (/admin/account); an admin also those of their county's
staff (/admin/account/<username>). A rotated token is in that one response only (no-store)
and is never shown again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import services, staff_tokens
from central.admin.routes import Db, Me, check_csrf, render, require
from central.models import Staff

router = APIRouter()


def _target(s: Session, me: Staff, username: str) -> Staff:
    staff = s.scalars(select(Staff).where(Staff.username == username)).first()
    if staff is None or staff.county != me.county:
        raise HTTPException(404, "no such staff member in your county")
    if staff.id != me.id:
        require(me, "manage_staff")
    return staff


def _page(request: Request, me: Staff, staff: Staff, new_token: str = "", done: str = "") -> HTMLResponse:
    def when(value: datetime | None) -> str:
        return services.iso(value) if value is not None else ""

    resp = render(request, "account.html", me, person=staff, token_status=staff_tokens.status(staff),
                  expires=when(staff.token_expires_at), rotated=when(staff.token_rotated_at),
                  revoked=when(staff.token_revoked_at), new_token=new_token, done=done)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.get("/account")
def my_account(request: Request, me: Me) -> HTMLResponse:
    return _page(request, me, me)


@router.get("/account/{username}")
def account(request: Request, username: str, s: Db, me: Me, done: str = "") -> HTMLResponse:
    return _page(request, me, _target(s, me, username), done=done if done == "revoked" else "")


@router.post("/account/{username}/token/rotate")
def rotate(request: Request, username: str, s: Db, me: Me, csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    check_csrf(request, csrf)
    staff = _target(s, me, username)
    old = staff.token_hash
    token = staff_tokens.issue(staff)
    s.commit()
    request.app.state.tokens.forget(old)
    return _page(request, me, staff, new_token=token)


@router.post("/account/{username}/token/revoke")
def revoke(request: Request, username: str, s: Db, me: Me, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    staff = _target(s, me, username)
    old = staff.token_hash
    staff_tokens.revoke(staff)
    s.commit()
    request.app.state.tokens.forget(old)
    return RedirectResponse(f"/admin/account/{staff.username}?done=revoked", status_code=303)
