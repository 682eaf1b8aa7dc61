"""Text at central: no control characters or lone surrogates in any stored text (issue 11,
items 2, 3, 10, 16), 422 instead of a printer command, a 500 on PostgreSQL, or a county whose
station list can no longer be encoded."""

from __future__ import annotations

import json
import uuid

import pytest
from central_helpers import HEARTBEAT, admin_login, application, csrf_of, job_body
from sqlalchemy import create_engine, text

from central.db import normalise_url

BAD = ["\x00", "\x1b@", "\x1dVA\x03", "\x07", "\x7f", "\x85", "\x9b", "\ud800", "\n"]


def _send(client, method: str, path: str, headers: dict, body: object):  # noqa: ANN001, ANN202
    """JSON with \\u escapes (as any JSON client may send): lone surrogates survive the trip."""
    return client.request(method, path, content=json.dumps(body).encode("ascii"),
                          headers={**headers, "Content-Type": "application/json"})


def _staff(server) -> dict:  # noqa: ANN001
    return server.as_(server.staff["east"]["token"])


def _beat(server, body, station="e-park"):  # noqa: ANN001, ANN202
    return _send(server.client, "POST", f"/v1/stations/{station}/heartbeats",
                 server.as_(server.stations[station]["token"]), body)


def test_heartbeat_with_a_lone_surrogate_is_refused_and_the_county_stays_visible(server) -> None:  # noqa: ANN001
    for devices in ({"printer": {"state": "\ud800"}}, {"printer": {"state": "ok", "detail": "\ud800"}},
                    {"printer": {"state": "ok", "detail": "x\x00"}}, {"printer": {"state": "on fire"}},
                    {"toaster": {"state": "ok"}},
                    {"printer": "ok"}, {f"scanner{i}": {"state": "ok"} for i in range(33)}):
        r = _beat(server, {**HEARTBEAT, "devices": devices})
        assert r.status_code == 422, (devices, r.status_code, r.text)
    assert _beat(server, {**HEARTBEAT, "app_version": "1\x1b"}).status_code == 422
    assert _beat(server, {**HEARTBEAT, "rejected_config": {"version": 3, "reason": "bad\x00"}}).status_code == 422
    r = server.client.get("/v1/stations", headers=_staff(server))
    assert r.status_code == 200, r.text
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    assert admin.get("/admin/stations").status_code == 200


def test_what_the_kiosk_sends_is_accepted(server) -> None:  # noqa: ANN001
    """The shapes screens/services.py device_health and kiosk/sync.py heartbeat_body build."""
    devices = {
        "idcard": {"state": "no_device", "detail": "FileNotFoundError: /dev/ttyUSB0"},
        "printer": {"state": "warning", "detail": "paper near end", "paper_near_end": True,
                    "paper_end": False, "cover_open": False, "queued": 2, "link": "serial /dev/ttyS1",
                    "slip_waiting": False, "model": "xprinter-xp80", "qr_check": "native",
                    "gs_i": {"model": "TM-T88V", "maker": "EPSON", "firmware": "30.01 ESC/POS"}},
        "speech": {"state": "ok", "detail": ""}, "camera": {"state": "starting", "detail": ""},
        "serial-scanner": {"state": "unknown", "detail": ""}, "scanner2": {"state": "stopped", "detail": ""},
        "sync": {"state": "unauthorised", "detail": "401"}, "health": {"state": "error", "detail": "KeyError"},
    }
    r = _beat(server, {**HEARTBEAT, "devices": devices, "future_field": 1})
    assert r.status_code == 200, r.text
    row = {s["id"]: s for s in server.client.get("/v1/stations", headers=_staff(server)).json()}["e-park"]
    assert row["devices"] == devices


