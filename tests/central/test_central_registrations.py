"""Standing registrations at central (issue 16): the station's three calls on SQLite and
PostgreSQL: create, idempotent replay, renewal, lookup, ending (erased at once), all four
card types, scoping and body limits."""

from __future__ import annotations

import uuid

import pytest
from registration_helpers import number, registration
from sqlalchemy import create_engine, text

STATION = "e-park"


def _post(server, body: dict, key: str | None = None, station: str = STATION):  # noqa: ANN001, ANN202
    headers = {**server.as_(server.stations[station]["token"]), "Idempotency-Key": key or str(uuid.uuid4())}
    return server.client.post("/v1/registrations", json=body, headers=headers)


def _mine(server, id_number: str, station: str = STATION):  # noqa: ANN001, ANN202
    return server.client.post("/v1/registrations/mine", json={"station_id": station, "id_number": id_number},
                              headers=server.as_(server.stations[station]["token"]))


def _end(server, reg_id: str, id_number: str, station: str = STATION, key: str = "end-1"):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/registrations/{reg_id}/end", json={"station_id": station, "id_number": id_number},
                              headers={**server.as_(server.stations[station]["token"]), "Idempotency-Key": key})


def _row(server, reg_id: str) -> dict:  # noqa: ANN001
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as c:
            return dict(c.execute(text("SELECT * FROM registrations WHERE id = :i"), {"i": reg_id}).mappings().one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("card_type", ["resident", "hkmt_permit", "foreign_2023", "foreign_2017"])
def test_every_card_type_registers(server, card_type: str) -> None:  # noqa: ANN001
    r = _post(server, registration(card_type=card_type, serial=301))
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "open" and got["renewed"] is False and got["reference"] == "K7QD-3M9X"
    mine = _mine(server, number(card_type, 301)).json()["registrations"]
    assert [m["id"] for m in mine] == [got["id"]]
    assert mine[0]["wants"]["reach"] == {"km": 3, "minutes": None}
    row = _row(server, got["id"])
    assert row["card_type"] == card_type and str(row["birth_date"]) == "1970-05-01"
    assert number(card_type, 301).encode() not in bytes(row["seeker_enc"])  # encrypted


@pytest.mark.parametrize(("card_type", "bad"), [
    ("resident", "340102197005011230"),       # wrong check digit
    ("hkmt_permit", number("resident")),      # not 81/82/83
    ("foreign_2023", number("resident")),     # not 9...
    ("foreign_2023", number("foreign_2023")[:-1] + "0" if number("foreign_2023")[-1] != "0" else
     number("foreign_2023")[:-1] + "1"),      # wrong check digit
    ("foreign_2017", "US1170050101231"),      # 2 letters
    ("foreign_2017", number("resident")),
])
def test_invalid_numbers_are_refused(server, card_type: str, bad: str) -> None:  # noqa: ANN001
    body = registration(card_type=card_type)
    body["seeker"]["id_number"] = bad
    r = _post(server, body)
    assert r.status_code == 422, r.text
    assert bad not in r.text  # the number is not echoed


def test_birth_date_must_agree_with_the_number(server) -> None:  # noqa: ANN001
    body = registration(serial=302)
    body["seeker"]["birth_date"] = "1980-01-01"
    assert _post(server, body).status_code == 422
    body = registration(card_type="foreign_2017", serial=302)
    del body["seeker"]["birth_date"]
    assert _post(server, body).status_code == 422  # this card does not carry it


def test_applications_accept_all_card_types(server) -> None:  # noqa: ANN001
    from central_helpers import application

    for i, card_type in enumerate(["resident", "hkmt_permit", "foreign_2023", "foreign_2017"]):
        body = application(STATION, job_id="e-001", id_number=number(card_type, 400 + i), card_type=card_type)
        r = server.client.post("/v1/applications", json=body, headers={
            **server.as_(server.stations[STATION]["token"]), "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, (card_type, r.text)
    body = application(STATION, job_id="e-001", id_number=number("resident", 409), card_type="foreign_2017")
    r = server.client.post("/v1/applications", json=body, headers={
        **server.as_(server.stations[STATION]["token"]), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 422


def test_replay_renewal_and_conflict(server) -> None:  # noqa: ANN001
    body = registration(serial=303)
    first = _post(server, body, key="reg-303")
    assert first.status_code == 201
    again = _post(server, body, key="reg-303")
    assert (again.status_code, again.json()) == (201, first.json())
    changed = registration(serial=303, categories=["保洁"], reference="AB12-CD34")
    assert _post(server, changed, key="reg-303").status_code == 409
    renewed = _post(server, changed, key="reg-303-b")
    assert renewed.status_code == 200, renewed.text
    got = renewed.json()
    assert got["id"] == first.json()["id"] and got["renewed"] is True and got["reference"] == "AB12-CD34"
    assert _post(server, changed, key="reg-303-b").json() == got  # the renewal replays too
    mine = _mine(server, number("resident", 303)).json()["registrations"]
    assert len(mine) == 1 and mine[0]["wants"]["categories"] == ["保洁"]


def test_end_erases_at_once_and_repeats(server) -> None:  # noqa: ANN001
    reg_id = _post(server, registration(serial=304)).json()["id"]
    assert _end(server, reg_id, number("resident", 305)).status_code == 404  # another person
    r = _end(server, reg_id, number("resident", 304))
    assert (r.status_code, r.json()) == (200, {"id": reg_id, "status": "ended"})
    row = _row(server, reg_id)
    assert row["status"] == "ended" and bytes(row["seeker_enc"]) == b"" and row["seeker_hash"] is None
    assert row["birth_date"] is None and row["erased_at"] is not None and row["wants"]
    assert _end(server, reg_id, number("resident", 304), key="end-2").json() == {"id": reg_id, "status": "ended"}
    assert _mine(server, number("resident", 304)).json() == {"registrations": []}
    # A new registration after the end is a new one (201), not a renewal.
    assert _post(server, registration(serial=304)).status_code == 201


def test_scoping(server) -> None:  # noqa: ANN001
    body = registration(serial=306)
    reg_id = _post(server, body).json()["id"]
    # Another county's station: the registration is unknown there.
    assert _end(server, reg_id, number("resident", 306), station="w-park").status_code == 404
    assert _mine(server, number("resident", 306), station="w-park").json() == {"registrations": []}
    # A station acting for a sibling station: 403; for another county's: 404.
    token = server.as_(server.stations["e-mall"]["token"])
    for path, payload in [("/v1/registrations", body),
                          ("/v1/registrations/mine", {"station_id": STATION, "id_number": number("resident", 306)}),
                          (f"/v1/registrations/{reg_id}/end", {"station_id": STATION,
                                                               "id_number": number("resident", 306)})]:
        r = server.client.post(path, json=payload, headers={**token, "Idempotency-Key": "k"})
        assert r.status_code == 403, (path, r.text)
        other = {**payload, "station_id": "w-park"}
        assert server.client.post(path, json=other, headers={**token, "Idempotency-Key": "k"}).status_code == 404
        # Staff are not stations.
        staff = server.as_(server.staff["east"]["token"])
        assert server.client.post(path, json=payload, headers={**staff, "Idempotency-Key": "k"}).status_code == 403
        assert server.client.post(path, json=payload).status_code == 401


def test_body_limits(server) -> None:  # noqa: ANN001
    token = {**server.as_(server.stations[STATION]["token"]), "Idempotency-Key": "k"}
    for path, limit in [("/v1/registrations", 24 * 1024), ("/v1/registrations/mine", 1024),
                        (f"/v1/registrations/{uuid.uuid4()}/end", 1024)]:
        r = server.client.post(path, content=b"{" + b" " * limit + b"}", headers={**token, "Content-Type": "application/json"})
        assert r.status_code == 413, path


def test_wants_are_chips_only(server) -> None:  # noqa: ANN001
    for bad in [{"reach": {"km": 2}}, {"reach": {"km": 3, "minutes": 15}}, {"reach": {"minutes": 20}},
                {"days": ["monday"]}, {"settlement": "monthly"}, {"min_pay": {"amount": 100, "unit": "year"}}]:
        assert _post(server, registration(serial=307, **bad)).status_code == 422, bad
    body = registration(serial=307)
    body["consent"]["days"] = 91
    assert _post(server, body).status_code == 422
    ok = registration(serial=307, reach={"minutes": 15}, days=["sun", "mon", "mon"],
                      min_pay={"amount": 150, "unit": "day"})
    assert _post(server, ok).status_code == 201
    got = _mine(server, number("resident", 307)).json()["registrations"][0]["wants"]
    assert got["days"] == ["mon", "sun"] and got["reach"] == {"km": None, "minutes": 15}
