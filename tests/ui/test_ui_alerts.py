"""The station's open alerts at central on the maintenance screen, in a real window: the demo
printer runs out of paper, central's evaluation opens the alert, the heartbeat brings it back."""

from __future__ import annotations


def test_maintenance_screen_lists_the_stations_open_alerts(scenario) -> None:  # noqa: ANN001
    c = scenario("maintenance_alerts")["checks"]
    assert c["summary"]["opened"] >= 1
    assert c["kiosk_alerts"] == ["paper_out"]
    (row,) = c["rows_zh"]
    assert row.startswith("缺纸: × 开始于 ") and row.endswith("printer is out of paper")
    (row,) = c["rows_en"]
    assert row.startswith("Out of paper: × since ")
    assert c["device_rows_kept"]
    was, now = c["printer_row"]
    assert was != now and now.startswith("✓")
