"""Authorisation matrix: every endpoint × (own station, other station of the county, station
of another county, staff of the county, staff of another county, no token, bad token)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from central_helpers import HEARTBEAT, application, job_body
from registration_helpers import number, registration

ALLOW, DENY, UNAUTH = "allow", "deny", "unauth"
PRINCIPALS = ("own_station", "county_station", "foreign_station", "staff", "foreign_staff", "none", "bad")


@dataclass
class Case:
    name: str
    method: str
    path: str
    allowed: tuple[str, ...]
    body: Any = None
    public: bool = False


CASES = [
    Case("jobs", "GET", "/v1/stations/e-park/jobs", ("own_station", "staff")),
    Case("config", "GET", "/v1/stations/e-park/config", ("own_station", "staff")),
    Case("put-config", "PUT", "/v1/stations/e-park/config", ("staff",), {"config": {"banner": "hi"}}),
    Case("heartbeat", "POST", "/v1/stations/e-park/heartbeats", ("own_station",), HEARTBEAT),
    Case("application", "POST", "/v1/applications", ("own_station",), application("e-park")),
    Case("policies", "GET", "/v1/policies", PRINCIPALS[:5]),
    Case("stations", "GET", "/v1/stations", ("staff", "foreign_staff")),  # each sees its own county
    Case("county-config", "GET", "/v1/counties/east/config", ("staff",)),
    Case("alerts", "GET", "/v1/counties/east/alerts?state=open", ("staff",)),
    Case("put-county-config", "PUT", "/v1/counties/east/config", ("staff",), {"config": {"radius_km": 25}}),
    Case("public-key", "GET", "/v1/counties/east/public-key", PRINCIPALS[:5]),
    Case("create-job", "POST", "/v1/jobs", ("staff", "foreign_staff"), job_body()),  # into own county
    Case("get-job", "GET", "/v1/jobs/e-001", ("staff",)),
    Case("put-job", "PUT", "/v1/jobs/e-001", ("staff",), job_body()),
    Case("close-job", "POST", "/v1/jobs/e-002/close", ("staff",)),
    Case("put-policy", "PUT", "/v1/policies/east-p0",
         ("staff",), {"category": "补贴", "title": "补贴政策"}),
    Case("schema", "GET", "/v1/schema/station-config", PRINCIPALS, public=True),
    Case("send-command", "POST", "/v1/stations/e-park/commands", ("staff",), {"kind": "resync"}),
    Case("list-commands", "GET", "/v1/stations/e-park/commands", ("staff",)),
    Case("registration", "POST", "/v1/registrations", ("own_station",), registration("e-park", serial=900)),
    Case("registrations-mine", "POST", "/v1/registrations/mine", ("own_station",),
         {"station_id": "e-park", "id_number": number("resident", 900)}),
    Case("matches", "GET", "/v1/counties/east/matches", ("staff",)),
]


def _token(server, who: str) -> str | None:  # noqa: ANN001
    return {
        "own_station": server.stations["e-park"]["token"],
        "county_station": server.stations["e-mall"]["token"],
        "foreign_station": server.stations["w-park"]["token"],
        "staff": server.staff["east"]["token"],
        "foreign_staff": server.staff["west"]["token"],
        "none": None,
        "bad": "not-a-real-token-" + uuid.uuid4().hex,
    }[who]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_authorisation_matrix(server, case: Case) -> None:  # noqa: ANN001
    outcomes = {}
    for who in PRINCIPALS:
        headers = server.as_(_token(server, who))
        if case.name in ("application", "registration"):
            headers["Idempotency-Key"] = f"authz-{who}"
        r = server.client.request(case.method, case.path, headers=headers, json=case.body)
        assert r.status_code < 500, (who, r.status_code, r.text)
        if who in case.allowed:
            expect = ALLOW
        elif who in ("none", "bad") and not case.public:
            expect = UNAUTH
        else:
            expect = DENY
        got = ALLOW if r.status_code < 400 else UNAUTH if r.status_code == 401 else (
            DENY if r.status_code in (403, 404) else f"other {r.status_code}")
        outcomes[who] = (expect, got, r.status_code)
        if expect == UNAUTH:
            assert r.headers.get("www-authenticate") == "Bearer"
    wrong = {w: o for w, o in outcomes.items() if o[0] != o[1]}
    assert not wrong, wrong


def test_staff_listing_is_scoped_to_county(server) -> None:  # noqa: ANN001
    for county in ("east", "west"):
        r = server.client.get("/v1/stations", headers=server.as_(server.staff[county]["token"]))
        assert r.status_code == 200
        assert {s["county"] for s in r.json()} == {county}


def test_foreign_staff_cannot_touch_config_of_other_county(server) -> None:  # noqa: ANN001
    west = server.as_(server.staff["west"]["token"])
    before = server.client.get("/v1/stations/e-park/config",
                               headers=server.as_(server.stations["e-park"]["token"])).json()
    r = server.client.put("/v1/stations/e-park/config", headers=west, json={"config": {"banner": "x"}})
    assert r.status_code in (403, 404)
    after = server.client.get("/v1/stations/e-park/config",
                              headers=server.as_(server.stations["e-park"]["token"])).json()
    assert after["version"] == before["version"]


# Roles (central.roles): which staff role may call which endpoint; the admin is "staff" above.
ROLE_CASES = [
    # name, method, path, body, roles allowed
    ("stations", "GET", "/v1/stations", None, {"admin", "operator", "maintainer"}),
    ("config", "GET", "/v1/stations/e-park/config", None, {"admin", "operator", "maintainer"}),
    ("put-config", "PUT", "/v1/stations/e-park/config", {"config": {"banner": "hi"}}, {"admin"}),
    ("put-county-config", "PUT", "/v1/counties/east/config", {"config": {"radius_km": 25}}, {"admin"}),
    ("create-job", "POST", "/v1/jobs", job_body(), {"admin", "operator"}),
    ("get-job", "GET", "/v1/jobs/e-001", None, {"admin", "operator"}),
    ("put-policy", "PUT", "/v1/policies/east-p0", {"category": "补贴", "title": "补贴政策"},
     {"admin", "operator"}),
    ("send-command", "POST", "/v1/stations/e-park/commands", {"kind": "resync"}, {"admin", "maintainer"}),
    ("list-commands", "GET", "/v1/stations/e-park/commands", None, {"admin", "maintainer"}),
    ("matches", "GET", "/v1/counties/east/matches", None, {"admin", "operator"}),
]


@pytest.mark.parametrize("case", ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_role_matrix(server, case) -> None:  # noqa: ANN001
    name, method, path, body, allowed = case
    for user, role in (("east-admin", "admin"), ("east-operator", "operator"), ("east-maint", "maintainer")):
        r = server.client.request(method, path, json=body, headers=server.as_(server.by_user[user]["token"]))
        assert r.status_code < 500, (user, r.text)
        if role in allowed:
            assert r.status_code < 400, (user, r.status_code, r.text)
        else:
            assert r.status_code == 403, (user, r.status_code, r.text)


def test_maintainer_cannot_set_the_county_pin_hash(server) -> None:  # noqa: ANN001
    """The hardening finding: a maintainer account could change the county's maintenance PIN."""
    maint = server.as_(server.by_user["east-maint"]["token"])
    before = server.client.get("/v1/counties/east/config", headers=maint).json()
    r = server.client.put("/v1/counties/east/config", headers=maint,
                          json={"config": {"maintenance_pin_hash": None}})
    assert r.status_code == 403
    assert server.client.get("/v1/counties/east/config", headers=maint).json()["version"] == before["version"]
