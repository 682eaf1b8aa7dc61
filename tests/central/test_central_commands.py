"""Remote commands at central (issue 13): who may send them, scoping, the signed document in
the heartbeat answer (once), results with attachments, later reports kept as notes."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from central_helpers import HEARTBEAT
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from central.security import canonical_json

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _tok(server, who: str) -> str:  # noqa: ANN001
    if who in server.stations:
        return server.stations[who]["token"]
    return server.by_user[who]["token"] if who in server.by_user else server.staff[who]["token"]


def _send(server, station: str, who: str, **body: object):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/stations/{station}/commands", json={"kind": "screenshot", **body},
                              headers=server.as_(_tok(server, who)))


def _beat(server, station: str = "e-park") -> dict:  # noqa: ANN001
    r = server.client.post(f"/v1/stations/{station}/heartbeats", json=HEARTBEAT,
                           headers=server.as_(_tok(server, station)))
    assert r.status_code == 200, r.text
    return r.json()


def _result(server, station: str, command_id: str, body: dict, as_station: str | None = None):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/stations/{station}/commands/{command_id}/result", json=body,
                              headers=server.as_(_tok(server, as_station or station)))


@pytest.mark.parametrize("who, status", [
    ("east-admin", 201), ("east-maint", 201), ("east-operator", 403),
    ("e-park", 403),  # a station token
    ("west", 404),  # another county's admin: the station does not exist for them
])
def test_role_matrix_and_scoping_for_sending(server, who: str, status: int) -> None:  # noqa: ANN001
    assert _send(server, "e-park", who).status_code == status
    listed = server.client.get("/v1/stations/e-park/commands", headers=server.as_(_tok(server, who)))
    assert listed.status_code == (200 if status == 201 else status)


def test_body_validation_and_limit(server) -> None:  # noqa: ANN001
    assert _send(server, "e-park", "east-maint", kind="format_disk").status_code == 422
    assert _send(server, "e-park", "east-maint", kind="screenshot", hours=3).status_code == 422
    assert _send(server, "e-park", "east-maint", kind="upload_logs", hours=73).status_code == 422
    big = server.client.post("/v1/stations/e-park/commands", content=b"x" * 2048,
                             headers={**server.as_(_tok(server, "east-maint")), "Content-Type": "application/json"})
    assert big.status_code == 413


def test_signed_document_travels_once_in_the_heartbeat_answer(server) -> None:  # noqa: ANN001
    _beat(server, "e-mall")  # drain anything earlier tests left
    made = _send(server, "e-mall", "east-maint", kind="upload_logs", hours=6).json()
    assert made["state"] == "pending" and made["args"] == {"hours": 6}
    docs = _beat(server, "e-mall")["commands"]
    assert [d["command_id"] for d in docs] == [made["id"]]
    doc = docs[0]
    assert (doc["station_id"], doc["kind"], doc["args"]) == ("e-mall", "upload_logs", {"hours": 6})
    key = server.client.get("/v1/counties/east/public-key", headers=server.as_(_tok(server, "e-mall"))).json()
    unsigned = {k: v for k, v in doc.items() if k not in ("signature", "key_id")}
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(
        base64.b64decode(doc["signature"]), canonical_json(unsigned))  # raises if not the county's
    assert doc["key_id"] == key["key_id"] and len(doc["nonce"]) >= 32
    assert _beat(server, "e-mall")["commands"] == []  # once
    assert _beat(server, "e-park")["commands"] == [] or all(
        d["station_id"] == "e-park" for d in _beat(server, "e-park")["commands"])


def test_expired_command_is_not_sent(server) -> None:  # noqa: ANN001
    from datetime import timedelta

    from sqlalchemy import create_engine, update

    from central.models import StationCommand

    _beat(server, "e-mall")
    made = _send(server, "e-mall", "east-maint").json()
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        from central.services import now
        conn.execute(update(StationCommand).where(StationCommand.id == made["id"])
                     .values(expires_at=now() - timedelta(seconds=1)))
    engine.dispose()
    assert _beat(server, "e-mall")["commands"] == []
    listed = server.client.get("/v1/stations/e-mall/commands", headers=server.as_(_tok(server, "east-maint"))).json()
    assert next(c for c in listed if c["id"] == made["id"])["state"] == "expired"


def test_result_with_screenshot_and_log_bundle(server) -> None:  # noqa: ANN001
    maint = server.as_(_tok(server, "east-maint"))
    shot = _send(server, "e-park", "east-maint").json()
    r = _result(server, "e-park", shot["id"], {"status": "done", "detail": "720x1280",
                                               "attachment_type": "image/png",
                                               "attachment": base64.b64encode(PNG).decode()})
    assert r.status_code == 200 and r.json()["state"] == "done" and r.json()["attachment_size"] == len(PNG)
    got = server.client.get(f"/v1/stations/e-park/commands/{shot['id']}/attachment", headers=maint)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content == PNG
    logs = _send(server, "e-park", "east-maint", kind="upload_logs", hours=2).json()
    bundle = gzip.compress(b"2026-01-01T00:00:00Z INFO x: hello\n")
    _result(server, "e-park", logs["id"], {"status": "done", "attachment_type": "application/gzip",
                                           "attachment": base64.b64encode(bundle).decode()})
    got = server.client.get(f"/v1/stations/e-park/commands/{logs['id']}/attachment", headers=maint)
    assert got.headers["content-type"] == "application/gzip" and "attachment;" in got.headers["content-disposition"]
    assert gzip.decompress(got.content).startswith(b"2026-01-01")
    # staff of the county only; an operator, a station and another county may not download
    for who, status in (("east-operator", 403), ("e-park", 403), ("west", 404)):
        assert server.client.get(f"/v1/stations/e-park/commands/{logs['id']}/attachment",
                                 headers=server.as_(_tok(server, who))).status_code == status
    # an attachment that is not what it says is refused
    other = _send(server, "e-park", "east-maint").json()
    bad = _result(server, "e-park", other["id"], {"status": "done", "attachment_type": "image/png",
                                                  "attachment": base64.b64encode(b"GIF89a").decode()})
    assert bad.status_code == 422


def test_result_scoping(server) -> None:  # noqa: ANN001
    made = _send(server, "e-park", "east-maint").json()
    body = {"status": "failed", "detail": "x"}
    assert _result(server, "e-park", made["id"], body, as_station="e-mall").status_code == 403  # not its id
    assert _result(server, "e-park", made["id"], body, as_station="east-maint").status_code == 403  # staff
    assert _result(server, "w-park", made["id"], body).status_code == 404  # another county's station
    # another station of the county reporting under its own id: only a refusal, kept as a note
    assert _result(server, "e-mall", made["id"], body).status_code == 404
    note = _result(server, "e-mall", made["id"], {"status": "refused", "detail": "for another station"})
    assert note.status_code == 200 and note.json()["state"] == "pending"
    assert note.json()["notes"][-1]["station_id"] == "e-mall"
    # the first result counts; a later refusal (a replay) is a note
    assert _result(server, "e-park", made["id"], {"status": "done"}).json()["state"] == "done"
    assert _result(server, "e-park", made["id"], {"status": "done"}).json()["notes"][-1]["station_id"] == "e-mall"
    again = _result(server, "e-park", made["id"], {"status": "refused", "detail": "replayed nonce"}).json()
    assert again["state"] == "done" and again["notes"][-1]["detail"] == "replayed nonce"
    big = server.client.post(f"/v1/stations/e-park/commands/{made['id']}/result",
                             content=b"x" * (6 * 1024 * 1024),
                             headers={**server.as_(_tok(server, "e-park")), "Content-Type": "application/json"})
    assert big.status_code == 413


def test_no_server_errors_on_odd_ids(server) -> None:  # noqa: ANN001
    maint = server.as_(_tok(server, "east-maint"))
    for path in ("/v1/stations/e-park/commands/not-a-uuid/attachment",
                 "/v1/stations/e-park/commands/" + "0" * 36 + "/attachment",
                 "/v1/stations/nope/commands"):
        assert server.client.get(path, headers=maint).status_code in (404, 422)
    assert json.loads(server.client.get("/v1/stations/e-park/commands?limit=1", headers=maint).text)


def test_admin_pages_by_role_and_form_errors(server) -> None:  # noqa: ANN001
    from central_helpers import admin_login, csrf_of

    for user, status in (("east-admin", 200), ("east-maint", 200), ("east-operator", 403)):
        web = admin_login(server.base_url, user, server.by_user[user]["password"])
        assert web.get("/admin/stations/e-park/commands").status_code == status, user
        assert web.get("/admin/stations/w-park/commands").status_code == (404 if status == 200 else 403)
        web.close()
    web = admin_login(server.base_url, "east-maint", server.by_user["east-maint"]["password"])
    page = web.get("/admin/stations/e-park/commands").text
    bad = web.post("/admin/stations/e-park/commands", data={"csrf": csrf_of(page), "kind": "upload_logs",
                                                             "hours": "99"})
    assert bad.status_code == 422 and "less than or equal to 72" in bad.text
    assert web.post("/admin/stations/e-park/commands",
                    data={"csrf": "forged", "kind": "restart"}).status_code == 403
    ok = web.post("/admin/stations/e-park/commands", data={"csrf": csrf_of(page), "kind": "restart"})
    assert ok.status_code == 303 and "/admin/stations/e-park/commands?sent=" in ok.headers["location"]
    for odd in ("0" * 36, "%00" * 36, "x"):
        assert web.get(f"/admin/stations/e-park/commands/{odd}/attachment").status_code == 404
    web.close()
