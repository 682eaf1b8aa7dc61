"""The rollout page in a real headless Chromium: a failed canary, a county rollout, then a
canary assigned by clicking. Screenshot to $CENTRAL_SHOTS_DIR (docs/admin/releases.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_helpers import DEMO
from test_central_admin_browser import browser, page_helpers, shots  # noqa: F401 - fixtures

from central import db
from central.releases import tuf_repo
from central.security import DataCipher, new_data_key
from central.testing import start_seeded_server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('rollout')}/central.db"
    key = new_data_key()
    base_url, seed, stop = start_seeded_server(url, demo_dir=DEMO, data_key=key)
    engine = db.make_engine(url)
    cipher, now = DataCipher(key), tuf_repo.now_utc()
    wheel = {"gig_station-x-py3-none-any.whl": b"w" * 100}
    manifest = {"project": "gig_station", "project_wheel": "gig_station-x-py3-none-any.whl",
                "wheels": [{"file": "gig_station-x-py3-none-any.whl", "sha256": "0" * 64, "size": 100}]}
    with db.session_factory(engine)() as s:
        for v in ("1.4.0", "1.5.0"):
            tuf_repo.publish(s, cipher, v, manifest, wheel, now)
        tuf_repo.assign(s, cipher, "1.4.0", now, county="east")
        tuf_repo.assign(s, cipher, "1.5.0", now, station="e-park")  # the canary
        s.commit()
    engine.dispose()
    api = httpx.Client(base_url=base_url, timeout=30)
    stations = {s["id"]: s for s in seed["stations"]}
    for sid, body in (("e-park", {"app_version": "1.4.0", "update_failed": {
            "version": "1.5.0", "reason": "1.5.0: no first_frame within 600 s"}}),
                      ("e-mall", {"app_version": "1.4.0"})):
        if sid in stations:
            r = api.post(f"/v1/stations/{sid}/heartbeats", json=body,
                         headers={"Authorization": f"Bearer {stations[sid]['token']}"})
            assert r.status_code == 200, r.text
    yield base_url, seed
    stop()


def test_rollout_page(browser, site, shots: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base_url, seed = site
    staff = next(s for s in seed["staff"] if s["county"] == "east" and s["role"] == "admin")
    at, type_into = page_helpers(browser)
    browser.get(base_url + "/admin/releases")
    assert at("/admin/login")
    type_into("username", staff["username"])
    type_into("password", staff["password"])
    browser.find_element(By.ID, "login").click()
    assert at("/admin/stations")
    browser.get(base_url + "/admin/releases")
    park = browser.find_element(By.CSS_SELECTOR, "tr[data-station='e-park']")
    assert park.get_attribute("data-state") == "failed" and "no first_frame" in park.text
    others = [r for r in browser.find_elements(By.CSS_SELECTOR, "#rollout tbody tr")
              if r.get_attribute("data-station") != "e-park"]
    assert others, "the county has another station"
    other = others[0].get_attribute("data-station")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-station='{other}']")
    Select(row.find_element(By.NAME, "version")).select_by_value("1.5.0")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert "1.5.0 → " in browser.find_element(By.ID, "release-message").text
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-station='{other}']")
    assert row.get_attribute("data-state") == "pending"
    assert "w-park" not in browser.page_source
    browser.save_screenshot(str(shots / "releases.png"))
