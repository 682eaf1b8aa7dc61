"""Admin pages for remote diagnostics (issue 13): send a station a command, one button per
kind; the list of its commands with state and result; the screenshot shown, the log bundle
offered for download. Logic in central.commands; who may: roles `send_commands`."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from central import commands, services
from central.admin.routes import Db, FormData, allowed, check_csrf, render
from central.models import Staff, Station, StationCommand

_UUID = re.compile(r"[0-9a-f-]{36}")  # (a NUL in a path must not reach PostgreSQL)
router = APIRouter(prefix="/admin", include_in_schema=False)
Sender = Annotated[Staff, Depends(allowed("send_commands"))]
LABELS = {
    "screenshot": "截屏 Screenshot", "upload_logs": "上传日志 Upload logs", "restart": "重启程序 Restart app",
    "resync": "完整重新同步 Full resync", "test_print": "打印测试页 Test print",
}


def _page(request: Request, s: Db, me: Staff, station: Station, error: str = "", status: int = 200) -> HTMLResponse:
    at = services.now()
    rows = [commands.as_dict(r, at) for r in commands.listing(s, station.id)]
    return render(request, "commands.html", me, status=status, station=station, rows=rows, labels=LABELS,
                  kinds=commands.KINDS, error=error, max_hours=commands.MAX_LOG_HOURS,
                  sent=request.query_params.get("sent", ""))


@router.get("/stations/{station_id}/commands")
def commands_page(request: Request, station_id: str, s: Db, me: Sender) -> HTMLResponse:
    return _page(request, s, me, services.in_county(s, Station, station_id, me.county))


@router.post("/stations/{station_id}/commands")
def command_send(request: Request, station_id: str, s: Db, me: Sender, form: FormData) -> Response:
    check_csrf(request, form.get("csrf", ""))
    station = services.in_county(s, Station, station_id, me.county)
    kind = form.get("kind", "")
    fields: dict[str, object] = {"kind": kind}
    if kind == "upload_logs":
        fields["hours"] = form.get("hours", "").strip() or "24"
    try:
        body = commands.CommandIn.model_validate(fields)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        return _page(request, s, me, station, error=f"无法发送 Not sent: {msg}", status=422)
    row = commands.create(s, request.app.state.keyring, station, body, by=me.username)
    s.commit()
    return RedirectResponse(f"/admin/stations/{station.id}/commands?sent={row.id}", status_code=303)


@router.get("/stations/{station_id}/commands/{command_id}/attachment")
def command_attachment(station_id: str, command_id: str, s: Db, me: Sender) -> Response:
    station = services.in_county(s, Station, station_id, me.county)
    row = s.get(StationCommand, command_id) if _UUID.fullmatch(command_id) else None
    if row is None or row.station_id != station.id or row.result_data is None \
            or row.result_type not in commands.ATTACHMENT_TYPES:
        raise HTTPException(404, "没有附件 / no attachment")
    return Response(row.result_data, media_type=row.result_type, headers=commands.attachment_headers(row))
