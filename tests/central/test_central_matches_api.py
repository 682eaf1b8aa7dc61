"""The staff's match list (issue 16) on SQLite and PostgreSQL: a registration made through
the station API is matched against the county's jobs at once, and a job created or changed
through the staff API against the open registrations; the list is masked and ranked; outcomes
follow the follow-up workflow; reveal is logged; scoping and body limits."""

from __future__ import annotations

import uuid

from central_helpers import admin_login, csrf_of, job_body
from registration_helpers import number, registration

STATION = "e-park"


def _register(server, serial: int, **wants) -> str:  # noqa: ANN001, ANN003
    body = registration(serial=serial, birth="19900101", **wants)
    r = server.client.post("/v1/registrations", json=body, headers={
        **server.as_(server.stations[STATION]["token"]), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _matches(server, user: str = "east-operator", **params) -> dict:  # noqa: ANN001, ANN003
    r = server.client.get("/v1/counties/east/matches", params=params,
                          headers=server.as_(server.by_user[user]["token"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_registration_is_matched_and_listed_masked(server) -> None:  # noqa: ANN001
    reg_id = _register(server, 501, categories=["搬运"], min_pay={"amount": 150, "unit": "day"})
    got = [m for m in _matches(server, limit=200)["matches"] if m["registration_id"] == reg_id]
    jobs = {m["job_id"] for m in got}
    assert "e-001" in jobs and "e-000" not in jobs and "e-closed" not in jobs  # pay unit, closed
    m = got[0]
    assert m["seeker"] == {"name": "王*记", "phone": "138****5678"} and m["station_id"] == STATION
    assert m["status"] == "new" and m["distance_km"] <= 3 and m["walk_minutes"] >= 1
    assert m["sms_state"] == "pending"  # the seeker opted in
    assert "王登记" not in str(got) and "13812345678" not in str(got)


def test_new_and_changed_jobs_are_matched(server) -> None:  # noqa: ANN001
    reg_id = _register(server, 502, categories=["园林绿化"], reach={"minutes": 15})
    staff = server.as_(server.staff["east"]["token"])
    body = job_body(category="园林绿化", lat=31.303, lng=117.2, pay_unit="day", pay_amount=180,
                    requirements={"age_min": 18, "age_max": 60, "notes": ""})
    r = server.client.post("/v1/jobs", json=body, headers=staff)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    listed = _matches(server, job=job_id)["matches"]
    assert [m["registration_id"] for m in listed] == [reg_id] and listed[0]["walk_minutes"] <= 15
    # Moved 2 km away: beyond 15 minutes' walk, the new match goes.
    r = server.client.put(f"/v1/jobs/{job_id}", json={**body, "lat": 31.32}, headers=staff)
    assert r.status_code == 200
    assert _matches(server, job=job_id)["matches"] == []
    # Back again, then closed: the match goes with the job.
    server.client.put(f"/v1/jobs/{job_id}", json=body, headers=staff)
    assert len(_matches(server, job=job_id)["matches"]) == 1
    server.client.post(f"/v1/jobs/{job_id}/close", headers=staff)
    assert _matches(server, job=job_id)["matches"] == []


def test_ranked_paged_and_counted(server) -> None:  # noqa: ANN001
    for serial in range(510, 516):
        _register(server, serial, categories=["搬运"])
    everything = _matches(server, job="e-001", limit=200)
    scores = [m["score"] for m in everything["matches"]]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 6
    seen, cursor = [], None
    while True:
        page = _matches(server, job="e-001", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [m["id"] for m in page["matches"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in everything["matches"]]
    assert everything["counts"]["new"] >= 6
    r = server.client.get("/v1/counties/east/matches", params={"cursor": "bm9wZQ"},
                          headers=server.as_(server.staff["east"]["token"]))
    assert r.status_code == 422


def test_outcomes_reveal_and_end(server) -> None:  # noqa: ANN001
    reg_id = _register(server, 520, categories=["搬运"])
    mine = [m for m in _matches(server, limit=200)["matches"] if m["registration_id"] == reg_id]
    first, second = mine[0]["id"], mine[1]["id"]
    op = server.as_(server.by_user["east-operator"]["token"])
    r = server.client.post(f"/v1/matches/{first}/outcome", json={"status": "hired"}, headers=op)
    assert r.status_code == 409  # new -> hired is not a step
    r = server.client.post(f"/v1/matches/{first}/outcome", json={"status": "no_answer"}, headers=op)
    assert r.json() == {"id": first, "status": "no_answer", "attempts": 1, "referred": False}
    r = server.client.post(f"/v1/matches/{first}/outcome", json={"status": "contacted", "note": "明天去"}, headers=op)
    assert r.json()["status"] == "contacted"
    r = server.client.post(f"/v1/matches/{first}/reveal", json={"reason": "follow_up"}, headers=op)
    assert r.status_code == 200 and r.json()["name"] == "王登记" and r.json()["phone"] == "13812345678"
    log = server.client.get("/v1/counties/east/access-log", headers=server.as_(server.staff["east"]["token"])).json()
    assert {"match_id": first, "application_id": None, "reason": "follow_up", "action": "reveal",
            "by": "east-operator"}.items() <= log["entries"][0].items()
    # The seeker ends the registration: untouched matches go, worked ones are withdrawn.
    r = server.client.post(f"/v1/registrations/{reg_id}/end", json={"station_id": STATION,
                                                                     "id_number": number("resident", 520, "19900101")},
                           headers={**server.as_(server.stations[STATION]["token"]), "Idempotency-Key": "e"})
    assert r.status_code == 200, r.text
    left = [m for m in _matches(server, limit=200)["matches"] if m["registration_id"] == reg_id]
    assert [(m["id"], m["status"], m["seeker"]) for m in left] == [(first, "withdrawn", None)]
    assert second not in {m["id"] for m in left}
    r = server.client.post(f"/v1/matches/{first}/reveal", json={"reason": "follow_up"}, headers=op)
    assert r.status_code == 410


def test_scoping_and_limits(server) -> None:  # noqa: ANN001
    reg_id = _register(server, 530, categories=["搬运"])
    match_id = next(m["id"] for m in _matches(server, limit=200)["matches"] if m["registration_id"] == reg_id)
    west = server.as_(server.staff["west"]["token"])
    assert server.client.get("/v1/counties/east/matches", headers=west).status_code == 404
    assert server.client.get("/v1/counties/west/matches", headers=west).json()["matches"] == []
    for path, body in [(f"/v1/matches/{match_id}/outcome", {"status": "contacted"}),
                       (f"/v1/matches/{match_id}/reveal", {"reason": "follow_up"})]:
        assert server.client.post(path, json=body, headers=west).status_code == 404
        maint = server.as_(server.by_user["east-maint"]["token"])
        assert server.client.post(path, json=body, headers=maint).status_code == 403
        station = server.as_(server.stations[STATION]["token"])
        assert server.client.post(path, json=body, headers=station).status_code == 403
        big = server.client.post(path, content=b"{" + b" " * 9000 + b"}",
                                 headers={**server.as_(server.staff["east"]["token"]), "Content-Type": "application/json"})
        assert big.status_code == 413
    maint = server.as_(server.by_user["east-maint"]["token"])
    assert server.client.get("/v1/counties/east/matches", headers=maint).status_code == 403
    station = server.as_(server.stations[STATION]["token"])
    assert server.client.get("/v1/counties/east/matches", headers=station).status_code == 403


def test_admin_page(server) -> None:  # noqa: ANN001
    reg_id = _register(server, 540, categories=["搬运"])
    match_id = next(m["id"] for m in _matches(server, limit=200)["matches"] if m["registration_id"] == reg_id)
    admin = admin_login(server.base_url, "east-admin", server.by_user["east-admin"]["password"])
    page = admin.get("/admin/matches")
    assert page.status_code == 200 and f'data-match="{match_id}"' in page.text and 'id="nav-matches"' in page.text
    assert "王*记" in page.text and "王登记" not in page.text
    assert "<script" not in page.text and "style=" not in page.text  # strict CSP
    csrf = csrf_of(page.text)
    r = admin.post(f"/admin/matches/{match_id}/outcome", data={"csrf": csrf, "status": "contacted",
                                                                "back": "/admin/matches"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/matches?saved=1"
    r = admin.post(f"/admin/matches/{match_id}/reveal", data={"csrf": csrf, "reason": "referral"})
    assert r.status_code == 200 and "王登记" in r.text and r.headers["cache-control"] == "no-store"
    assert admin.post(f"/admin/matches/{match_id}/outcome", data={"csrf": csrf, "status": "contacted"}).status_code == 409
    west = admin_login(server.base_url, "west-admin", server.by_user["west-admin"]["password"])
    assert west.get(f"/admin/matches/{match_id}").status_code == 404
    assert match_id not in west.get("/admin/matches").text
    maint = admin_login(server.base_url, "east-maint", server.by_user["east-maint"]["password"])
    assert maint.get("/admin/matches").status_code == 403
