"""The remote diagnostics admin page in headless Chromium (issue 13): a maintainer sends
commands with the buttons, the station's results show up — the screenshot as an image served
as image/png under the page's CSP, the log bundle as a download.

Screenshots go to $CENTRAL_SHOTS_DIR (default: the test's tmp dir) for a human to look at.
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import httpx
from test_central_admin_browser import browser, click_for_new_page, page_helpers, shots, site  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
KIOSK_SCREEN = ROOT / "docs" / "screens" / "attract-zh-normal.png"  # a real kiosk screen


def test_maintainer_sends_commands_and_sees_results(browser, site, shots: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By

    base_url, seed = site
    maint = next(s for s in seed["staff"] if s["county"] == "east" and s["role"] == "maintainer")
    station = next(s for s in seed["stations"] if s["id"] == "e-park")
    at, type_into = page_helpers(browser)
    find = browser.find_element
    browser.delete_all_cookies()
    browser.get(base_url + "/admin/login")
    type_into("username", maint["username"])
    type_into("password", maint["password"])
    find(By.ID, "login").click()
    assert at("/admin/stations")
    find(By.CSS_SELECTOR, "tr[data-station='e-park'] a[href$='/commands']").click()
    assert at("/admin/stations/e-park/commands")

    def send(kind: str) -> None:  # click, and wait for the page the redirect brings
        click_for_new_page(browser, find(By.ID, f"send-{kind}"))

    send("screenshot")
    assert "已发送" in find(By.ID, "sent").text
    type_into("hours", "6")
    send("upload_logs")
    send("resync")
    rows = browser.find_elements(By.CSS_SELECTOR, "#commands tr[data-command]")
    assert [r.get_attribute("data-state") for r in rows] == ["pending"] * 3

    # the station takes them with its heartbeat and answers (as kiosk/commands.py does)
    kiosk = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {station['token']}"})
    docs = {d["kind"]: d for d in kiosk.post("/v1/stations/e-park/heartbeats", json={}).json()["commands"]}
    assert set(docs) == {"screenshot", "upload_logs", "resync"} and docs["upload_logs"]["args"] == {"hours": 6}
    png = KIOSK_SCREEN.read_bytes()
    bundle = gzip.compress(b"2026-11-29T07:02:11Z WARNING devices.printer: paper near end\n" * 40)
    for kind, body in {
        "screenshot": {"status": "done", "detail": f"{len(png)} bytes", "attachment_type": "image/png",
                       "attachment": base64.b64encode(png).decode()},
        "upload_logs": {"status": "done", "detail": "40 lines of the last 6 h; 0 masked again before upload",
                        "attachment_type": "application/gzip", "attachment": base64.b64encode(bundle).decode()},
        "resync": {"status": "refused", "detail": "expired"},
    }.items():
        assert kiosk.post(f"/v1/stations/e-park/commands/{docs[kind]['command_id']}/result", json=body).status_code == 200

    browser.refresh()
    states = {r.get_attribute("data-command"): r.get_attribute("data-state")
              for r in browser.find_elements(By.CSS_SELECTOR, "#commands tr[data-command]")}
    assert sorted(states.values()) == ["done", "done", "refused"]
    img = find(By.CSS_SELECTOR, "img.screenshot")
    # drawn: the browser fetched and decoded it under the page's CSP (naturalWidth 0 otherwise)
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) == 720
    link = find(By.CSS_SELECTOR, "a.download").get_attribute("href")
    browser.save_screenshot(str(shots / "commands.png"))

    # what the browser was given: the right content types, and the bundle as a download
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    with httpx.Client(base_url=base_url, cookies=cookies) as web:
        shot = web.get(img.get_attribute("src"))
        logs = web.get(link)
    assert shot.headers["content-type"] == "image/png" and shot.content == png
    assert "script-src 'none'" in shot.headers["content-security-policy"]
    assert logs.headers["content-type"] == "application/gzip"
    assert logs.headers["content-disposition"].startswith('attachment; filename="logs-e-park-')
    assert gzip.decompress(logs.content).count(b"paper near end") == 40
