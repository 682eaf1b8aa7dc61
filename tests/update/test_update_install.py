"""Install, switch, code-only update, older version, health gate, crash loop: a real TUF
repository served by the real central server on 127.0.0.1, a real updater."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from update_helpers import app, snapshot, station_config

from kiosk.update import health, state
from kiosk.update.updater import Source, run_once

NOW = dt.datetime.now().astimezone()


def _station(tmp: Path, central) -> Path:  # noqa: ANN001
    root = tmp / "station"
    root.mkdir()
    (root / "root.json").write_bytes(central.root_json())
    return root


def _update(root: Path, central, now: dt.datetime = NOW, station: str = "qh-park", **kw):  # noqa: ANN001, ANN003
    return run_once(root, station, root / "root.json", Source(central.url + "/tuf/"),
                    now=now, force=True, **kw)


def _run_app(root: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / "current" / "bin" / "gig-kiosk"), "run", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)


def test_installs_switches_and_reuses_unchanged_wheels(tmp_path, central, wheelhouse, dep) -> None:
    central.publish("1.0", [app(wheelhouse, "1.0"), dep])
    central.assign("1.0", county="qinghe")
    root = _station(tmp_path, central)
    first = _update(root, central)
    assert (first.status, first.version) == ("installed", "1.0"), first
    assert snapshot(root)["current"] == "releases/1.0"
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/")
    assert "ran 1.0 ok" in _run_app(root, config).stdout
    assert health.check(root, NOW.timestamp())["status"] == "confirmed"

    central.publish("1.1", [app(wheelhouse, "1.1"), dep])
    central.assign("1.1", station="qh-park")  # a canary: only this station
    second = _update(root, central)
    assert (second.status, second.version) == ("installed", "1.1"), second
    # code-only release: the dependency wheel (same sha256) was not downloaded again
    assert second.downloaded_bytes < first.downloaded_bytes * 0.05
    assert snapshot(root)["previous"] == "releases/1.0"
    assert _update(root, central).status == "refused"  # waiting for its health check
    assert "ran 1.1 ok" in _run_app(root, config).stdout
    again = _update(root, central)
    assert (again.status, again.version) == ("up-to-date", "1.1"), again

    # the other station of the county stays on the county's release
    other = tmp_path / "other"
    other.mkdir()
    (other / "root.json").write_bytes(central.root_json())
    assert _update(other, central, station="qh-mall").version == "1.0"


def test_older_version_is_refused(tmp_path, central, wheelhouse, dep) -> None:
    central.publish("2.0", [app(wheelhouse, "2.0"), dep])
    central.publish("1.9", [app(wheelhouse, "1.9"), dep])
    central.assign("2.0", station="qh-park")
    root = _station(tmp_path, central)
    assert _update(root, central).status == "installed"
    _run_app(root, station_config(tmp_path / "station.toml", root, central.url + "/tuf/"))
    assert health.check(root, NOW.timestamp())["status"] == "confirmed"
    before = snapshot(root)
    central.assign("1.9", station="qh-park")
    out = _update(root, central)
    assert out.status == "refused" and "older" in out.reason, out
    assert snapshot(root) == before


def test_failing_health_check_rolls_back_and_is_reported(tmp_path, central, wheelhouse, dep) -> None:
    central.publish("3.0", [app(wheelhouse, "3.0"), dep])
    central.publish("3.1", [app(wheelhouse, "3.1", mode="hang"), dep])
    central.assign("3.0", station="qh-park")
    root = _station(tmp_path, central)
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/")
    assert _update(root, central).status == "installed"
    _run_app(root, config)
    central.assign("3.1", station="qh-park")
    assert _update(root, central, deadline_s=60).version == "3.1"
    assert "ran 3.1 hang" in _run_app(root, config).stdout  # runs, but never a first frame
    waiting = _update(root, central, now=NOW + dt.timedelta(seconds=30))
    assert waiting.status == "refused" and "pending" in waiting.reason
    out = _update(root, central, now=NOW + dt.timedelta(seconds=61))
    assert (out.status, out.version) == ("rolled-back", "3.0"), out
    assert snapshot(root)["current"] == "releases/3.0"
    report = health.heartbeat_report(root)
    assert report["version"] == "3.1" and "first_frame" in report["reason"]
    # the failed release is not installed again
    again = _update(root, central, now=NOW + dt.timedelta(seconds=90))
    assert again.status == "refused" and "failed before" in again.reason
    # a fixed, higher release passes its gate: the heartbeat stops reporting the failure
    central.publish("3.2", [app(wheelhouse, "3.2"), dep])
    central.assign("3.2", station="qh-park")
    assert _update(root, central, now=NOW + dt.timedelta(seconds=100)).version == "3.2"
    _run_app(root, config)
    assert health.check(root, NOW.timestamp() + 110)["status"] == "confirmed"
    assert health.heartbeat_report(root) is None


def test_crash_loop_rolls_back_at_launch(tmp_path, central, wheelhouse, dep) -> None:
    central.publish("4.0", [app(wheelhouse, "4.0"), dep])
    central.publish("4.1", [app(wheelhouse, "4.1", mode="crash"), dep])
    central.assign("4.0", station="qh-park")
    root = _station(tmp_path, central)
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/", deadline_s=600)
    assert _update(root, central).status == "installed"
    _run_app(root, config)
    central.assign("4.1", station="qh-park")
    # `launch` checks the health deadline against the real clock: switch at the real time, not
    # at NOW (taken when the module was collected, minutes ago in a whole-suite run, which put
    # the switch past its 600 s deadline and rolled 4.1 back before it could crash)
    assert _update(root, central, now=dt.datetime.now().astimezone()).version == "4.1"
    codes = []
    for _ in range(3):  # what systemd's Restart= does with a crashing release
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "launch", "--config", str(config)],
                              capture_output=True, text=True, timeout=60)
        codes.append(proc.returncode)
    assert codes[:2] == [3, 3]
    assert snapshot(root)["current"] == "releases/4.0"
    assert codes[2] == 0 and "crash loop" in proc.stderr  # third start: rolled back, old one ran
    assert state.load(root)["last_failure"]["version"] == "4.1"


def test_cli_prints_the_json_contract(tmp_path, central, wheelhouse, dep) -> None:
    central.publish("5.0", [app(wheelhouse, "5.0"), dep])
    central.assign("5.0", station="qh-park")
    root = _station(tmp_path, central)
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/")
    state.write_activity(root, True, NOW.timestamp())  # a seeker is at the screen
    cmd = [sys.executable, "-m", "kiosk.cli", "update", "--once", "--config", str(config)]
    busy = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = json.loads(busy.stdout)
    assert (out["status"], out["reason"]) == ("refused", "not now: a visit is in progress"), busy.stderr
    assert busy.returncode == 1 and snapshot(root)["current"] is None
    proc = subprocess.run([*cmd, "--force"], capture_output=True, text=True, timeout=120)
    out = json.loads(proc.stdout)
    assert (out["status"], out["version"]) == ("installed", "5.0"), proc.stderr
    assert set(out) >= {"status", "version", "reason"}


def test_a_deadline_rollback_restarts_the_app_on_the_previous_release(
        tmp_path, central, wheelhouse, dep) -> None:
    """The timer's run that rolls back must restart the unit: else the failed release keeps
    running until the next reboot although `current` points at the old one."""
    central.publish("6.0", [app(wheelhouse, "6.0"), dep])
    central.publish("6.1", [app(wheelhouse, "6.1", mode="hang"), dep])
    central.assign("6.0", station="qh-park")
    root = _station(tmp_path, central)
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/")
    restarts = tmp_path / "restarts"
    restart = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('restart\\n')",
               str(restarts)]
    assert _update(root, central, restart=restart).status == "installed"
    _run_app(root, config)
    central.assign("6.1", station="qh-park")
    assert _update(root, central, deadline_s=60, restart=restart).version == "6.1"
    assert restarts.read_text().count("restart") == 2  # one per switch
    out = _update(root, central, now=NOW + dt.timedelta(seconds=61), restart=restart)
    assert (out.status, out.version) == ("rolled-back", "6.0"), out
    assert restarts.read_text().count("restart") == 3  # the rollback restarted the app too
