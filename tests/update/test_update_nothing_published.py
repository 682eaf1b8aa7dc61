"""A county that has not published a release yet: its stations are up to date, not refused
(before: timestamp.json answered 404 and every timer run reported a repository failure)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from update_helpers import start_central

from kiosk.update.updater import Source, run_once


def test_station_of_a_county_without_releases_is_up_to_date(tmp_path: Path) -> None:
    central, stop = start_central(tmp_path)
    try:
        root = tmp_path / "station"
        root.mkdir()
        (root / "root.json").write_bytes(central.root_json())  # what provisioning pins
        out = run_once(root, "qh-park", root / "root.json", Source(central.url + "/tuf/"),
                       now=dt.datetime.now().astimezone(), force=True)
        assert (out.status, out.reason) == ("up-to-date", "no release assigned to this station")
    finally:
        stop()
