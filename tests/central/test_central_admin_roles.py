"""The admin pages follow the same role table as the API (central.roles)."""

from __future__ import annotations

import pytest
from central_helpers import admin_login, csrf_of


@pytest.fixture(scope="module")
def clients(server):  # noqa: ANN001, ANN201
    made = {user: admin_login(server.base_url, user, server.by_user[user]["password"])
            for user in ("east-admin", "east-operator", "east-maint")}
    yield made
    for c in made.values():
        c.close()


@pytest.mark.parametrize("path, allowed", [
    ("/admin/stations", {"east-admin", "east-operator", "east-maint"}),
    ("/admin/county/config", {"east-admin", "east-operator", "east-maint"}),
    ("/admin/jobs", {"east-admin", "east-operator"}),
    ("/admin/jobs/new", {"east-admin", "east-operator"}),
    ("/admin/policies", {"east-admin", "east-operator"}),
    ("/admin/matches", {"east-admin", "east-operator"}),
])
def test_pages_by_role(clients, path: str, allowed: set[str]) -> None:  # noqa: ANN001
    for user, client in clients.items():
        r = client.get(path)
        assert r.status_code == (200 if user in allowed else 403), (user, path, r.status_code)


def test_only_admin_may_save_county_config(clients) -> None:  # noqa: ANN001
    for user in ("east-operator", "east-maint"):
        page = clients[user].get("/admin/county/config").text
        assert 'id="save"' not in page and 'id="read-only"' in page
        r = clients[user].post("/admin/county/config", data={"csrf": csrf_of(page), "banner": "x"})
        assert r.status_code == 403, user
    page = clients["east-admin"].get("/admin/county/config").text
    assert 'id="save"' in page


def test_nav_shows_only_what_the_role_may_open(clients) -> None:  # noqa: ANN001
    page = clients["east-maint"].get("/admin/stations").text
    assert 'href="/admin/jobs"' not in page and 'href="/admin/policies"' not in page
    assert 'href="/admin/matches"' not in page
    assert "运维 maintainer" in page
    page = clients["east-operator"].get("/admin/stations").text
    assert 'href="/admin/jobs"' in page
