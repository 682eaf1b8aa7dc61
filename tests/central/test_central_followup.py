"""Follow-up API (issue 12): inbox scoping and filters, reveal role matrix and access log,
outcome transitions, the kiosk's my-applications lookup and withdrawal. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from central_helpers import (
    application,
    id_number,
    no_application_rate_limit,  # noqa: F401 - autouse fixture for this module
)
from sqlalchemy import create_engine, text

from central.db import normalise_url


def apply(server, station: str, job: str, serial: int, name: str = "张测试",  # noqa: ANN001
          phone: str = "13812345678") -> str:
    body = application(station, job_id=job, phone=phone, name=name, id_number=id_number(serial))
    r = server.client.post("/v1/applications", json=body, headers={
        **server.as_(server.stations[station]["token"]), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _as(server, user: str) -> dict[str, str]:  # noqa: ANN001
    return server.as_(server.by_user[user]["token"])


def _inbox(server, user: str = "east-admin", county: str = "east", **params):  # noqa: ANN001, ANN003, ANN202
    return server.client.get(f"/v1/counties/{county}/applications", params=params, headers=_as(server, user))


def _reveal(server, app_id: str, user: str = "east-admin", reason: str = "follow_up"):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/applications/{app_id}/reveal", json={"reason": reason},
                              headers=_as(server, user))


def _outcome(server, app_id: str, status: str, note: str = "", user: str = "east-operator"):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/applications/{app_id}/outcome", json={"status": status, "note": note},
                              headers=_as(server, user))


def _station(server, station: str) -> dict[str, str]:  # noqa: ANN001
    return server.as_(server.stations[station]["token"])


def test_inbox_is_scoped_masked_and_refused_to_stations(server) -> None:  # noqa: ANN001
    east = apply(server, "e-park", "e-001", 301, name="东方甲", phone="13811110001")
    west = apply(server, "w-park", "w-001", 302, name="西方乙", phone="13811110002")
    r = _inbox(server, limit=200)
    assert r.status_code == 200, r.text
    ids = [a["id"] for a in r.json()["applications"]]
    assert east in ids and west not in ids
    mine = next(a for a in r.json()["applications"] if a["id"] == east)
    assert mine["seeker"] == {"name": "东*甲", "phone": "138****0001",
                              "id_number": id_number(301)[:3] + "*" * 11 + id_number(301)[-4:]}
    assert mine["status"] == "new" and mine["job_title"] and mine["station_id"] == "e-park"
    for secret in ("东方甲", "13811110001", id_number(301)):
        assert secret not in r.text
    west_view = _inbox(server, "west-admin", "west", limit=200).json()["applications"]
    assert [a["id"] for a in west_view if a["id"] in (east, west)] == [west]
    # another county: 404 for staff; any station token: 403; a maintainer's role: 403
    assert _inbox(server, "east-admin", "west").status_code == 404
    assert _inbox(server, "east-admin", "nowhere").status_code == 404
    assert _inbox(server, "east-maint").status_code == 403
    assert _inbox(server, "east-operator").status_code == 200
    st = _station(server, "e-park")
    assert server.client.get("/v1/counties/east/applications", headers=st).status_code == 403
    assert server.client.post(f"/v1/applications/{east}/reveal", json={"reason": "follow_up"},
                              headers=st).status_code == 403
    assert server.client.post(f"/v1/applications/{east}/outcome", json={"status": "contacted"},
                              headers=st).status_code == 403
    assert server.client.get("/v1/counties/east/access-log", headers=st).status_code == 403
    # another county's application: 404 on reveal and outcome
    assert _reveal(server, west).status_code == 404
    assert _outcome(server, west, "contacted").status_code == 404
    assert server.client.get("/v1/counties/east/applications").status_code == 401


def test_filters_counts_and_paging(server) -> None:  # noqa: ANN001
    a = apply(server, "e-park", "e-003", 311)
    b = apply(server, "e-mall", "e-010", 312)
    c = apply(server, "e-mall", "e-010", 313)
    assert _outcome(server, c, "contacted").status_code == 200
    by_station = _inbox(server, station_id="e-mall", job_id="e-010").json()
    assert {x["id"] for x in by_station["applications"]} == {b, c}
    assert by_station["counts"]["new"] >= 1 and by_station["counts"]["contacted"] >= 1
    assert by_station["total"] == sum(by_station["counts"].values())
    only_contacted = _inbox(server, station_id="e-mall", job_id="e-010", status="contacted").json()
    assert [x["id"] for x in only_contacted["applications"]] == [c]
    assert only_contacted["counts"] == by_station["counts"]  # counts ignore the status filter
    assert only_contacted["total"] == by_station["counts"]["contacted"]
    from central.followup import china_today

    today = china_today().isoformat()
    assert a in {x["id"] for x in _inbox(server, day=today, job_id="e-003").json()["applications"]}
    assert _inbox(server, day="2020-01-01").json()["total"] == 0
    everything = _inbox(server, limit=200).json()
    page1 = _inbox(server, limit=2).json()["applications"]
    page2 = _inbox(server, limit=2, offset=2).json()["applications"]
    assert [x["id"] for x in page1 + page2] == [x["id"] for x in everything["applications"][:4]]
    stamps = [x["created_at"] for x in everything["applications"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    # the kept counts (application_counts) agree with counting the rows
    engine = create_engine(normalise_url(server.database_url))
    with engine.connect() as conn:
        counted = dict(conn.execute(text("SELECT status, count(*) FROM applications WHERE county = 'east' "
                                         "GROUP BY status")).all())
    engine.dispose()
    assert {k: v for k, v in everything["counts"].items() if v} == counted
    assert _inbox(server, status="bogus").status_code == 422
    assert _inbox(server, limit=0).status_code == 422


def test_reveal_role_matrix_every_reveal_logged(server) -> None:  # noqa: ANN001
    app_id = apply(server, "e-park", "e-002", 321, name="查看丙", phone="13811110003")

    def log() -> list[dict]:
        r = server.client.get("/v1/counties/east/access-log", params={"limit": 1000},
                              headers=_as(server, "east-admin"))
        assert r.status_code == 200, r.text
        return [e for e in r.json()["entries"] if e["application_id"] == app_id]

    assert log() == []
    for user, reason in (("east-admin", "follow_up"), ("east-operator", "referral")):
        r = _reveal(server, app_id, user, reason)
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "查看丙" and r.json()["phone"] == "13811110003"
        assert r.json()["id_number"] != id_number(321) and r.json()["id_number"].endswith(id_number(321)[-4:])
        assert r.headers["cache-control"] == "no-store"
    assert _reveal(server, app_id, "east-maint").status_code == 403
    assert _reveal(server, app_id, "west-admin").status_code == 404
    assert _reveal(server, app_id, reason="curiosity").status_code == 422
    assert _reveal(server, str(uuid.uuid4())).status_code == 404
    entries = log()
    assert [(e["by"], e["reason"], e["action"]) for e in entries] == [
        ("east-operator", "referral", "reveal"), ("east-admin", "follow_up", "reveal")]
    # the access log itself: admins of the county only
    assert server.client.get("/v1/counties/east/access-log", headers=_as(server, "east-operator")).status_code == 403
    assert server.client.get("/v1/counties/east/access-log", headers=_as(server, "west-admin")).status_code == 404
    west_log = server.client.get("/v1/counties/west/access-log", headers=_as(server, "west-admin")).json()
    assert all(e["application_id"] != app_id for e in west_log["entries"])


def test_outcome_transitions(server) -> None:  # noqa: ANN001
    app_id = apply(server, "e-park", "e-004", 331)
    assert _outcome(server, app_id, "hired").status_code == 409  # not contacted yet
    assert _outcome(server, app_id, "new").status_code == 422  # not an outcome
    assert _outcome(server, app_id, "no_answer", "关机").json()["attempts"] == 1
    r = _outcome(server, app_id, "no_answer", "无人接听")
    assert r.status_code == 200 and r.json()["attempts"] == 2
    assert _outcome(server, app_id, "contacted").status_code == 200
    assert _outcome(server, app_id, "contacted").status_code == 409
    assert _outcome(server, app_id, "referred").json()["referred"] is True
    assert _outcome(server, app_id, "referred").status_code == 409  # a mark, once
    assert _outcome(server, app_id, "hired", "明天上岗", user="east-admin").json()["status"] == "hired"
    for status in ("contacted", "not_hired", "withdrawn", "no_answer", "referred"):
        assert _outcome(server, app_id, status).status_code == 409, status
    assert _outcome(server, app_id, "contacted", user="east-maint").status_code == 403
    assert _outcome(server, app_id, "contacted", "x" * 501).status_code == 422
    assert _outcome(server, app_id, "contacted", "bell\x07").status_code == 422
    row = next(a for a in _inbox(server, job_id="e-004", limit=200).json()["applications"] if a["id"] == app_id)
    assert (row["status"], row["status_by"], row["attempts"], row["referred"]) == ("hired", "east-admin", 2, True)
    # staff record a withdrawal the seeker asked for on the phone: erased at once
    other = apply(server, "e-park", "e-004", 332)
    r = _outcome(server, other, "withdrawn", "电话撤回")
    assert r.status_code == 200 and r.json()["erased"] is True
    assert _reveal(server, other).status_code == 410


def _lookup(server, station: str, number: str, token_of: str | None = None):  # noqa: ANN001, ANN202
    return server.client.post(f"/v1/stations/{station}/my-applications", json={"id_number": number},
                              headers=_station(server, token_of or station))


def _withdraw(server, app_id: str, station: str, number: str, key: str | None = None,  # noqa: ANN001, ANN202
              headers: dict | None = None):
    return server.client.post(f"/v1/applications/{app_id}/withdraw",
                              json={"station_id": station, "id_number": number},
                              headers=headers or {**_station(server, station),
                                                  "Idempotency-Key": key or str(uuid.uuid4())})


def test_lookup_by_hash_in_this_county_only(server) -> None:  # noqa: ANN001
    me = id_number(341)
    first = apply(server, "e-park", "e-005", 341)
    second = apply(server, "e-mall", "e-011", 341)
    apply(server, "w-park", "w-002", 341)  # the same person in another county
    apply(server, "e-park", "e-005", 342)  # someone else, same job
    assert _outcome(server, first, "contacted").status_code == 200
    r = _lookup(server, "e-park", me.lower())  # an x check digit is the same person
    assert r.status_code == 200, r.text
    rows = r.json()["applications"]
    assert [a["id"] for a in rows] == [second, first]  # newest first, east only
    assert rows[1]["status"] == "contacted" and rows[1]["job_open"] is True and rows[1]["job_title"]
    assert set(rows[0]) == {"id", "job_id", "job_title", "created_at", "status", "job_open"}
    assert _lookup(server, "e-park", id_number(349)).json() == {"applications": []}
    # a closed job shows as not open
    assert server.client.post("/v1/jobs/e-011/close", headers=_as(server, "east-admin")).status_code == 200
    assert [a["job_open"] for a in _lookup(server, "e-mall", me).json()["applications"]] == [False, True]
    # who may ask: the station itself only
    assert _lookup(server, "e-park", me, token_of="e-mall").status_code == 403
    assert _lookup(server, "nowhere", me, token_of="e-park").status_code == 404
    assert _lookup(server, "w-park", me, token_of="e-park").status_code == 404  # another county's
    r = server.client.post("/v1/stations/e-park/my-applications", json={"id_number": me},
                           headers=_as(server, "east-admin"))
    assert r.status_code == 403
    assert _lookup(server, "e-park", me[:-1] + ("0" if me[-1] != "0" else "1")).status_code == 422
    big = server.client.post("/v1/stations/e-park/my-applications", content=b'{"id_number": "' + b"1" * 2000 + b'"}',
                             headers={**_station(server, "e-park"), "Content-Type": "application/json"})
    assert big.status_code == 413
    # the database holds only the keyed hash, never the number in clear
    engine = create_engine(normalise_url(server.database_url))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT seeker_hash FROM applications WHERE id = :i"), {"i": first}).scalar_one()
    engine.dispose()
    assert len(stored) == 64 and me not in stored


def test_withdraw_erases_at_once_and_is_idempotent(server) -> None:  # noqa: ANN001
    me = id_number(351)
    app_id = apply(server, "e-park", "e-006", 351, name="撤回丁", phone="13811110004")
    assert _withdraw(server, app_id, "e-park", id_number(352)).status_code == 404  # not theirs
    assert _withdraw(server, app_id, "w-park", me).status_code == 404  # another county's station
    assert _withdraw(server, app_id, "e-mall", me, headers={
        **_station(server, "e-park"), "Idempotency-Key": "k"}).status_code == 403  # not its own station
    assert server.client.post(f"/v1/applications/{app_id}/withdraw", json={"station_id": "e-park", "id_number": me},
                              headers={**_as(server, "east-admin"), "Idempotency-Key": "k"}).status_code == 403
    assert server.client.post(f"/v1/applications/{app_id}/withdraw", json={"station_id": "e-park", "id_number": me},
                              headers=_station(server, "e-park")).status_code == 422  # no Idempotency-Key
    engine = create_engine(normalise_url(server.database_url))
    with engine.connect() as conn:
        blob = bytes(conn.execute(text("SELECT seeker_enc FROM applications WHERE id = :i"),
                                  {"i": app_id}).scalar_one())
    engine.dispose()
    key = str(uuid.uuid4())
    r = _withdraw(server, app_id, "e-mall", me, key)  # at any station of the county
    assert r.status_code == 200 and r.json() == {"id": app_id, "status": "withdrawn"}
    assert _withdraw(server, app_id, "e-mall", me, key).json() == r.json()  # the same key again
    assert _withdraw(server, app_id, "e-park", me).json() == r.json()  # already withdrawn
    assert _lookup(server, "e-park", me).json() == {"applications": []}
    assert _reveal(server, app_id).status_code == 410
    engine = create_engine(normalise_url(server.database_url))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM applications WHERE id = :i"), {"i": app_id}).mappings().one()
    engine.dispose()
    assert bytes(row["seeker_enc"]) == b"" and row["seeker_hash"] is None and row["person_hash"] is None
    assert row["status"] == "withdrawn" and row["erased_at"] is not None
    if server.backend == "sqlite":  # gone from the database file and its WAL at once
        raw = b"".join(p.read_bytes() for p in Path(server.database_url.removeprefix("sqlite:///")).parent.glob("central.db*"))
        assert not any(blob[i:i + 12] in raw for i in range(0, len(blob) - 12, 12))
    # the same person may register for the job again: a new application
    assert apply(server, "e-park", "e-006", 351) != app_id
    big = server.client.post(f"/v1/applications/{app_id}/withdraw", content=b"x" * 1100,
                             headers={**_station(server, "e-park"), "Idempotency-Key": "k2",
                                      "Content-Type": "application/json"})
    assert big.status_code == 413


def test_applications_from_before_the_seeker_hash_are_backfilled(server) -> None:  # noqa: ANN001
    from central import db, followup
    from central.security import DataCipher

    me = id_number(361)
    app_id = apply(server, "e-park", "e-009", 361)
    engine = db.make_engine(server.database_url)
    with engine.begin() as conn:  # as stored before migration 0007
        conn.execute(text("UPDATE applications SET seeker_hash = NULL WHERE id = :i"), {"i": app_id})
    assert _lookup(server, "e-park", me).json() == {"applications": []}
    with db.session_factory(engine)() as s:
        assert followup.backfill_seeker_hashes(s, DataCipher(server.data_key), batch=2) == 1
        s.commit()
        assert followup.backfill_seeker_hashes(s, DataCipher(server.data_key)) == 0
    engine.dispose()
    assert [a["id"] for a in _lookup(server, "e-park", me).json()["applications"]] == [app_id]
