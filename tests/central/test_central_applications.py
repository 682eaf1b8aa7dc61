"""Applications: idempotency, validation (4xx, never 5xx), personal data encrypted at rest."""

from __future__ import annotations

import json
import threading
import uuid

from central_helpers import application, id_number
from sqlalchemy import create_engine, text

from central.db import normalise_url
from central.security import DataCipher


def _post(server, body, key, station="e-park"):  # noqa: ANN001, ANN202
    headers = {**server.as_(server.stations[station]["token"]), "Idempotency-Key": key}
    return server.client.post("/v1/applications", headers=headers, json=body)


def test_same_key_same_body_replays_and_different_body_conflicts(server) -> None:  # noqa: ANN001
    key = str(uuid.uuid4())
    body = application("e-park", id_number=id_number(201))
    first = _post(server, body, key)
    assert first.status_code == 201, first.text
    again = _post(server, body, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    other = _post(server, {**body, "seeker": {**body["seeker"], "phone": "13900001111"}}, key)
    assert other.status_code == 409
    fresh = _post(server, application("e-park", id_number=id_number(202)), str(uuid.uuid4()))
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


def test_keys_are_per_station(server) -> None:  # noqa: ANN001
    key = str(uuid.uuid4())
    a = _post(server, application("e-park", id_number=id_number(203)), key)
    b = _post(server, application("e-mall", id_number=id_number(204)), key, station="e-mall")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_concurrent_repeats_create_one_application(server) -> None:  # noqa: ANN001
    key = str(uuid.uuid4())
    results: list = []
    barrier = threading.Barrier(6)
    body = application("e-park", id_number=id_number(205))

    def send() -> None:
        barrier.wait()
        results.append(_post(server, body, key))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1


def test_bad_input_is_4xx(server) -> None:  # noqa: ANN001
    headers = {**server.as_(server.stations["e-park"]["token"]), "Idempotency-Key": "bad-1",
               "Content-Type": "application/json"}
    assert server.client.post("/v1/applications", headers=headers, content=b"{not json").status_code == 422
    assert server.client.post("/v1/applications", headers=headers, content=b"[]").status_code == 422
    bad_id = application("e-park", id_number=id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1"))
    r = _post(server, bad_id, "bad-2")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "id_number"
    assert "input" not in r.json()["detail"][0], "validation errors must not echo personal data"
    r = _post(server, application("e-park", phone="12345678901"), "bad-3")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "phone"
    r = server.client.post("/v1/applications", headers={k: v for k, v in headers.items() if k != "Idempotency-Key"},
                           json=application("e-park"))
    assert r.status_code == 422
    assert _post(server, application("e-park", job_id="nope"), "bad-4").status_code == 404
    assert _post(server, application("e-park", job_id="e-closed"), "bad-5").status_code == 410


def test_seeker_data_encrypted_at_rest(server) -> None:  # noqa: ANN001
    body = application("e-park", name="钱隐私", phone="13700007777", id_number=id_number(206))
    r = _post(server, body, str(uuid.uuid4()))
    assert r.status_code == 201
    app_id = r.json()["id"]
    engine = create_engine(normalise_url(server.database_url))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM applications WHERE id = :i"), {"i": app_id}).mappings().one()
    engine.dispose()
    raw = repr(dict(row)).encode() + b"".join(v for v in row.values() if isinstance(v, bytes))
    for secret in (body["seeker"]["id_number"], "钱隐私", "13700007777"):
        assert secret.encode() not in raw
        assert secret.encode("unicode_escape") not in raw
    plain = json.loads(DataCipher(server.data_key).decrypt(bytes(row["seeker_enc"]), b"application:" + app_id.encode()))
    assert plain == body["seeker"]


def test_seeker_id_numbers_checked_by_gb11643_check_digit() -> None:
    """The example number of GB 11643 and the demo cards the kiosk reads are accepted; the
    same numbers with another check digit are not. (The area code is not looked up.)"""
    from pathlib import Path

    import pydantic
    import pytest

    from central.schemas import Seeker

    cards = json.loads((Path(__file__).resolve().parents[2] / "assets/demo/cards.json").read_text())
    good = ["11010519491231002X"] + [
        c["id_number"] for c in cards["cards"] if len(c["id_number"]) == 18 and c["id_number"][:17].isdigit()
    ]
    assert len(good) >= 5
    for number in good:
        assert Seeker(id_number=number, name="测试", phone="13900000001").id_number == number.upper()
        wrong = number[:17] + ("1" if number[17] != "1" else "2")
        with pytest.raises(pydantic.ValidationError):
            Seeker(id_number=wrong, name="测试", phone="13900000001")