def test_the_printer_self_check_reaches_the_station_list_and_the_admin_page(server) -> None:  # noqa: ANN001
    """qr_check and the printer's GS I answers (kiosk/printer_check.py, PrintService.health);
    a printer that did not answer GS I reports gs_i {}; anything else is refused."""
    silent = {"printer": {"state": "unknown", "detail": "no status", "qr_check": "image", "gs_i": {}}}
    assert _beat(server, {**HEARTBEAT, "devices": silent}).status_code == 200
    row = {s["id"]: s for s in server.client.get("/v1/stations", headers=_staff(server)).json()}["e-park"]
    assert row["devices"] == silent
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    page = admin.get("/admin/stations").text
    assert "图片 image" in page and "GS I: 无应答 no answer" in page
    answered = {"printer": {"state": "ok", "qr_check": "native", "gs_i": {"model": "TM-T88V", "maker": "EPSON"}}}
    assert _beat(server, {**HEARTBEAT, "devices": answered}).status_code == 200
    page = admin.get("/admin/stations").text
    assert "原生 native" in page and "EPSON TM-T88V" in page
    for bad in ({"state": "ok", "qr_check": "maybe"}, {"state": "ok", "gs_i": {"model": "x\x1b"}},
                {"state": "ok", "gs_i": {"model": "x" * 65}}, {"state": "ok", "gs_i": "TM-T88V"}):
        assert _beat(server, {**HEARTBEAT, "devices": {"printer": bad}}).status_code == 422, bad


def test_unknown_device_fields_are_dropped_not_stored(server) -> None:  # noqa: ANN001
    """A newer kiosk may report more than this server knows: accepted, and only the declared,
    validated fields reach the station list (old servers keep working with new kiosks)."""
    r = _beat(server, {**HEARTBEAT, "devices": {"printer": {"state": "ok", "extra": "\ud800"}}})
    assert r.status_code == 200, r.text
    row = {s["id"]: s for s in server.client.get("/v1/stations", headers=_staff(server)).json()}["e-park"]
    assert row["devices"] == {"printer": {"state": "ok", "detail": ""}}


