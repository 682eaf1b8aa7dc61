"""The onboarding admin pages in headless Chromium: add a station (QR enrolment code), add a
staff member (one-time password, first-login password change), import a jobs spreadsheet.

Screenshots go to $CENTRAL_SHOTS_DIR (default: the test's tmp dir) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from test_central_admin_browser import browser, page_helpers, shots, site  # noqa: F401 - fixtures
from test_central_onboarding import job_row, jobs_csv


def test_county_setup_pages(browser, site, shots: Path, tmp_path: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base_url, seed = site
    admin = next(s for s in seed["staff"] if s["county"] == "east" and s["role"] == "admin")
    find = browser.find_element

    at, type_into = page_helpers(browser)

    def login(username: str, password: str) -> None:
        browser.delete_all_cookies()
        browser.get(base_url + "/admin/login")
        type_into("username", username)
        type_into("password", password)
        find(By.ID, "login").click()

    login(admin["username"], admin["password"])
    assert at("/admin/stations")
    find(By.ID, "new-station").click()
    assert at("/admin/stations/new")
    type_into("id", "e-market")
    type_into("name", "东县集市驿站")
    type_into("name_en", "East Market")
    type_into("lat", "91")
    type_into("lng", "117.25")
    find(By.ID, "save").click()
    assert "between -90 and 90" in find(By.ID, "error-lat").text
    browser.save_screenshot(str(shots / "20-station-new-error.png"))
    type_into("lat", "31.31")
    find(By.ID, "save").click()
    code = find(By.ID, "enrol-code").text
    qr = find(By.ID, "enrol-qr")
    assert qr.size["width"] >= 200 and browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", qr)
    browser.save_screenshot(str(shots / "21-station-enrolment-code.png"))
    r = httpx.post(base_url + "/v1/enrol", json={"code": code})
    assert r.status_code == 200 and r.json()["station_id"] == "e-market"
    browser.get(base_url + "/admin/stations/e-market/manage")
    assert "已注册 Enrolled" in find(By.ID, "enrol-state").text
    browser.save_screenshot(str(shots / "22-station-manage.png"))

    # Staff: add an operator; the one-time password is shown once.
    browser.get(base_url + "/admin/staff")
    type_into("username", "e-new-clerk")
    type_into("display_name", "钱业务")
    Select(find(By.ID, "role")).select_by_value("operator")
    find(By.ID, "add-staff").click()
    password = find(By.ID, "one-time-password").text
    assert len(password) >= 12
    browser.save_screenshot(str(shots / "23-staff-one-time-password.png"))

    # The operator's first login: nothing but the password change until it is done.
    login("e-new-clerk", password)
    assert at("/admin/password")
    browser.get(base_url + "/admin/jobs")
    assert at("/admin/password")
    type_into("current", password)
    type_into("new", "short")
    type_into("repeat", "short")
    find(By.ID, "change").click()
    assert find(By.ID, "error-new").is_displayed()
    browser.save_screenshot(str(shots / "24-password-change.png"))
    type_into("current", password)
    type_into("new", "clerk-own-password")
    type_into("repeat", "clerk-own-password")
    find(By.ID, "change").click()
    assert at("/admin/stations?password=1")

    # The operator imports a spreadsheet with a bad and a duplicate row.
    sheet = tmp_path / "东县岗位.csv"
    sheet.write_bytes(jobs_csv([job_row("b-1"), job_row("b-2", headcount="0"), job_row("b-1", title="重复"),
                                job_row("b-3", pay_unit="week")]))
    browser.get(base_url + "/admin/jobs-import")
    find(By.ID, "file").send_keys(str(sheet))
    find(By.ID, "upload").click()
    summary = find(By.ID, "import-summary").text
    assert "新增 1" in summary and "拒绝 3" in summary
    assert len(find(By.ID, "rejected").find_elements(By.CSS_SELECTOR, "tbody tr")) == 3
    assert find(By.ID, "download-rejected").get_attribute("href").startswith("data:text/csv")
    browser.save_screenshot(str(shots / "25-jobs-import-result.png"))
    browser.get(base_url + "/admin/jobs")
    assert "east-b-1" in browser.page_source
