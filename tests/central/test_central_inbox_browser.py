"""The follow-up inbox in headless Chromium (issue 12): an operator filters the inbox, reveals
a seeker's contact with a reason chip, records outcomes; an admin reads the access log.

Screenshots go to $CENTRAL_SHOTS_DIR (default: the test's tmp dir); docs/admin-inbox.png and
docs/admin-application.png in the README come from here (INBOX_DOCS_DIR=docs).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import httpx
from central_helpers import application, id_number
from test_central_admin_browser import browser, click_for_new_page, page_helpers, shots, site  # noqa: F401 - fixtures

PEOPLE = [("e-park", "e-000", 601, "王建国", "13912340601"), ("e-park", "e-001", 602, "李秀英", "13912340602"),
          ("e-mall", "e-010", 603, "张伟", "13912340603"), ("e-park", "e-002", 604, "刘芳", "13912340604"),
          ("e-mall", "e-011", 605, "陈明", "13912340605"), ("w-park", "w-000", 606, "西县人", "13912340606")]


def test_inbox_journey(browser, site, shots: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base_url, seed = site
    tokens = {s["id"]: s["token"] for s in seed["stations"]}
    operator = next(s for s in seed["staff"] if s["username"] == "east-operator")
    admin = next(s for s in seed["staff"] if s["username"] == "east-admin")
    api = httpx.Client(base_url=base_url, timeout=30)
    ids = {}
    for station, job, serial, name, phone in PEOPLE:
        r = api.post("/v1/applications", json=application(station, job_id=job, name=name, phone=phone,
                                                          id_number=id_number(serial)),
                     headers={"Authorization": f"Bearer {tokens[station]}", "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]

    find = browser.find_element
    at, type_into = page_helpers(browser)

    def press(css: str) -> None:
        """Click a form's button and wait for the answer page to replace this one."""
        click_for_new_page(browser, find(By.CSS_SELECTOR, css))

    def login(who: dict) -> None:
        browser.delete_all_cookies()
        browser.get(base_url + "/admin/login")
        type_into("username", who["username"])
        type_into("password", who["password"])
        find(By.ID, "login").click()
        assert at("/admin/stations")

    login(operator)
    find(By.ID, "nav-applications").click()
    assert at("/admin/applications")
    table = find(By.ID, "applications").text
    assert "王*国" in table and "139****0601" in table and "王建国" not in table and "13912340601" not in table
    assert "西*人" not in table  # another county's
    # an outcome from the inbox row: no answer, twice
    row = f"tr[data-application='{ids['张伟']}']"
    press(f"{row} button[data-outcome='no_answer']")
    assert "已保存" in find(By.ID, "saved").text
    press(f"{row} button[data-outcome='no_answer']")
    assert "未接 2 次" in find(By.CSS_SELECTOR, row).text
    row = f"tr[data-application='{ids['李秀英']}']"
    press(f"{row} button[data-outcome='contacted']")
    press(f"{row} button[data-outcome='hired']")
    assert "已上岗 Hired" in find(By.CSS_SELECTOR, f"tr[data-application='{ids['李秀英']}']").text
    assert find(By.CSS_SELECTOR, "[data-count='hired'] b").text == "1"
    assert find(By.CSS_SELECTOR, "[data-count='no_answer'] b").text == "1"
    browser.save_screenshot(str(shots / "inbox-01-list.png"))
    # filter by station
    Select(find(By.ID, "f-station")).select_by_value("e-mall")
    press("#filter")
    assert "station=e-mall" in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "#applications tbody tr[data-application]")
    assert {r.get_attribute("data-application") for r in rows} == {ids["张伟"], ids["陈明"]}
    # reveal with a reason chip on the application's page
    browser.get(f"{base_url}/admin/applications/{ids['王建国']}")
    assert "王*国" in find(By.ID, "seeker").text
    find(By.CSS_SELECTOR, "#reveal input[value='referral']").click()
    press("#reveal-button")
    assert find(By.ID, "contact-name").text == "王建国"
    assert find(By.ID, "contact-phone").text == "13912340601"
    assert id_number(601) not in find(By.ID, "seeker").text
    type_into("note", "已约周一面试")
    press("#outcome button[data-outcome='contacted']")
    assert "已保存" in find(By.ID, "saved").text
    assert "王*国" in find(By.ID, "seeker").text  # masked again after the reveal
    assert "已约周一面试" in find(By.ID, "events").text
    browser.save_screenshot(str(shots / "inbox-02-application.png"))
    assert not browser.find_elements(By.ID, "nav-access-log")  # operators do not audit

    login(admin)
    browser.get(base_url + "/admin/applications")
    browser.save_screenshot(str(shots / "inbox-03-admin-list.png"))
    find(By.ID, "nav-access-log").click()
    assert at("/admin/access-log")
    log = find(By.ID, "access-log").text
    assert "east-operator" in log and "推荐给用工单位" in log and ids["王建国"] in log
    browser.save_screenshot(str(shots / "inbox-04-access-log.png"))
    docs = os.environ.get("INBOX_DOCS_DIR")
    if docs:
        shutil.copy(shots / "inbox-03-admin-list.png", Path(docs) / "admin-inbox.png")
        shutil.copy(shots / "inbox-02-application.png", Path(docs) / "admin-application.png")
    api.close()
