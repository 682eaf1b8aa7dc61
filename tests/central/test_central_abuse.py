"""Applications under abuse (issue 11, items 5, 10, 15): keyed hashes, one application per
person and job, only jobs the station could have shown, consent time bounds, a per-station
rate limit, and concurrent same-key requests that never 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from central_helpers import application, id_number
from sqlalchemy import create_engine, text

from central import db
from central.app import create_app
from central.schemas import ApplicationIn
from central.security import DataCipher, canonical_json, hash_token, new_data_key
from central.services import RATE_ENV
from central.testing import start_server

_serials = itertools.count(1)


def _person() -> str:
    """A fresh fictional ID number for each call in this module."""
    n = next(_serials)
    return id_number(serial=n % 1000, birth=f"19{70 + n // 1000}0101")


def _post(server, body, key=None, station="e-park"):  # noqa: ANN001, ANN202
    headers = {**server.as_(server.stations[station]["token"]), "Idempotency-Key": key or str(uuid.uuid4())}
    return server.client.post("/v1/applications", headers=headers, json=body)


def _row(server, app_id: str) -> dict:  # noqa: ANN001
    engine = create_engine(db.normalise_url(server.database_url))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM applications WHERE id = :i"), {"i": app_id}).mappings().one()
    engine.dispose()
    return dict(row)


def test_request_hash_is_keyed_not_plain_sha256(server) -> None:  # noqa: ANN001
    body = application("e-park", id_number=_person())
    key = str(uuid.uuid4())
    r = _post(server, body, key)
    assert r.status_code == 201, r.text
    row = _row(server, r.json()["id"])
    canonical = canonical_json(ApplicationIn.model_validate(body).model_dump(mode="json"))
    # The old value (plain SHA-256 of the body, seeker included) is not what is stored ...
    assert row["request_hash"] != hash_token(canonical.decode("utf-8"))
    assert row["request_hash"] != hashlib.sha256(canonical_json(body)).hexdigest()
    # ... it is an HMAC under a key derived from the data key: another key gives another value.
    assert row["request_hash"] == DataCipher(server.data_key).keyed_hash("request", canonical)
    assert row["request_hash"] != DataCipher(new_data_key()).keyed_hash("request", canonical)
    seeker = body["seeker"]["id_number"]
    assert row["person_hash"] and seeker not in row["person_hash"]
    assert row["person_hash"] != hashlib.sha256(f"{seeker}{body['job_id']}".encode()).hexdigest()
    # idempotency still works with the keyed hash
    assert _post(server, body, key).json() == r.json()
    other = {**body, "seeker": {**body["seeker"], "phone": "13900002222"}}
    assert _post(server, other, key).status_code == 409


def test_same_person_same_job_is_one_application(server) -> None:  # noqa: ANN001
    person = _person()
    first = _post(server, application("e-park", id_number=person))
    assert first.status_code == 201, first.text
    # another key (a repeat after the kiosk lost its outbox, or another station) → the same one
    again = _post(server, application("e-park", id_number=person, phone="13900003333"))
    elsewhere = _post(server, application("e-mall", id_number=person), station="e-mall")
    assert again.status_code == elsewhere.status_code == 201
    assert again.json() == elsewhere.json() == first.json()
    other_job = _post(server, application("e-park", job_id="e-001", id_number=person))
    assert other_job.status_code == 201 and other_job.json()["id"] != first.json()["id"]
    engine = create_engine(db.normalise_url(server.database_url))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM applications WHERE person_hash = :h"),
                         {"h": _row(server, first.json()["id"])["person_hash"]}).scalar_one()
    engine.dispose()
    assert n == 1


def test_only_jobs_the_station_could_have_shown(server) -> None:  # noqa: ANN001
    """A job of another county far away, or outside the station's radius, answers like an
    unknown job (404)."""
    far = _post(server, application("e-park", job_id="w-000", id_number=_person()))
    assert far.status_code == 404, far.text
    assert far.json() == _post(server, application("e-park", job_id="nope", id_number=_person())).json()
    staff = server.as_(server.staff["east"]["token"])
    # e-000 is about 4.4 km from e-mall: inside the default 20 km, outside 0.5 km
    assert server.client.put("/v1/stations/e-mall/config", headers=staff,
                             json={"config": {"radius_km": 0.5}}).status_code == 200
    try:
        r = _post(server, application("e-mall", job_id="e-000", id_number=_person()), station="e-mall")
        assert r.status_code == 404, r.text
    finally:
        assert server.client.put("/v1/stations/e-mall/config", headers=staff,
                                 json={"config": {}}).status_code == 200
    r = _post(server, application("e-mall", job_id="e-000", id_number=_person()), station="e-mall")
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("at,ok", [
    ("2999-01-01T00:00:00Z", False), ("1900-01-01T00:00:00Z", False),
    (timedelta(hours=1), False), (timedelta(days=-31), False),
    (timedelta(minutes=5), True), (timedelta(days=-29), True), ("now-naive", True),
])
def test_consent_time_is_bounded(server, at, ok) -> None:  # noqa: ANN001
    now = datetime.now(UTC)
    if at == "now-naive":
        at = now.replace(tzinfo=None).isoformat()  # no zone: read as UTC
    elif isinstance(at, timedelta):
        at = (now + at).isoformat()
    body = application("e-park", id_number=_person())
    body["consent"]["at"] = at
    r = _post(server, body)
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "consent", "at"]


def test_applications_are_rate_limited_per_station_across_instances(server, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv(RATE_ENV, "5/120")
    first_body, first_key = application("w-park", job_id="w-000", id_number=_person()), str(uuid.uuid4())
    first = _post(server, first_body, first_key, station="w-park")
    assert first.status_code == 201, first.text
    for job in ("w-001", "w-002", "w-003", "w-004"):
        r = _post(server, application("w-park", job_id=job, id_number=_person()), station="w-park")
        assert r.status_code == 201, r.text
    limited = _post(server, application("w-park", job_id="w-000", id_number=_person()), station="w-park")
    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 120
    # a second server process on the same database sees the same count
    engine = db.make_engine(server.database_url)
    base_url, stop = start_server(create_app(engine, server.data_key, admin=False))
    try:
        import httpx

        headers = {**server.as_(server.stations["w-park"]["token"]), "Idempotency-Key": str(uuid.uuid4())}
        r = httpx.post(base_url + "/v1/applications", headers=headers, timeout=30,
                       json=application("w-park", job_id="w-001", id_number=_person()))
        assert r.status_code == 429, r.text
    finally:
        stop()
        engine.dispose()
    # repeats are still answered (they create nothing): the same key, the same person and job
    assert _post(server, first_body, first_key, station="w-park").json() == first.json()
    dup = {**first_body, "seeker": {**first_body["seeker"], "phone": "13900004444"}}
    assert _post(server, dup, station="w-park").json() == first.json()
    # another station is not limited by this one
    assert _post(server, application("w-mall", job_id="w-000", id_number=_person()), station="w-mall").status_code == 201


def test_concurrent_same_key_different_bodies_are_201_or_409(server, monkeypatch) -> None:  # noqa: ANN001
    """40 races, 4 requests each: one key, four different people. Exactly one 201 per race,
    the rest 409; never a 500 (10 of 40 races gave 500 on PostgreSQL before)."""
    monkeypatch.setenv(RATE_ENV, "100000/60")
    statuses: list[int] = []
    lock = threading.Lock()
    for _ in range(40):
        key = str(uuid.uuid4())
        bodies = [application("e-park", job_id="e-002", id_number=_person()) for _ in range(4)]
        barrier = threading.Barrier(len(bodies))
        race: list[int] = []

        def send(body: dict, race: list[int] = race, barrier: threading.Barrier = barrier,
                 key: str = key) -> None:
            barrier.wait()
            import httpx

            headers = {**server.as_(server.stations["e-park"]["token"]), "Idempotency-Key": key}
            r = httpx.post(server.base_url + "/v1/applications", headers=headers, json=body, timeout=60)
            with lock:
                race.append(r.status_code)

        threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses += race
        assert sorted(race) == [201, 409, 409, 409], race
    assert len(statuses) == 160
