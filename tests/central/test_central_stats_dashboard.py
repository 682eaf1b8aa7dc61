"""The statistics dashboard in headless Chromium (SVG charts, strict CSP: no console errors),
and the monthly report exports: XLSX opened with openpyxl, CSV parsed. Screenshots go to
$CENTRAL_SHOTS_DIR (docs/admin/admin-stats.png were made this way and looked at)."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import httpx
from central_helpers import admin_login
from openpyxl import load_workbook
from test_central_admin_browser import browser, page_helpers, shots, site  # noqa: F401 - fixtures

from central.stats_export import COLUMNS


def _month(rng: random.Random, month: str, days: int, scale: int) -> list[dict]:
    rows = []
    for d in range(1, days + 1):
        for h in range(8, 20):
            visits = rng.randint(0, scale) + (scale if h in (9, 10, 17) else 0)
            for metric, value in (("visits", visits), ("job_views", visits * 2), ("slips", visits // 2),
                                  ("registrations", visits // 4), ("card_reads", visits // 2)):
                if value:
                    rows.append({"hour": f"{month}-{d:02d}T{h:02d}", "metric": metric, "value": value})
    return rows


def _seed(base_url: str, seed: dict) -> dict[str, dict[str, int]]:
    """Two months for the east stations; returns sums per 'YYYY-MM' and metric."""
    api = httpx.Client(base_url=base_url, timeout=30)
    rng, want = random.Random(5), {}
    for station, scale in (("e-park", 6), ("e-mall", 3)):
        token = next(s["token"] for s in seed["stations"] if s["id"] == station)
        for month, days in (("2026-03", 31), ("2026-04", 30)):
            rows = _month(rng, month, days, scale)
            for i in range(0, len(rows), 2000):
                r = api.put(f"/v1/stations/{station}/stats", headers={"Authorization": f"Bearer {token}"},
                            json={"rows": rows[i:i + 2000]})
                assert r.status_code == 200, r.text
            for row in rows:
                key = want.setdefault(month, {}).setdefault(station, {})
                key[row["metric"]] = key.get(row["metric"], 0) + row["value"]
    return want


def test_dashboard_and_exports(browser, site, shots: Path) -> None:  # noqa: ANN001, F811
    from selenium.webdriver.common.by import By

    base_url, seed = site
    want = _seed(base_url, seed)
    staff = next(s for s in seed["staff"] if s["county"] == "east" and s["role"] == "admin")
    at, type_into = page_helpers(browser)
    browser.get(base_url + "/admin/login")
    type_into("username", staff["username"])
    type_into("password", staff["password"])
    browser.find_element(By.ID, "login").click()
    assert at("/admin/stations")
    browser.get(base_url + "/admin/stats?from=2026-03-01&to=2026-03-31")
    cell = browser.find_element(By.CSS_SELECTOR, "tr[data-station='e-park'] td[data-metric='visits']")
    assert int(cell.text) == want["2026-03"]["e-park"]["visits"]
    total = browser.find_element(By.CSS_SELECTOR, "tr.total td[data-metric='registrations']")
    assert int(total.text) == sum(want["2026-03"][s]["registrations"] for s in ("e-park", "e-mall"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.heatmap rect")) == 7 * 24
    assert browser.find_elements(By.CSS_SELECTOR, "svg.lines polyline.series-0")
    assert "w-park" not in browser.page_source  # another county's station is not there
    # nothing the CSP refused (inline styles or scripts would show up here)
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert logs == [], logs
    browser.set_window_size(1400, 2400)
    browser.save_screenshot(str(shots / "admin-stats.png"))
    browser.set_window_size(1400, 1000)

    # exports: the same figures, one sheet per month, one row per station, totals
    client = admin_login(base_url, staff["username"], staff["password"])
    r = client.get("/admin/stats/report.xlsx", params={"from": "2026-03-01", "to": "2026-04-30"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["2026-03", "2026-04"]
    keys = [k for k, _ in COLUMNS]
    for month in ("2026-03", "2026-04"):
        rows = list(wb[month].iter_rows(min_row=3, values_only=True))
        by_station = {row[0]: dict(zip(keys, row[2:], strict=True)) for row in rows}
        assert set(by_station) == {"e-park", "e-mall", "合计 Total"}
        for station in ("e-park", "e-mall"):
            for metric in ("visits", "job_views", "slips", "registrations", "card_reads"):
                assert by_station[station][metric] == want[month][station][metric]
        for metric in keys:
            assert by_station["合计 Total"][metric] == by_station["e-park"][metric] + by_station["e-mall"][metric]
    r = client.get("/admin/stats/report.csv", params={"from": "2026-03-01", "to": "2026-04-30"})
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["月份 Month", "驿站编号 Station ID", "驿站 Station"] and len(lines) == 1 + 2 * 3
    assert int(lines[1][3]) == want["2026-03"]["e-mall"]["visits"]  # stations sorted by id
    assert client.get("/admin/stats", params={"from": "2026-04-30", "to": "2026-03-01"}).status_code == 422