def test_devices_stored_before_the_schema_do_not_break_the_station_list(server) -> None:  # noqa: ANN001
    """A row written by an older server (lone surrogate, unknown shape) is served as null."""
    engine = create_engine(normalise_url(server.database_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE stations SET devices = :d WHERE id = 'e-mall'"),
                     {"d": json.dumps({"printer": {"state": "\ud800"}})})
    engine.dispose()
    r = server.client.get("/v1/stations", headers=_staff(server))
    assert r.status_code == 200, r.text
    assert {s["id"]: s for s in r.json()}["e-mall"]["devices"] is None
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    assert admin.get("/admin/stations").status_code == 200


@pytest.mark.parametrize("field", ["title", "category", "employer", "daily_hours", "address",
                                   "district", "directions", "contact"])
def test_job_text_fields_refuse_control_characters(server, field) -> None:  # noqa: ANN001
    for bad in BAD:
        r = _send(server.client, "POST", "/v1/jobs", _staff(server), job_body(**{field: f"搬运工{bad}x"}))
        assert r.status_code == 422, (field, bad, r.status_code)
        assert r.json()["detail"][0]["loc"][-1] == field


def test_multiline_fields_keep_line_breaks_only(server) -> None:  # noqa: ANN001
    notes = {"age_min": 18, "notes": "第一行\r\n第二行"}
    r = _send(server.client, "POST", "/v1/jobs", _staff(server), job_body(requirements=notes))
    assert r.status_code == 201, r.text
    assert r.json()["requirements"]["notes"] == "第一行\n第二行"
    for bad in ("\x1b@", "\t", "\x00", "\ud800"):
        r = _send(server.client, "POST", "/v1/jobs", _staff(server),
                  job_body(requirements={"notes": f"a{bad}"}))
        assert r.status_code == 422, (bad, r.status_code)
    policy = {"category": "补贴", "title": "补贴", "body": "第一段\n\n第二段", "body_en": "a\nb"}
    r = _send(server.client, "PUT", "/v1/policies/east-text-1", _staff(server), policy)
    assert r.status_code == 200, r.text
    for field in ("title", "title_en", "category", "summary", "summary_en", "body", "body_en"):
        for bad in ("\x1dV", "\x00", "\ud800", "\x9b"):
            r = _send(server.client, "PUT", "/v1/policies/east-text-1", _staff(server),
                  {**policy, field: f"x{bad}"})
            assert r.status_code == 422, (field, bad, r.status_code)


def test_policy_body_is_capped_at_what_the_kiosk_can_show(server) -> None:  # noqa: ANN001
    from central.schemas import POLICY_BODY_MAX

    policy = {"category": "补贴", "title": "长文"}
    for field in ("body", "body_en"):
        r = _send(server.client, "PUT", "/v1/policies/east-long", _staff(server),
                  {**policy, field: "字" * (POLICY_BODY_MAX + 1)})
        assert r.status_code == 422, r.status_code
        assert r.json()["detail"][0]["loc"] == ["body", field]
        assert str(POLICY_BODY_MAX) in r.json()["detail"][0]["msg"]
    r = _send(server.client, "PUT", "/v1/policies/east-long", _staff(server),
                  {**policy, "body": "字" * POLICY_BODY_MAX})
    assert r.status_code == 200, r.text
    assert POLICY_BODY_MAX <= 8000


def test_config_text_refuses_control_characters(server) -> None:  # noqa: ANN001
    for field in ("banner", "receipt_footer"):
        for bad in ("\x1b@", "\x1dVA\x03", "\x00", "\ud800", "\n"):
            for path in ("/v1/stations/e-park/config", "/v1/counties/east/config"):
                r = _send(server.client, "PUT", path, _staff(server), {"config": {field: f"欢迎{bad}"}})
                assert r.status_code == 422, (path, field, bad, r.status_code)
    r = _send(server.client, "PUT", "/v1/counties/east/config", _staff(server),
                  {"config": {"banner": "欢迎光临", "receipt_footer": "东县人社局"}})
    assert r.status_code == 200, r.text


def test_application_text_refuses_control_characters(server) -> None:  # noqa: ANN001
    headers = {**server.as_(server.stations["e-park"]["token"]), "Idempotency-Key": str(uuid.uuid4())}
    bodies = [application("e-park", name="张\x00三"), application("e-park", name="张\x1b三"),
              application("e-park", name="张\ud800"), application("e-park", job_id="e-000\x00"),
              {**application("e-park"), "station_id": "e-park\x00"},
              {**application("e-park"), "consent": {"version": "2026\x00", "at": "2026-11-01T08:00:00Z"}}]
    for body in bodies:
        r = _send(server.client, "POST", "/v1/applications", headers, body)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert "input" not in r.json()["detail"][0]


def test_nul_in_path_ids_is_not_a_server_error(server) -> None:  # noqa: ANN001
    """PostgreSQL refuses NUL in a query parameter with an error (a 500 before)."""
    staff = _staff(server)
    for method, path in (("GET", "/v1/jobs/e-0%00"), ("POST", "/v1/jobs/e-0%00/close"),
                         ("GET", "/v1/stations/e-p%00/jobs"), ("GET", "/v1/stations/e-p%00/config"),
                         ("GET", "/v1/counties/ea%00/config"), ("GET", "/v1/counties/ea%00/public-key")):
        r = server.client.request(method, path, headers=staff)
        assert r.status_code == 422, (path, r.status_code)
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    for path in ("/admin/jobs/e-0%00", "/admin/policies/e%00", "/admin/stations/e-p%00/config"):
        assert admin.get(path).status_code == 404, path


def test_admin_forms_refuse_control_characters(server) -> None:  # noqa: ANN001
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    page = admin.get("/admin/jobs/new").text
    form = {k: str(v) for k, v in job_body().items() if k != "requirements"}
    r = admin.post("/admin/jobs/new", data={**form, "title": "搬运工\x1dVA", "csrf": csrf_of(page)})
    assert r.status_code == 422
    page = admin.get("/admin/policies/new").text
    r = admin.post("/admin/policies/new", data={"id": "east-ctl", "category": "补贴", "title": "x\x00",
                                                 "status": "published", "csrf": csrf_of(page)})
    assert r.status_code == 422
    page = admin.get("/admin/county/config").text
    r = admin.post("/admin/county/config", data={"banner": "欢迎\x1b@", "csrf": csrf_of(page)})
    assert r.status_code == 422


def test_nul_in_the_login_user_name_is_a_failed_login(server) -> None:  # noqa: ANN001
    import re

    import httpx

    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        page = client.get("/admin/login").text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        r = client.post("/admin/login", data={**hidden, "username": "east-admin\x00", "password": "x"})
        assert r.status_code == 401
