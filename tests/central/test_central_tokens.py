"""Staff API tokens expire, rotate and can be revoked, from the admin pages; changes are
immediate on this process (TokenCache.forget) and scoped to the staff member's county."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from central_helpers import admin_login, csrf_of
from sqlalchemy import update

from central import db, services
from central.models import STAFF_TOKEN_TTL, Staff


@pytest.fixture(scope="module")
def sessions(server):  # noqa: ANN001, ANN201
    engine = db.make_engine(server.database_url)
    yield db.session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def clients(server) -> Iterator[dict[str, httpx.Client]]:  # noqa: ANN001
    made = {u: admin_login(server.base_url, u, server.by_user[u]["password"])
            for u in ("east-admin", "east-operator", "west-admin")}
    yield made
    for c in made.values():
        c.close()


def _api(server, token: str) -> int:  # noqa: ANN001
    return server.client.get("/v1/counties/east/config", headers=server.as_(token)).status_code


def _rotate(client: httpx.Client, username: str) -> str:
    page = client.get(f"/admin/account/{username}").text
    r = client.post(f"/admin/account/{username}/token/rotate", data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    found = re.search(r'<code id="new-token">([^<]+)</code>', r.text)
    assert found and "shown this once" in r.text
    return found.group(1)


def test_seeded_tokens_work_and_expire_in_90_days(server, sessions) -> None:  # noqa: ANN001
    assert _api(server, server.by_user["east-operator"]["token"]) == 200
    with sessions() as s:
        for staff in s.query(Staff):
            left = services.as_utc(staff.token_expires_at) - services.now()
            assert STAFF_TOKEN_TTL - timedelta(hours=1) < left <= STAFF_TOKEN_TTL
            assert staff.token_rotated_at is not None and staff.token_revoked_at is None


def test_account_page_shows_expiry_and_rotation(clients) -> None:  # noqa: ANN001
    page = clients["east-operator"].get("/admin/account")
    assert page.status_code == 200
    assert 'id="token-status">有效 Active' in page.text and 'id="token-expires">20' in page.text
    assert 'id="rotate"' in page.text and 'id="revoke"' in page.text
    assert 'id="new-token"' not in page.text  # never shown except right after rotating
    assert 'id="nav-account"' in page.text


def test_rotate_stops_the_old_token_at_once_and_the_new_one_works(server, clients) -> None:  # noqa: ANN001
    old = server.by_user["east-operator"]["token"]
    assert _api(server, old) == 200  # now cached in the server's TokenCache
    new = _rotate(clients["east-operator"], "east-operator")
    assert _api(server, old) == 401
    assert _api(server, new) == 200
    again = clients["east-operator"].get("/admin/account/east-operator").text
    assert new not in again  # shown once
    server.by_user["east-operator"]["token"] = new


def test_revoke_is_immediate_and_rotate_restores(server, clients) -> None:  # noqa: ANN001
    client = clients["east-operator"]
    token = _rotate(client, "east-operator")
    assert _api(server, token) == 200
    page = client.get("/admin/account").text
    r = client.post("/admin/account/east-operator/token/revoke", data={"csrf": csrf_of(page)})
    assert r.status_code == 303
    assert _api(server, token) == 401
    shown = client.get(r.headers["location"]).text
    assert 'id="token-status">已吊销 Revoked' in shown and 'id="revoke"' not in shown
    server.by_user["east-operator"]["token"] = _rotate(client, "east-operator")
    assert _api(server, server.by_user["east-operator"]["token"]) == 200


def test_expired_token_is_refused(server, clients, sessions) -> None:  # noqa: ANN001
    token = _rotate(clients["east-admin"], "east-admin")
    with sessions() as s:
        s.execute(update(Staff).where(Staff.username == "east-admin")
                  .values(token_expires_at=services.now() - timedelta(seconds=1)))
        s.commit()
    assert _api(server, token) == 401
    page = clients["east-admin"].get("/admin/account").text
    assert 'id="token-status">已过期 Expired' in page
    # Expiry also holds for a token the cache already holds: checked on every request.
    token = _rotate(clients["east-admin"], "east-admin")
    with sessions() as s:
        s.execute(update(Staff).where(Staff.username == "east-admin")
                  .values(token_expires_at=services.now() + timedelta(seconds=2)))
        s.commit()
    # The rotation dropped the old hash only; the new token is not cached yet, so it loads now.
    assert _api(server, token) == 200
    time.sleep(2.5)
    assert _api(server, token) == 401
    server.staff["east"]["token"] = _rotate(clients["east-admin"], "east-admin")


def test_csrf_is_checked(clients) -> None:  # noqa: ANN001
    for action in ("rotate", "revoke"):
        r = clients["east-operator"].post(f"/admin/account/east-operator/token/{action}", data={"csrf": "x"})
        assert r.status_code == 403
        r = clients["east-operator"].post(f"/admin/account/east-operator/token/{action}")
        assert r.status_code == 403


def test_scoping(server, clients) -> None:  # noqa: ANN001
    west = clients["west-admin"]
    page = west.get("/admin/account").text
    for path in ("/admin/account/east-operator", "/admin/account/no-such-user"):
        assert west.get(path).status_code == 404
    for action in ("rotate", "revoke"):
        r = west.post(f"/admin/account/east-operator/token/{action}", data={"csrf": csrf_of(page)})
        assert r.status_code == 404
    # An operator may not touch a colleague's token; the county admin may.
    op = clients["east-operator"]
    page = op.get("/admin/account").text
    assert op.get("/admin/account/east-admin").status_code == 403
    r = op.post("/admin/account/east-admin/token/revoke", data={"csrf": csrf_of(page)})
    assert r.status_code == 403
    assert clients["east-admin"].get("/admin/account/east-maint").status_code == 200
    assert _api(server, server.by_user["east-operator"]["token"]) == 200  # untouched by the above


def test_pages_need_a_login(server) -> None:  # noqa: ANN001
    with httpx.Client(base_url=server.base_url) as anon:
        assert anon.get("/admin/account").status_code == 303
        assert anon.post("/admin/account/east-admin/token/rotate", data={"csrf": "x"}).status_code == 303
