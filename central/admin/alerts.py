"""Admin pages for station alerts: the county's open alerts first (with an acknowledge button)
and recent resolved ones, and the county's delivery settings (e-mail, webhook, quiet hours)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from central import alert_delivery, alerts, services
from central.admin import forms
from central.admin.routes import ConfigEditor, Db, FormData, Me, allowed, check_csrf, render
from central.alert_delivery import KIND_NAMES
from central.models import Alert, AlertSettings, Staff, Station
from central.text import Text

router = APIRouter(prefix="/admin", include_in_schema=False)
Acker = Annotated[Staff, Depends(allowed("ack_alerts"))]
RESOLVED_SHOWN = 50
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,190}$")
_HOST = r"^$|^[A-Za-z0-9.-]{1,200}$|^\[[0-9A-Fa-f:.]{2,45}\]$"


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smtp_host: str = Field("", pattern=_HOST)
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_from: str = Field("", max_length=200)
    smtp_to: list[str] = Field(default_factory=list, max_length=20)
    webhook_url: Text = Field("", max_length=500, pattern=r"^$|^https?://[^\s]+$")
    webhook_secret: Text = Field("", max_length=100)  # sealed it must fit String(200)
    quiet_hours: str = Field("", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = Field("Asia/Shanghai", max_length=64)

    @field_validator("smtp_from")
    @classmethod
    def _from(cls, v: str) -> str:
        if v and not _EMAIL.fullmatch(v):
            raise ValueError("not an e-mail address")
        return v

    @field_validator("smtp_to")
    @classmethod
    def _to(cls, v: list[str]) -> list[str]:
        if any(not _EMAIL.fullmatch(a) for a in v):
            raise ValueError("not an e-mail address")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return v


def _settings(s: Any, county: str) -> AlertSettings:
    return s.get(AlertSettings, county) or AlertSettings(
        county=county, smtp_host="", smtp_port=25, smtp_starttls=False, smtp_from="", smtp_to=[],
        webhook_url="", webhook_secret="", quiet_hours="", timezone="Asia/Shanghai")


def _form_of(row: AlertSettings) -> dict[str, str]:
    return {"smtp_host": row.smtp_host, "smtp_port": str(row.smtp_port),
            "smtp_starttls": "on" if row.smtp_starttls else "", "smtp_from": row.smtp_from,
            "smtp_to": "\n".join(row.smtp_to or []), "webhook_url": row.webhook_url,
            "quiet_hours": row.quiet_hours, "timezone": row.timezone}


def _page(request: Request, s: Any, me: Staff, form: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, saved: bool = False) -> HTMLResponse:
    names = dict(s.execute(select(Station.id, Station.name).where(Station.county == me.county)).all())
    open_rows = s.scalars(select(Alert).where(Alert.county == me.county, Alert.state == "open")
                          .order_by(Alert.opened_at, Alert.id)).all()
    done = s.scalars(select(Alert).where(Alert.county == me.county, Alert.state == "resolved")
                     .order_by(Alert.resolved_at.desc(), Alert.id).limit(RESOLVED_SHOWN)).all()
    # critical first, then the longest-standing
    open_rows = sorted(open_rows, key=lambda a: a.severity != "critical")
    row = _settings(s, me.county)
    return render(request, "alerts.html", me, status=422 if errors else 200,
                  open_alerts=[alerts.alert_dict(a) for a in open_rows],
                  resolved=[alerts.alert_dict(a) for a in done], names=names, kinds=KIND_NAMES,
                  form=form if form is not None else _form_of(row), errors=errors or {}, saved=saved,
                  has_secret=bool(row.webhook_secret))


@router.get("/alerts")
def alerts_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    return _page(request, s, me, saved=bool(request.query_params.get("saved")))


@router.post("/alerts/{alert_id}/ack")
def alert_ack(request: Request, alert_id: int, s: Db, me: Acker,
              csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    alert = s.get(Alert, alert_id)
    if alert is None or alert.county != me.county:
        raise HTTPException(404, "没有此告警 / no such alert")
    alerts.acknowledge(alert, me.username, services.now())
    s.commit()
    return RedirectResponse("/admin/alerts", status_code=303)


@router.post("/alerts/settings")
def alert_settings_save(request: Request, s: Db, me: ConfigEditor, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    row = _settings(s, me.county)
    raw = {k: form.get(k, "").strip() for k in ("smtp_host", "smtp_from", "webhook_url", "quiet_hours", "timezone")}
    data: dict[str, Any] = {**raw, "smtp_starttls": form.get("smtp_starttls") == "on",
                            "smtp_to": [a for a in re.split(r"[\s,;]+", form.get("smtp_to", "")) if a],
                            "smtp_port": form.get("smtp_port", "").strip() or "25",
                            # the secret is write-only: a blank field keeps the stored one
                            "webhook_secret": form.get("webhook_secret", "") or row.webhook_secret}
    try:
        valid = SettingsIn.model_validate(data)
    except ValidationError as exc:
        errors = {k.split(".")[0]: v for k, v in reversed(forms.errors_by_field(exc).items())}
        return _page(request, s, me, form=form, errors=errors)
    if valid.webhook_url and not valid.webhook_secret:
        return _page(request, s, me, form=form,
                     errors={"webhook_secret": "签名密钥必填 / a webhook needs a signing secret"})
    values = valid.model_dump()
    typed = form.get("webhook_secret", "")
    kept = row.webhook_secret
    if typed or (kept and not kept.startswith(alert_delivery.SEALED)):  # a new one, or one from before sealing
        clear = typed or kept
        values["webhook_secret"] = alert_delivery.seal_secret(request.app.state.cipher, me.county, clear)
    for key, value in values.items():
        setattr(row, key, value)
    s.add(row)
    s.commit()
    return RedirectResponse("/admin/alerts?saved=1", status_code=303)
