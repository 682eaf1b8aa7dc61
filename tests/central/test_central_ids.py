"""Job and policy ids are scoped per county (issue 11, item 17): a county chooses ids only in
its own namespace ("<code>-" or "<id_prefix>-"), and another county's ids can be neither
squatted nor enumerated from 404/409 answers."""

from __future__ import annotations

import re

import pytest
from central_helpers import admin_login, csrf_of, job_body

from central import db, services
from central.security import DataCipher, new_data_key

POLICY = {"category": "补贴", "title": "补贴政策"}


def _staff(server, county: str = "east") -> dict:  # noqa: ANN001
    return server.as_(server.staff[county]["token"])


def test_job_ids_must_be_in_the_county_namespace(server) -> None:  # noqa: ANN001
    for outside in ("w-123", "west-9", "qq-1", "nodash", "e-", "ea-1"):
        r = server.client.post("/v1/jobs", headers=_staff(server), json=job_body(id=outside))
        assert r.status_code == 422, (outside, r.status_code, r.text)
        detail = r.json()["detail"][0]
        assert detail["loc"] == ["body", "id"] and '"east-"' in detail["msg"] and '"e-"' in detail["msg"]
    for inside in ("east-ids-1", "e-ids-2"):
        r = server.client.post("/v1/jobs", headers=_staff(server), json=job_body(id=inside))
        assert r.status_code == 201, r.text
        assert r.json()["id"] == inside
    again = server.client.post("/v1/jobs", headers=_staff(server), json=job_body(id="e-ids-2"))
    assert again.status_code == 409
    generated = server.client.post("/v1/jobs", headers=_staff(server), json=job_body())
    assert generated.status_code == 201 and re.fullmatch(r"e-[0-9a-f]{12}", generated.json()["id"])
    west = server.client.post("/v1/jobs", headers=_staff(server, "west"), json=job_body())
    assert west.status_code == 201 and west.json()["id"].startswith("w-")


def test_another_countys_ids_cannot_be_enumerated(server) -> None:  # noqa: ANN001
    """An existing and a missing id of West give East the very same answers."""
    staff = _staff(server)
    pairs = [
        ("POST", "/v1/jobs", "w-000", "w-nope"),
        ("GET", "/v1/jobs/{}", "w-000", "w-nope"),
        ("PUT", "/v1/jobs/{}", "w-000", "w-nope"),
        ("POST", "/v1/jobs/{}/close", "w-000", "w-nope"),
        ("PUT", "/v1/policies/{}", "west-p0", "west-nope"),
        ("PUT", "/v1/policies/{}", "w-p0", "w-nope"),
    ]
    for method, path, existing, missing in pairs:
        answers = []
        for item in (existing, missing):
            if method == "POST" and path == "/v1/jobs":
                r = server.client.post(path, headers=staff, json=job_body(id=item))
            else:
                body = POLICY if "policies" in path else job_body()
                r = server.client.request(method, path.format(item), headers=staff,
                                          json=body if method == "PUT" else None)
            answers.append((r.status_code, r.json()))
        assert answers[0] == answers[1], (method, path, answers)
        assert answers[0][0] in (404, 422), answers
        if method != "POST" or path != "/v1/jobs":
            assert answers[0][0] == 404, (path, answers)  # GET/PUT: like an unknown id
    # West's policy is untouched
    policies = server.client.get("/v1/policies", headers=_staff(server, "west")).json()["policies"]
    assert {p["id"]: p for p in policies}["west-p0"]["title"] != POLICY["title"]


def test_policy_ids_outside_every_namespace_are_422_and_409_only_in_ones_own(server) -> None:  # noqa: ANN001
    staff = _staff(server)
    for outside in ("zz-1", "nodash"):
        r = server.client.put(f"/v1/policies/{outside}", headers=staff, json=POLICY)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["path", "policy_id"]
    assert server.client.put("/v1/policies/e-ids-p1", headers=staff, json=POLICY).status_code == 200
    assert server.client.put("/v1/policies/e-ids-p1", headers=staff, json=POLICY).status_code == 200
    assert server.client.put("/v1/policies/east-p0", headers=staff, json=POLICY).status_code == 200


def test_admin_forms_keep_ids_in_the_namespace(server) -> None:  # noqa: ANN001
    admin = admin_login(server.base_url, "east-admin", server.staff["east"]["password"])
    form = {k: str(v) for k, v in job_body().items() if k != "requirements"}
    for wanted, status in (("w-adm-1", 422), ("e-000", 422), ("", 303), ("e-adm-1", 303)):
        page = admin.get("/admin/jobs/new").text
        r = admin.post("/admin/jobs/new", data={**form, "id": wanted, "csrf": csrf_of(page)})
        assert r.status_code == status, (wanted, r.status_code)
        if status == 303:
            assert re.fullmatch(r"/admin/jobs/e-[0-9a-z-]+\?saved=1", r.headers["location"]), r.headers
        elif wanted.startswith("w-"):
            assert "e-" in r.text and "east-" in r.text
    for wanted, status in (("west-adm", 422), ("west-p0", 422), ("east-p0", 422), ("", 303), ("east-adm", 303)):
        page = admin.get("/admin/policies/new").text
        r = admin.post("/admin/policies/new", data={**POLICY, "id": wanted, "status": "published",
                                                     "csrf": csrf_of(page)})
        assert r.status_code == status, (wanted, r.status_code)
        if status == 303:
            assert re.fullmatch(r"/admin/policies/(e|east)-[0-9a-z-]+\?saved=1", r.headers["location"])
    # the two refusals of West's names (existing and not) are the same page, apart from the id
    answers = []
    for wanted in ("west-p0", "west-nope"):
        page = admin.get("/admin/policies/new").text
        r = admin.post("/admin/policies/new", data={**POLICY, "id": wanted, "status": "published",
                                                     "csrf": csrf_of(page)})
        answers.append(re.sub(r'name="csrf" value="[^"]+"', "", r.text).replace(wanted, "ID"))
    assert answers[0] == answers[1]
    assert admin.get("/admin/policies/west-p0").status_code == 404
    assert admin.post("/admin/policies/west-p0", data={**POLICY, "csrf": csrf_of(page)}).status_code == 404


def test_county_namespaces_do_not_overlap(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    keyring = services.Keyring(DataCipher(new_data_key()))
    try:
        with db.session_factory(engine)() as s:
            services.create_county(s, keyring, "east", "东县", "East", "e")
            for code, prefix in (("e", None), ("west", "east"), ("west", "e"), ("we-st", None), ("west", "w-1")):
                with pytest.raises(ValueError):
                    services.create_county(s, keyring, code, "西县", "West", prefix)
            services.create_county(s, keyring, "west", "西县", "West", "w")
    finally:
        engine.dispose()
