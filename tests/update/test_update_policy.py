"""The install window, the health markers and the heartbeat report (no server needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.update import health, state
from kiosk.update.policy import Activity, may_install

T = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)


def test_never_during_a_visit_even_at_night() -> None:
    ok, why = may_install(T.replace(hour=3), "06:00-22:00", Activity(visit_active=True), 15)
    assert not ok and "visit" in why


def test_outside_opening_hours_or_after_idle_minutes() -> None:
    busy = Activity(last_touch=T.timestamp() - 60)
    assert may_install(T.replace(hour=23), "06:00-22:00", busy, 15)[0]  # closed
    assert not may_install(T, "06:00-22:00", busy, 15)[0]  # open, touched a minute ago
    idle = Activity(last_touch=T.timestamp() - 16 * 60)
    assert may_install(T, "06:00-22:00", idle, 15) == (True, "idle for 16 min")
    assert may_install(T, None, Activity(), 15)[0]  # no touch since the app started


def test_markers_are_written_only_by_a_release(tmp_path: Path) -> None:
    release = tmp_path / "releases" / "1.2"
    release.mkdir(parents=True)
    assert not state.mark(tmp_path, "first_frame", prefix=str(tmp_path / "checkout"))
    assert state.mark(tmp_path, "first_frame", prefix=str(release))
    assert state.has_marker(tmp_path, "1.2", "first_frame")
    assert not state.mark("", "sync_ok")  # updates off: nothing to mark


def test_activity_round_trip(tmp_path: Path) -> None:
    state.write_activity(tmp_path, True, 123.0)
    assert state.read_activity(tmp_path) == {"visit_active": True, "last_touch": 123.0}


def test_heartbeat_report_after_a_rollback(tmp_path: Path) -> None:
    assert health.heartbeat_report(tmp_path) is None
    doc = state.load(tmp_path)
    doc["last_failure"] = {"version": "2.0", "reason": "crash loop: 3 starts within 120 s", "at": 1}
    state.save(tmp_path, doc)
    assert health.heartbeat_report(tmp_path) == {"version": "2.0",
                                                 "reason": "crash loop: 3 starts within 120 s"}


def test_a_second_update_run_is_refused_while_one_runs(tmp_path: Path) -> None:
    import fcntl

    from kiosk.update.updater import Source, run_once

    with open(tmp_path / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        out = run_once(tmp_path, "s", tmp_path / "root.json", Source("http://127.0.0.1:9/"),
                       now=dt.datetime.now(dt.UTC), force=True)
    assert (out.status, out.reason) == ("refused", "another update is running")


def test_gate_only_never_starts_the_app_even_with_updates_off(tmp_path: Path) -> None:
    """gig-kiosk.service runs `launch --gate-only` as root before the app: on a station without
    [update] root it must return, not exec `gig-kiosk run` (as root, in the pre-start step)."""
    import subprocess
    import sys

    config = tmp_path / "station.toml"
    config.write_text('[station]\nid = "qh-park"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "launch", "--gate-only",
                           "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr
