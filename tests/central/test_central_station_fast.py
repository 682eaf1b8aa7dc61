"""central.station_fast: the fleet's heartbeat and config/jobs polls answered past FastAPI give
the same answers as FastAPI does, byte for byte (status, headers, body), for the ordinary case
and every edge case; the edge cases fall through to FastAPI, the ordinary ones do not; a
revoked token stops at once. Two real servers on one database, SQLite and PostgreSQL: one with
the fast path, one without (the reference)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from central_helpers import DEMO, HEARTBEAT, admin_login, csrf_of
from starlette import routing

from central import db
from central.app import create_app
from central.security import new_data_key
from central.testing import start_seeded_server, start_server

ST = "e-park"
_VARIES = {"date", "server"}


class Pair:
    def __init__(self, fast: str, plain: str, seed: dict[str, Any]) -> None:
        self.fast = httpx.Client(base_url=fast, timeout=30)
        self.plain = httpx.Client(base_url=plain, timeout=30)
        self.fast_url = fast
        self.seed = seed
        self.token = {s["id"]: s["token"] for s in seed["stations"]}
        self.staff = {s["username"]: s["token"] for s in seed["staff"]}


@pytest.fixture(scope="module")
def pair(server_backend: str, tmp_path_factory: pytest.TempPathFactory,
         request: pytest.FixtureRequest) -> Iterator[Pair]:
    if server_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fast')}/central.db"
    else:
        from central.pgcluster import create_database

        url = create_database(request.getfixturevalue("pg_admin_url"), "t_fast_path")
    key = new_data_key()
    fast_url, seed, stop_fast = start_seeded_server(url, demo_dir=DEMO, data_key=key)
    engine = db.make_engine(url)
    app = create_app(engine, key, admin=False, fast_path=False)
    plain_url, stop_plain = start_server(app)
    p = Pair(fast_url, plain_url, seed)
    yield p
    p.fast.close()
    p.plain.close()
    stop_plain()
    if getattr(app.state, "token_listener", None):
        app.state.token_listener.stop()
    engine.dispose()
    stop_fast()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fell_through(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts requests that reached FastAPI's router (the fast path answers before it)."""
    calls: list[int] = []
    real = routing.Router.__call__

    async def counted(self, scope, receive, send):  # noqa: ANN001, ANN202
        calls.append(1)
        return await real(self, scope, receive, send)

    monkeypatch.setattr(routing.Router, "__call__", counted)
    return calls


def _same(pair: Pair, fell_through: list[int], method: str, path: str, *, fast: bool | None,
          ignore: tuple[str, ...] = (), **kwargs: Any) -> httpx.Response:
    """Sends the request to both servers; asserts the answers are the same (but for the
    body fields in `ignore`) and whether the fast path answered; returns the fast one's."""
    chunks = kwargs.pop("chunks", None)  # a streamed (chunked) body, sent to each afresh
    before = len(fell_through)
    a = pair.fast.request(method, path, **kwargs, **({"content": iter(chunks)} if chunks else {}))
    answered_fast = len(fell_through) == before
    b = pair.plain.request(method, path, **kwargs, **({"content": iter(chunks)} if chunks else {}))
    assert a.status_code == b.status_code, (path, a.status_code, a.text, b.status_code, b.text)
    heads = [[(k, v) for k, v in r.headers.multi_items() if k not in _VARIES] for r in (a, b)]
    if not ignore:
        assert heads[0] == heads[1], path
        assert a.content == b.content, (path, a.content, b.content)
    else:
        assert [k for k, _ in heads[0]] == [k for k, _ in heads[1]], path
        ja, jb = a.json(), b.json()
        for field in ignore:
            ja.pop(field), jb.pop(field)
        assert ja == jb, path
    if fast is not None:  # None: answered before either (central.limits)
        assert answered_fast == fast, (path, a.status_code, "fast" if answered_fast else "FastAPI")
    return a


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_config_poll_200_and_304(pair: Pair, fell_through: list[int]) -> None:
    path, me = f"/v1/stations/{ST}/config", _auth(pair.token[ST])
    r = _same(pair, fell_through, "GET", path, fast=True, headers=me)
    assert r.status_code == 200 and r.json()["config"]
    etag = r.headers["ETag"]
    r = _same(pair, fell_through, "GET", path, fast=True, headers={**me, "If-None-Match": etag})
    assert r.status_code == 304 and r.headers["ETag"] == etag and r.content == b""
    r = _same(pair, fell_through, "GET", path, fast=True, headers={**me, "If-None-Match": f'"old", {etag}'})
    assert r.status_code == 304
    assert _same(pair, fell_through, "GET", path, fast=True,
                 headers={**me, "If-None-Match": '"stale"'}).status_code == 200
    # Over the header's length limit: FastAPI's 422.
    r = _same(pair, fell_through, "GET", path, fast=False, headers={**me, "If-None-Match": "x" * 201})
    assert r.status_code == 422
    # Security headers are added to the fast path's answers too.
    assert r.headers["X-Frame-Options"] == "DENY" and "content-security-policy" in r.headers


def test_jobs_poll_and_its_parameters(pair: Pair, fell_through: list[int]) -> None:
    path, me = f"/v1/stations/{ST}/jobs", _auth(pair.token[ST])
    r = _same(pair, fell_through, "GET", path, fast=True, headers=me)
    cursor = r.json()["cursor"]
    assert r.json()["jobs"]
    r = _same(pair, fell_through, "GET", f"{path}?since={cursor}", fast=True, headers=me)
    assert r.json()["jobs"] == [] and r.json()["cursor"] == cursor
    _same(pair, fell_through, "GET", f"{path}?limit=2&x=1&limit=3", fast=True, headers=me)
    _same(pair, fell_through, "GET", f"{path}?since=", fast=True, headers=me)
    r = _same(pair, fell_through, "GET", f"{path}?since=garbage", fast=True, headers=me)
    assert r.status_code in (200, 422)
    for query in ("limit=0", "limit=1001", "limit=abc", "limit=", "limit=05", "since=" + "x" * 201):
        r = _same(pair, fell_through, "GET", f"{path}?{query}", fast=False, headers=me)
        assert r.status_code in (200, 422), query  # "05": whatever FastAPI says, the same


def test_refusals_are_fastapi_s(pair: Pair, fell_through: list[int]) -> None:
    for kind in ("config", "jobs"):
        path = f"/v1/stations/{ST}/{kind}"
        for headers, status in [
            ({}, 401), ({"Authorization": "Basic eDp5"}, 401), ({"Authorization": "Bearer"}, 401),
            (_auth("not-a-token"), 401),
            (_auth(pair.token["e-mall"]), 403),  # another station of the same county
            (_auth(pair.token["w-park"]), 403),  # a station of another county
            (_auth(pair.staff["east-admin"]), 200),  # staff may view their county's stations
            (_auth(pair.staff["west-admin"]), 404),  # another county's station looks unknown
        ]:
            r = _same(pair, fell_through, "GET", path, fast=False, headers=headers)
            assert r.status_code == status, (kind, headers, r.text)
        # A malformed station id (a control character) is FastAPI's 422, even with a token.
        r = _same(pair, fell_through, "GET", f"/v1/stations/e-park%01/{kind}", fast=False,
                  headers=_auth(pair.token[ST]))
        assert r.status_code in (403, 422)
    # Other methods on the same paths are FastAPI's (405, or the staff's PUT config).
    _same(pair, fell_through, "DELETE", f"/v1/stations/{ST}/config", fast=False, headers=_auth(pair.token[ST]))


def test_heartbeat_and_bad_bodies(pair: Pair, fell_through: list[int]) -> None:
    path, me = f"/v1/stations/{ST}/heartbeats", _auth(pair.token[ST])
    body = json.dumps(HEARTBEAT).encode()
    ok = {**me, "Content-Type": "application/json"}
    r = _same(pair, fell_through, "POST", path, fast=True, ignore=("received_at",), headers=ok, content=body)
    assert r.status_code == 200 and r.json()["config_version"] >= 1
    _same(pair, fell_through, "POST", path, fast=True, ignore=("received_at",),
          headers={**me, "Content-Type": "Application/JSON; charset=utf-8"}, content=body)
    for headers, content, status in [
        (ok, b"{not json", 422),
        (ok, json.dumps({**HEARTBEAT, "outbox_depth": "many"}).encode(), 422),
        (ok, json.dumps({**HEARTBEAT, "paper": "wet"}).encode(), 422),
        (ok, b"[1, 2]", 422),
        (ok, b"", 422),
        (ok, b"\xff\xfe{}", 422),
        (me, body, 422),  # no Content-Type
        ({**me, "Content-Type": "text/plain"}, body, 422),
        ({**_auth(pair.token["e-mall"]), "Content-Type": "application/json"}, body, 403),
        ({**_auth(pair.token["w-park"]), "Content-Type": "application/json"}, body, 403),
        ({**_auth(pair.staff["east-admin"]), "Content-Type": "application/json"}, body, 403),
        ({"Content-Type": "application/json"}, body, 401),
        (ok, b" " * (16 * 1024 + 1), 413),  # over the heartbeat's limit (central.limits)
    ]:
        r = _same(pair, fell_through, "POST", path, fast=False if status != 413 else None,
                  headers=headers, content=content)
        assert r.status_code == status, (headers, content[:40], r.text)
    # Oversized without a Content-Length (chunked): stopped while it streams in, same answer.
    r = _same(pair, fell_through, "POST", path, fast=None, headers=ok, chunks=[b" " * 4096] * 5)
    assert r.status_code == 413


def test_revoked_station_token_stops_at_once_on_the_fast_path(pair: Pair, fell_through: list[int]) -> None:
    station = "e-mall"
    path = f"/v1/stations/{station}/config"
    old = pair.token[station]
    for _ in range(2):  # in the token cache now
        assert pair.fast.get(path, headers=_auth(old)).status_code == 200
    admin = next(s for s in pair.seed["staff"] if s["username"] == "east-admin")
    c = admin_login(pair.fast_url, admin["username"], admin["password"])
    page = c.get(f"/admin/stations/{station}/manage").text
    r = c.post(f"/admin/stations/{station}/rotate", data={"csrf": csrf_of(page)})
    assert r.status_code == 200
    assert pair.fast.get(path, headers=_auth(old)).status_code == 401
    assert pair.fast.get(f"/v1/stations/{station}/jobs", headers=_auth(old)).status_code == 401
    hb = pair.fast.post(f"/v1/stations/{station}/heartbeats", json=HEARTBEAT, headers=_auth(old))
    assert hb.status_code == 401
    c.close()
