"""The alerts admin page in headless Chromium: open alerts first (critical on top), acknowledge,
delivery settings refused then saved, under the strict CSP. Screenshots for a human."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alert_helpers import beat
from central_helpers import DEMO, Server
from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session
from test_central_admin_browser import browser, click_for_new_page, page_helpers, shots  # noqa: F401 - fixtures

from central import db
from central.alert_delivery import open_secret
from central.alerts import run_alerts
from central.models import AlertSettings
from central.security import DataCipher, new_data_key
from central.services import now
from central.testing import start_seeded_server

DATA_KEY = new_data_key()


@pytest.fixture(scope="module")
def alert_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts-admin') / 'central.db'}"
    base_url, seed, stop = start_seeded_server(url, demo_dir=DEMO, data_key=DATA_KEY)
    srv = Server(base_url, seed)
    yield srv, url
    srv.client.close()
    stop()


def test_alerts_page(browser, alert_site, shots: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By
    srv, url = alert_site
    beat(srv, "e-park", srv.stations["e-park"]["token"], rejected_config={"version": 4, "reason": "radius_km too large"})
    beat(srv, "e-mall", srv.stations["e-mall"]["token"], paper="out",
         devices={"printer": {"state": "ok", "paper_end": True}})
    beat(srv, "w-park", srv.stations["w-park"]["token"], paper="out")  # another county
    engine = db.make_engine(url)
    try:
        t = now()
        run_alerts(engine, t - timedelta(minutes=3))
        run_alerts(engine, t)  # paper out has held long enough to open
    finally:
        engine.dispose()
    admin = srv.staff["east"]
    at, type_into = page_helpers(browser)
    find = browser.find_element
    browser.get(srv.base_url + "/admin/login")
    type_into("username", admin["username"])
    type_into("password", admin["password"])
    find(By.ID, "login").click()
    assert at("/admin/stations")
    find(By.ID, "nav-alerts").click()
    assert at("/admin/alerts")
    rows = browser.find_elements(By.CSS_SELECTOR, "#open-alerts tbody tr")
    assert [r.get_attribute("data-kind") for r in rows] == ["paper_out", "config_rejected"]  # critical first
    assert "w-park" not in browser.page_source
    assert "radius_km too large" in rows[1].text
    first = rows[0].get_attribute("data-alert")
    # the answer reloads the same address: wait for the new page, not for the URL
    click_for_new_page(browser, find(By.ID, f"ack-{first}"))
    assert at("/admin/alerts")
    row = find(By.CSS_SELECTOR, f"tr[data-alert='{first}']").text
    assert "✓ " + admin["username"] in row

    # delivery settings: a bad address and time are refused, naming the fields; then saved
    type_into("smtp_host", "mail.county.example")
    type_into("smtp_from", "not-an-address")
    type_into("smtp_to", "maint@county.example")
    type_into("quiet_hours", "25:00-07:00")
    find(By.ID, "save-settings").click()
    assert find(By.ID, "error-smtp_from").is_displayed() and find(By.ID, "error-quiet_hours").is_displayed()
    browser.save_screenshot(str(shots / "alerts-settings-errors.png"))
    type_into("smtp_from", "alerts@county.example")
    type_into("quiet_hours", "22:00-07:00")
    type_into("webhook_url", "https://ops.county.example/hooks/gig")
    type_into("webhook_secret", "a-long-shared-secret")
    find(By.ID, "smtp_starttls").click()
    find(By.ID, "save-settings").click()
    assert "已保存" in find(By.CSS_SELECTOR, "[role=status]").text
    assert find(By.ID, "webhook_secret").get_attribute("value") == ""  # write-only
    browser.set_window_size(1400, 1300)
    browser.save_screenshot(str(shots / "alerts.png"))
    errors = [e for e in browser.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    assert errors == []
    engine = db.make_engine(url)
    try:
        with Session(engine) as s:
            saved = s.get(AlertSettings, "east")
            assert saved.smtp_to == ["maint@county.example"] and saved.smtp_starttls is True
            assert saved.quiet_hours == "22:00-07:00"
            cipher = DataCipher(DATA_KEY)
            # sealed at rest: not in the row, opens only with the data key and this county
            assert "a-long-shared-secret" not in saved.webhook_secret
            assert open_secret(cipher, "east", saved.webhook_secret) == "a-long-shared-secret"
            with pytest.raises(InvalidTag):
                open_secret(cipher, "west", saved.webhook_secret)
    finally:
        engine.dispose()
