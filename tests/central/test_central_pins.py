"""Maintenance PIN hashes at central: the new (scrypt) format only, one per station, never
county-wide, on the API and on the admin pages."""

from __future__ import annotations

import httpx
import pytest
from central_helpers import admin_login, csrf_of

from kiosk.pin import hash_pin

OLD = "pbkdf2-sha256$120000$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"


@pytest.fixture(scope="module")
def admin(server) -> httpx.Client:  # noqa: ANN001
    client = admin_login(server.base_url, "east-admin", server.by_user["east-admin"]["password"])
    yield client
    client.close()


def _stations(server, county: str = "east") -> list[str]:  # noqa: ANN001
    return [s["id"] for s in server.seed["stations"] if s["county"] == county]


def _put_station(server, station: str, pin_hash: str | None) -> httpx.Response:  # noqa: ANN001
    return server.client.put(f"/v1/stations/{station}/config", headers=server.as_(server.staff["east"]["token"]),
                             json={"config": {"maintenance_pin_hash": pin_hash}})


def test_api_sets_a_per_station_scrypt_pin(server) -> None:  # noqa: ANN001
    station = _stations(server)[0]
    encoded = hash_pin("8642097531", log2_n=14)
    r = _put_station(server, station, encoded)
    assert r.status_code == 200, r.text
    assert r.json()["config"]["maintenance_pin_hash"] == encoded


def test_api_refuses_the_old_format(server) -> None:  # noqa: ANN001
    r = _put_station(server, _stations(server)[0], OLD)
    assert r.status_code == 422
    assert "gig-kiosk pin-hash" in r.text and "pbkdf2" in r.text


def test_api_refuses_a_county_wide_pin(server) -> None:  # noqa: ANN001
    token = server.as_(server.staff["east"]["token"])
    before = server.client.get("/v1/counties/east/config", headers=token).json()["version"]
    r = server.client.put("/v1/counties/east/config", headers=token,
                          json={"config": {"maintenance_pin_hash": hash_pin("135792468", log2_n=14)}})
    assert r.status_code == 422 and "per station" in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "config", "maintenance_pin_hash"]
    assert server.client.get("/v1/counties/east/config", headers=token).json()["version"] == before


def test_the_same_hash_on_two_stations_is_refused(server) -> None:  # noqa: ANN001
    first, second = _stations(server)[:2]
    shared = hash_pin("97531086", log2_n=14)
    assert _put_station(server, first, shared).status_code == 200
    r = _put_station(server, second, shared)
    assert r.status_code == 422 and "its own PIN" in r.text
    # Re-saving the same station with its own hash is fine.
    assert _put_station(server, first, shared).status_code == 200


def test_admin_pages_refuse_old_format_and_county_pin(server, admin) -> None:  # noqa: ANN001
    station = _stations(server)[0]
    page = admin.get(f"/admin/stations/{station}/config").text
    assert "one per station" in page
    r = admin.post(f"/admin/stations/{station}/config", data={"csrf": csrf_of(page), "maintenance_pin_hash": OLD})
    assert r.status_code == 422 and 'id="error-maintenance_pin_hash"' in r.text and "pin-hash" in r.text
    page = admin.get("/admin/county/config").text
    r = admin.post("/admin/county/config",
                   data={"csrf": csrf_of(page), "maintenance_pin_hash": hash_pin("24680135", log2_n=14)})
    assert r.status_code == 422 and "per station" in r.text
    assert 'id="county-pin-warning"' not in page  # no county PIN stored here


def test_a_county_pin_from_before_is_flagged(server, admin) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from central import db
    from central.models import County

    engine = db.make_engine(server.database_url)
    try:
        with db.session_factory(engine)() as s:
            s.execute(update(County).where(County.code == "east").values(config={"maintenance_pin_hash": OLD}))
            s.commit()
        assert 'id="county-pin-warning"' in admin.get("/admin/county/config").text
    finally:
        with db.session_factory(engine)() as s:
            s.execute(update(County).where(County.code == "east").values(config={}))
            s.commit()
        engine.dispose()
