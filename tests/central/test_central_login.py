"""Admin login: CSRF on the form, throttling per user name and per address, equal work for
unknown user names, OWASP scrypt parameters with rehash on login, no 500 on odd input."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from central_helpers import DEMO, Server, admin_login
from sqlalchemy import select

from central import db, security
from central.admin import routes, throttle
from central.models import Staff
from central.security import hash_password, needs_rehash, verify_password
from central.testing import start_seeded_server


def _form(client: httpx.Client) -> dict[str, str]:
    page = client.get("/admin/login").text
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def _try(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/admin/login", data={**_form(client), "username": username, "password": password})


@pytest.fixture
def fresh(database_url: str) -> Iterator[Server]:
    """A server of its own: these tests lock 127.0.0.1 out, which would break other modules."""
    key = security.new_data_key()
    base_url, seed, stop = start_seeded_server(database_url, demo_dir=DEMO, data_key=key)
    srv = Server(base_url, seed)
    srv.database_url = database_url
    yield srv
    srv.client.close()
    stop()


def test_login_form_needs_its_csrf_token(server) -> None:  # noqa: ANN001
    staff = server.staff["east"]
    with httpx.Client(base_url=server.base_url) as c:
        form = _form(c)
        assert form.get("csrf") and c.cookies.get(routes.LOGIN_COOKIE)
        creds = {"username": staff["username"], "password": staff["password"]}
        assert c.post("/admin/login", data=creds).status_code == 403  # no token
        assert c.post("/admin/login", data={**creds, "csrf": "0" * 64}).status_code == 403  # wrong
    # The token is bound to this browser's pre-session cookie: another browser's token fails,
    # which is what stops a cross-site form from logging a victim into the attacker's account.
    with httpx.Client(base_url=server.base_url) as attacker, httpx.Client(base_url=server.base_url) as victim:
        forged = _form(attacker)
        _form(victim)
        assert victim.post("/admin/login", data={**creds, **forged}).status_code == 403
    admin_login(server.base_url, staff["username"], staff["password"]).close()


@pytest.mark.parametrize("username, password", [
    ("east\x00admin", "x"), ("east-admin", "pass\x00word"), ("east\x1badmin", "x"), ("x" * 500, "x"),
    ("east-admin", "p" * 2000),  # over MAX_PASSWORD, under the 4 KB body limit (413 beyond it)
])
def test_odd_input_gets_the_normal_401_page(server, username: str, password: str) -> None:  # noqa: ANN001
    with httpx.Client(base_url=server.base_url) as c:
        r = _try(c, username, password)
        assert r.status_code == 401, r.text[:300]
        assert "Wrong user name or password" in r.text


def test_unknown_user_names_cost_a_scrypt_like_known_ones(server, monkeypatch) -> None:  # noqa: ANN001
    calls: list[str] = []

    def counting(password: str, stored: str) -> bool:
        calls.append(stored)
        return verify_password(password, stored)

    monkeypatch.setattr(routes, "verify_password", counting)  # the server runs in this process
    with httpx.Client(base_url=server.base_url) as c:
        assert _try(c, "nobody-like-this", "guess").status_code == 401
        assert _try(c, server.staff["east"]["username"], "guess").status_code == 401
    assert len(calls) == 2
    assert calls[0] == security.dummy_password_hash()
    assert all(h.startswith("scrypt$131072$8$1$") for h in calls)  # the same parameters, same work


def test_five_failures_per_user_name_then_429(fresh: Server) -> None:
    staff = fresh.staff["east"]
    with httpx.Client(base_url=fresh.base_url) as c:
        for _ in range(throttle.USER_LIMIT):
            assert _try(c, staff["username"], "wrong").status_code == 401
        r = _try(c, staff["username"], staff["password"])  # even the right password now
        assert r.status_code == 429
        assert 0 < int(r.headers["Retry-After"]) <= throttle.WINDOW.total_seconds()
        assert "Too many failed log-ins" in r.text
        # Another user name from the same address is not locked by this one.
        west = fresh.staff["west"]
        assert _try(c, west["username"], west["password"]).status_code == 303


def test_per_address_limit_across_user_names(fresh: Server) -> None:
    staff = fresh.staff["east"]
    with httpx.Client(base_url=fresh.base_url) as c:
        for i in range(throttle.ADDRESS_LIMIT):
            assert _try(c, f"guess-{i}", "wrong").status_code == 401
        r = _try(c, staff["username"], staff["password"])
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_a_success_clears_the_user_count_and_state_is_in_the_database(fresh: Server) -> None:
    staff = fresh.staff["east"]
    with httpx.Client(base_url=fresh.base_url) as c:
        for _ in range(throttle.USER_LIMIT - 1):
            assert _try(c, staff["username"], "wrong").status_code == 401
        assert _try(c, staff["username"], staff["password"]).status_code == 303
        for _ in range(throttle.USER_LIMIT - 1):
            assert _try(c, staff["username"], "wrong").status_code == 401
        assert _try(c, staff["username"], staff["password"]).status_code == 303
    engine = db.make_engine(fresh.database_url)
    try:
        with db.session_factory(engine)() as s:
            # Counted where every server process sees it; user names are not stored in clear.
            assert throttle.retry_after(s, "someone", "127.0.0.1") == 0
            for _ in range(throttle.USER_LIMIT):
                throttle.record_failure(s, "someone", "10.0.0.9")
            s.commit()
            assert throttle.retry_after(s, "someone", "127.0.0.1") > 0
            keys = [k for (k,) in s.execute(select(throttle.LoginThrottle.key))]
            assert hashlib.sha256(b"user:someone").hexdigest() in keys and "someone" not in str(keys)
    finally:
        engine.dispose()


def test_owasp_parameters_and_rehash_of_an_old_hash_on_login(fresh: Server) -> None:
    staff = fresh.staff["east"]
    engine = db.make_engine(fresh.database_url)
    try:
        sessions = db.session_factory(engine)
        with sessions() as s:
            row = s.scalars(select(Staff).where(Staff.username == staff["username"])).one()
            assert row.password_hash.startswith("scrypt$131072$8$1$") and not needs_rehash(row.password_hash)
            # An account from before: N=2^14.
            salt = os.urandom(16)
            old = hashlib.scrypt(staff["password"].encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
            row.password_hash = f"scrypt$16384$8$1${salt.hex()}${old.hex()}"
            s.commit()
            assert needs_rehash(row.password_hash) and verify_password(staff["password"], row.password_hash)
        admin_login(fresh.base_url, staff["username"], staff["password"]).close()
        with sessions() as s:
            now = s.scalars(select(Staff.password_hash).where(Staff.username == staff["username"])).one()
        assert now.startswith("scrypt$131072$8$1$") and verify_password(staff["password"], now)
        admin_login(fresh.base_url, staff["username"], staff["password"]).close()  # still works
    finally:
        engine.dispose()


def test_hash_password_uses_owasp_scrypt() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$131072$8$1$")
    assert verify_password("correct horse", stored) and not verify_password("wrong", stored)
    assert not verify_password("x", "scrypt$1048576$8$1$00$00")  # over maxmem: refused, not a crash
    assert not verify_password("x", "not a hash")
