"""Security headers on every response; the admin cookie is Secure over HTTPS; no CDN docs."""

from __future__ import annotations

import re

import httpx
import pytest
from central_helpers import DEMO

from central.admin.routes import COOKIE
from central.testing import start_seeded_server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(plain server, server behind a trusted proxy on 127.0.0.1, server with docs on)"""
    started = []
    for options in ({}, {"trusted_proxies": "127.0.0.1"}, {"docs": True}):
        url = f"sqlite:///{tmp_path_factory.mktemp('central')}/central.db"
        started.append(start_seeded_server(url, demo_dir=DEMO, **options))
    yield started
    for _, _, stop in started:
        stop()


def _login(base_url: str, seed: dict, headers: dict[str, str]) -> httpx.Response:
    staff = next(s for s in seed["staff"] if s["role"] == "admin")
    with httpx.Client(base_url=base_url, timeout=30, headers=headers) as client:
        form = client.get("/admin/login")
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
        # The login form's CSRF cookie may be Secure (an HTTPS request as the proxy says), which
        # httpx would keep to itself over this plain-HTTP loopback link: send it back as a browser
        # on the HTTPS side would.
        nonce = form.cookies.get("gig_login")
        return client.post("/admin/login", data={**hidden, "username": staff["username"],
                                                   "password": staff["password"]},
                           headers={"Cookie": f"gig_login={nonce}"})


def _session_cookie(r: httpx.Response) -> str:
    assert r.status_code == 303, r.text[:300]
    cookies = [v for v in r.headers.get_list("set-cookie") if v.startswith(COOKIE + "=")]
    assert len(cookies) == 1
    return cookies[0].lower()


@pytest.mark.parametrize("path", ["/healthz", "/admin/login", "/v1/stations", "/openapi.json",
                                  "/admin/static/admin.css", "/nowhere"])
def test_every_response_carries_the_security_headers(servers, path: str) -> None:
    base_url = servers[0][0]
    r = httpx.get(base_url + path)
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "script-src 'none'" in csp


def test_admin_pages_need_nothing_the_policy_forbids() -> None:
    # The CSP forbids inline script/style and other origins: the templates must not use them.
    from pathlib import Path

    for page in Path("central/admin/templates").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "style=" not in text and "<style" not in text, page
        assert not re.search(r"""(src|href)=["']https?:""", text), page


def test_docs_are_off_by_default_and_openapi_stays(servers) -> None:
    base_url = servers[0][0]
    assert httpx.get(base_url + "/docs").status_code == 404
    assert httpx.get(base_url + "/redoc").status_code == 404
    assert httpx.get(base_url + "/openapi.json").status_code == 200
    docs_url = servers[2][0]
    r = httpx.get(docs_url + "/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
    assert "content-security-policy" not in r.headers  # it needs its CDN script
    assert r.headers["x-frame-options"] == "DENY"


def test_session_cookie_is_not_secure_over_plain_http(servers) -> None:
    base_url, seed, _ = servers[0]
    cookie = _session_cookie(_login(base_url, seed, {}))
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie.replace("samesite", "")


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(servers) -> None:
    base_url, seed, _ = servers[0]
    cookie = _session_cookie(_login(base_url, seed, {"X-Forwarded-Proto": "https"}))
    assert "; secure" not in cookie


def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(servers) -> None:
    base_url, seed, _ = servers[1]
    assert "; secure" in _session_cookie(_login(base_url, seed, {"X-Forwarded-Proto": "https"}))
    assert "; secure" not in _session_cookie(_login(base_url, seed, {"X-Forwarded-Proto": "http"}))


def test_secure_cookies_setting(tmp_path) -> None:
    base_url, seed, stop = start_seeded_server(f"sqlite:///{tmp_path}/c.db", demo_dir=DEMO,
                                               secure_cookies=True)
    try:
        assert "; secure" in _session_cookie(_login(base_url, seed, {}))
    finally:
        stop()
