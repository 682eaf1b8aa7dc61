"""Admin pages end to end in a real headless Chromium (Debian's chromium + chromedriver).

Screenshots go to $CENTRAL_SHOTS_DIR (default: the test's tmp dir) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_helpers import DEMO, HEARTBEAT

from central.testing import start_seeded_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        msg = f"{missing} not found: run deploy/setup-system.sh --test (chromium, chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def page_helpers(browser):  # noqa: ANN001, ANN201
    """(at, type_into) for a Selenium page: wait until the URL ends with a suffix; replace a
    field's text. Shared by the admin browser tests."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def at(suffix: str) -> bool:
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(suffix))
        return True

    def type_into(field_id: str, value: str) -> None:
        el = browser.find_element(By.ID, field_id)
        el.clear()
        el.send_keys(value)

    return at, type_into


def click_for_new_page(browser, element) -> None:  # noqa: ANN001
    """Click what loads a new page (a form post that redirects, maybe to the same address) and
    wait for that page. The old page is marked in JavaScript and the wait ends when a fully
    loaded page without the mark is there. Selenium's `staleness_of` is not enough: while the
    old document is being replaced, Chromium can answer "Node with given id does not belong to
    the document" as an unknown error instead of a stale element, which ends the wait with it."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.__gigOldPage = true;")
    element.click()
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return !window.__gigOldPage && document.readyState === 'complete';"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)  # a form post may still be loading when we look for its result
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    db = tmp_path_factory.mktemp("admin") / "central.db"
    base_url, seed, stop = start_seeded_server(f"sqlite:///{db}", demo_dir=DEMO)
    yield base_url, seed
    stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = Path(os.environ.get("CENTRAL_SHOTS_DIR") or tmp_path_factory.mktemp("shots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_staff_journey(browser, site, shots: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base_url, seed = site
    staff = next(s for s in seed["staff"] if s["county"] == "east")
    station = next(s for s in seed["stations"] if s["id"] == "e-park")
    api = httpx.Client(base_url=base_url, timeout=30)
    r = api.post("/v1/stations/e-park/heartbeats", headers={"Authorization": f"Bearer {station['token']}"},
                 json={**HEARTBEAT, "rejected_config": {"version": 1, "reason": "opening_hours invalid"}})
    assert r.status_code == 200
    find = browser.find_element

    at, type_into = page_helpers(browser)

    # anything under /admin needs a login
    browser.get(base_url + "/admin/jobs")
    assert at("/admin/login")
    type_into("username", staff["username"])
    type_into("password", "wrong-password")
    find(By.ID, "login").click()
    assert "用户名或密码错误" in find(By.CSS_SELECTOR, "[role=alert]").text
    browser.save_screenshot(str(shots / "01-login-error.png"))
    type_into("password", staff["password"])
    find(By.ID, "login").click()

    # station health
    assert at("/admin/stations")
    row = find(By.CSS_SELECTOR, "tr[data-station='e-park']").text
    assert "在线 Online" in row and "将尽 Low" in row and "opening_hours invalid" in row
    assert "idcard: error" in row
    assert "w-park" not in browser.page_source  # another county's station is not listed
    browser.save_screenshot(str(shots / "02-stations.png"))

    # station config: a bad value is refused with a message naming the field, a good one saved
    browser.get(base_url + "/admin/stations/e-park/config")
    type_into("radius_km", "500")
    type_into("opening_hours", "25:00-26:00")
    find(By.ID, "save").click()
    assert "less than or equal to 200" in find(By.ID, "error-radius_km").text
    assert find(By.ID, "error-opening_hours").is_displayed()
    browser.save_screenshot(str(shots / "03-config-errors.png"))
    type_into("radius_km", "15")
    type_into("opening_hours", "07:00-21:00")
    type_into("banner", "今日新增岗位 12 个")
    Select(find(By.ID, "features.voice")).select_by_value("off")
    find(By.ID, "save").click()
    assert "已保存" in find(By.CSS_SELECTOR, "[role=status]").text
    history = find(By.ID, "history").text
    browser.save_screenshot(str(shots / "04-config-saved.png"))
    doc = api.get("/v1/stations/e-park/config", headers={"Authorization": f"Bearer {station['token']}"}).json()
    assert f"v{doc['version']}" in history and staff["username"] in history
    assert doc["config"]["radius_km"] == 15
    assert doc["config"]["features"]["voice"] is False and doc["config"]["banner"] == "今日新增岗位 12 个"

    # county config reaches every station of the county
    browser.get(base_url + "/admin/county/config")
    type_into("receipt_footer", "就业服务热线 12333")
    find(By.ID, "save").click()
    assert "已保存" in find(By.CSS_SELECTOR, "[role=status]").text
    station_version = doc["version"]
    doc = api.get("/v1/stations/e-park/config", headers={"Authorization": f"Bearer {station['token']}"}).json()
    assert doc["version"] > station_version and doc["config"]["receipt_footer"] == "就业服务热线 12333"
    assert doc["config"]["radius_km"] == 15  # the station's own override still wins

    # jobs: add (with a validation round), edit, close
    browser.get(base_url + "/admin/jobs")
    browser.save_screenshot(str(shots / "05-jobs.png"))
    find(By.ID, "new-job").click()
    values = {"id": "e-browser", "title": "超市理货员", "category": "促销", "employer": "东县示例超市",
              "headcount": "4", "pay_amount": "23", "daily_hours": "09:00-18:00",
              "address": "东县公园路5号", "lat": "31.301", "lng": "117.201", "contact": "赵店长 139-0000-2222",
              "requirements.age_min": "18", "requirements.age_max": "60"}
    for k, v in values.items():
        type_into(k, v)
    Select(find(By.ID, "pay_unit")).select_by_value("hour")
    for k, v in (("start_date", "2030-01-10"), ("end_date", "2030-01-05"), ("valid_through", "2030-01-09")):
        browser.execute_script("arguments[0].value = arguments[1]", find(By.ID, k), v)
    find(By.ID, "save").click()
    browser.save_screenshot(str(shots / "06-job-error.png"))
    assert "end_date is before start_date" in find(By.CSS_SELECTOR, "[role=alert]").text
    browser.save_screenshot(str(shots / "06-job-error.png"))
    browser.execute_script("arguments[0].value = '2030-01-12'", find(By.ID, "end_date"))
    find(By.ID, "save").click()
    assert at("/admin/jobs/e-browser?saved=1")
    type_into("title", "超市理货员（日结）")
    # The form posts and redirects to the same URL: wait for that page, so the close button
    # clicked next is the new page's (one on the old page can go stale under the click).
    click_for_new_page(browser, find(By.ID, "save"))
    job = api.get("/v1/jobs/e-browser", headers={"Authorization": f"Bearer {staff['token']}"}).json()
    browser.save_screenshot(str(shots / "07-job-saved.png"))
    assert job["title"] == "超市理货员（日结）" and job["pay_unit"] == "hour" and job["status"] == "open"
    find(By.ID, "close-job").click()
    assert at("/admin/jobs")  # the close form's redirect: the job is closed once we are here
    job = api.get("/v1/jobs/e-browser", headers={"Authorization": f"Bearer {staff['token']}"}).json()
    assert job["status"] == "closed"

    # policies: edit one
    browser.get(base_url + "/admin/policies")
    browser.save_screenshot(str(shots / "08-policies.png"))
    browser.get(base_url + "/admin/policies/east-p0")
    type_into("title", "灵活就业社保补贴（更新）")
    find(By.ID, "save").click()
    assert "已保存" in find(By.CSS_SELECTOR, "[role=status]").text
    browser.save_screenshot(str(shots / "09-policy-saved.png"))
    pols = api.get("/v1/policies", headers={"Authorization": f"Bearer {station['token']}"}).json()["policies"]
    assert {p["id"]: p for p in pols}["east-p0"]["title"] == "灵活就业社保补贴（更新）"

    find(By.ID, "logout").click()
    browser.get(base_url + "/admin/stations")
    assert at("/admin/login")
