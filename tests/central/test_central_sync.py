"""Jobs/policies deltas by cursor, signed config documents with ETag, config validation."""

from __future__ import annotations

import base64
import json

from central_helpers import HEARTBEAT, job_body
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _pull(server, station, since=None, limit=200):  # noqa: ANN001, ANN202
    """Pages to the end; returns (jobs by id, deleted ids, cursor, pages)."""
    headers = server.as_(server.stations[station]["token"])
    jobs, deleted, pages = {}, set(), 0
    while True:
        params = {"limit": limit, **({"since": since} if since else {})}
        r = server.client.get(f"/v1/stations/{station}/jobs", headers=headers, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        for j in body["jobs"]:
            jobs[j["id"]] = j
            deleted.discard(j["id"])
        for d in body["deleted"]:
            jobs.pop(d, None)
            deleted.add(d)
        since = body["cursor"]
        if not body["has_more"]:
            return jobs, deleted, since, pages


def test_paged_full_sync_then_deltas(server) -> None:  # noqa: ANN001
    staff = server.as_(server.staff["east"]["token"])
    jobs, deleted, cursor, pages = _pull(server, "e-park", limit=5)
    assert pages >= 3
    assert all(j["status"] == "open" for j in jobs.values())
    assert "e-closed" not in jobs and not any(i.startswith("w-") for i in jobs)  # far away
    assert {"e-000", "e-005"} <= set(jobs)
    job = jobs["e-000"]
    for field in ("id", "title", "category", "employer", "headcount", "pay_amount", "pay_unit",
                  "settlement", "start_date", "end_date", "daily_hours", "address", "lat", "lng",
                  "contact", "requirements", "valid_through", "status", "updated_at"):
        assert field in job
    # nothing new: empty delta, same position
    again, gone, cursor2, _ = _pull(server, "e-park", cursor)
    assert again == {} and gone == set()
    # an edit and a closure show up in the next delta
    r = server.client.put("/v1/jobs/e-003", headers=staff, json=job_body(title="改过的岗位", lat=31.306, lng=117.206))
    assert r.status_code == 200, r.text
    assert server.client.post("/v1/jobs/e-004/close", headers=staff).status_code == 200
    created = server.client.post("/v1/jobs", headers=staff, json=job_body(id="e-new"))
    assert created.status_code == 201, created.text
    changed, gone, _, _ = _pull(server, "e-park", cursor2)
    assert set(changed) == {"e-003", "e-new"} and changed["e-003"]["title"] == "改过的岗位"
    assert gone == {"e-004"}


def test_radius_comes_from_station_config(server) -> None:  # noqa: ANN001
    staff = server.as_(server.staff["east"]["token"])
    r = server.client.put("/v1/stations/e-mall/config", headers=staff, json={"config": {"radius_km": 0.5}})
    assert r.status_code == 200
    near, _, _, _ = _pull(server, "e-mall")
    # e-mall is at (31.32, 117.24); only jobs within 0.5 km count
    assert all(abs(j["lat"] - 31.32) < 0.01 for j in near.values())
    r = server.client.put("/v1/stations/e-mall/config", headers=staff, json={"config": {"radius_km": 50}})
    wide, _, _, _ = _pull(server, "e-mall")
    assert len(wide) > len(near)


def test_unknown_cursor_restarts_with_full_sync(server) -> None:  # noqa: ANN001
    headers = server.as_(server.stations["e-park"]["token"])
    full = server.client.get("/v1/stations/e-park/jobs", headers=headers, params={"limit": 1000}).json()
    assert full["reset"] is False
    # garbage, another kind's cursor, a negative one, one from the future
    for bad in ("zzz", "cDox", "!!", "ajotMQ", "ajo5OTk5OTk"):
        r = server.client.get("/v1/stations/e-park/jobs", headers=headers, params={"since": bad, "limit": 1000})
        assert r.status_code == 200, (bad, r.text)
        body = r.json()
        assert body["reset"] is True and body["deleted"] == []
        assert {j["id"] for j in body["jobs"]} == {j["id"] for j in full["jobs"]}


def test_policies_delta_scoped_to_county(server) -> None:  # noqa: ANN001
    east = server.as_(server.stations["e-park"]["token"])
    body = server.client.get("/v1/policies", headers=east).json()
    assert body["policies"] and all(p["county"] == "east" for p in body["policies"])
    r = server.client.get("/v1/policies", headers=east, params={"since": body["cursor"]})
    assert r.json()["policies"] == [] and r.json()["deleted"] == []
    staff = server.as_(server.staff["east"]["token"])
    r = server.client.put("/v1/policies/east-p1", headers=staff,
                          json={"category": "补贴", "title": "已撤回", "status": "withdrawn"})
    assert r.status_code == 200
    delta = server.client.get("/v1/policies", headers=east, params={"since": body["cursor"]}).json()
    assert delta["deleted"] == ["east-p1"] and delta["policies"] == []


def _verify(server, doc: dict) -> None:  # noqa: ANN001
    key = server.client.get(f"/v1/counties/{doc['county']}/public-key",
                            headers=server.as_(server.stations["e-park"]["token"])).json()
    seeded = {c["code"]: c for c in server.seed["counties"]}[doc["county"]]
    assert key["public_key"] == seeded["public_key"] and key["key_id"] == doc["key_id"]
    payload = {k: v for k, v in doc.items() if k not in ("signature", "key_id")}
    signed = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(
        base64.b64decode(doc["signature"]), signed)


def test_config_is_signed_versioned_and_cached_by_etag(server) -> None:  # noqa: ANN001
    station = server.as_(server.stations["e-park"]["token"])
    staff = server.as_(server.staff["east"]["token"])
    r = server.client.get("/v1/stations/e-park/config", headers=station)
    assert r.status_code == 200
    doc, etag = r.json(), r.headers["etag"]
    _verify(server, doc)
    assert server.client.get("/v1/stations/e-park/config",
                             headers={**station, "If-None-Match": etag}).status_code == 304
    r = server.client.put("/v1/stations/e-park/config", headers=staff,
                          json={"config": {"banner": "欢迎光临", "features": {"voice": False}}})
    assert r.status_code == 200
    new = server.client.get("/v1/stations/e-park/config", headers={**station, "If-None-Match": etag})
    assert new.status_code == 200 and new.headers["etag"] != etag
    doc2 = new.json()
    assert doc2["version"] > doc["version"]  # services.next_config_version: never reused
    assert doc2["config"]["banner"] == "欢迎光临" and doc2["config"]["features"]["voice"] is False
    assert doc2["config"]["features"]["print"] is True
    _verify(server, doc2)
    tampered = {**doc2, "config": {**doc2["config"], "banner": "篡改"}}
    try:
        _verify(server, tampered)
    except Exception as exc:  # InvalidSignature
        assert type(exc).__name__ == "InvalidSignature"
    else:
        raise AssertionError("tampered document verified")


def test_county_config_republishes_every_station(server) -> None:  # noqa: ANN001
    staff = server.as_(server.staff["west"]["token"])
    before = {s: server.client.get(f"/v1/stations/{s}/config", headers=staff).json()["version"]
              for s in ("w-park", "w-mall")}
    r = server.client.put("/v1/counties/west/config", headers=staff,
                          json={"config": {"idle_timeout_s": 120, "default_language": "en"}})
    assert r.status_code == 200 and r.json()["effective"]["idle_timeout_s"] == 120
    for s in ("w-park", "w-mall"):
        doc = server.client.get(f"/v1/stations/{s}/config", headers=staff).json()
        assert doc["version"] > before[s] and doc["config"]["default_language"] == "en"
        _verify(server, doc)


def test_config_validation_names_the_field(server) -> None:  # noqa: ANN001
    staff = server.as_(server.staff["east"]["token"])
    bad = {"idle_timeout_s": 5, "radius_km": 1000, "sync_interval_s": "often", "opening_hours": "25:00-26:00",
           "default_language": "fr", "features": {"print": "maybe"}, "unknown_field": 1,
           "maintenance_pin_hash": "short", "help_phone": "call me", "complaint_phone": "12333 or so",
           "elderly_by_age": "yes please",
           "public_job_url": "http://jobs.example/{job_id}"}
    for field, value in bad.items():
        r = server.client.put("/v1/stations/e-park/config", headers=staff, json={"config": {field: value}})
        assert r.status_code == 422, (field, r.text)
        locs = [e["loc"] for e in r.json()["detail"]]
        assert any(field in loc for loc in locs), (field, locs)
    schema = server.client.get("/v1/schema/station-config").json()
    assert set(schema["properties"]) == {
        "idle_timeout_s", "banner", "radius_km", "features", "default_language", "elderly_mode_default",
        "receipt_footer", "opening_hours", "sync_interval_s", "heartbeat_interval_s", "maintenance_pin_hash",
        "followup_hours", "followup_phone", "help_phone", "complaint_phone", "elderly_by_age",
        "public_job_url"}


def test_heartbeat_shows_in_station_health(server) -> None:  # noqa: ANN001
    station = server.as_(server.stations["w-mall"]["token"])
    beat = {**HEARTBEAT, "rejected_config": {"version": 3, "reason": "radius_km out of range"}}
    r = server.client.post("/v1/stations/w-mall/heartbeats", headers=station, json=beat)
    assert r.status_code == 200 and r.json()["config_version"] >= 1
    rows = server.client.get("/v1/stations", headers=server.as_(server.staff["west"]["token"])).json()
    row = {s["id"]: s for s in rows}["w-mall"]
    assert row["app_version"] == "0.1.0" and row["paper"] == "low" and row["outbox_depth"] == 2
    assert row["rejected_config"] == {"version": 3, "reason": "radius_km out of range"}
    assert row["devices"]["idcard"]["state"] == "error" and row["heartbeat_age_s"] < 60


def test_county_public_job_page_reaches_the_stations_config(server) -> None:  # noqa: ANN001
    """Issue 18 item 16: the county's job page template travels to its stations, and the
    kiosk's own validation takes the document."""
    from kiosk.remote_config import StationConfig as KioskConfig

    staff = server.as_(server.staff["west"]["token"])
    url = "https://zp.west.example/job/{job_id}?src=kiosk"
    r = server.client.put("/v1/counties/west/config", headers=staff, json={"config": {"public_job_url": url}})
    assert r.status_code == 200 and r.json()["effective"]["public_job_url"] == url
    doc = server.client.get("/v1/stations/w-park/config", headers=staff).json()
    assert doc["config"]["public_job_url"] == url
    assert KioskConfig.model_validate(doc["config"]).public_job_url == url
