"""kill -9 of `gig-kiosk update` at each step (download, venv, unpack, switch) leaves a
runnable release (the old or the new one, never neither), and the next run finishes the job.
The updater stops at a step through GIG_UPDATE_PAUSE_AT (kiosk/update/hooks.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from update_helpers import app, station_config

from kiosk.update import health

STEPS = ["download", "venv", "unpack", "switch"]


@pytest.fixture(scope="module")
def template(tmp_path_factory, central, wheelhouse, dep) -> Path:  # noqa: ANN001
    root = tmp_path_factory.mktemp("template") / "station"
    root.mkdir()
    (root / "root.json").write_bytes(central.root_json())
    central.publish("20.0", [app(wheelhouse, "20.0"), dep])
    central.assign("20.0", station="qh-park")
    config = station_config(root.parent / "station.toml", root, central.url + "/tuf/")
    assert _cli(config).returncode == 0
    _version(root, config)
    assert health.check(root, time.time())["status"] == "confirmed"
    central.publish("20.1", [app(wheelhouse, "20.1"), dep])
    central.assign("20.1", station="qh-park")
    return root


def _cli(config: Path, env: dict | None = None, **kw) -> subprocess.CompletedProcess:  # noqa: ANN003
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "update", "--once", "--config",
                           str(config), "--force"], capture_output=True, text=True, timeout=120,
                          env=env, **kw)


def _version(root: Path, config: Path) -> str:
    proc = subprocess.run([str(root / "current" / "bin" / "gig-kiosk"), "run", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()[1]


@pytest.mark.parametrize("step", STEPS)
def test_kill_at_each_step_leaves_a_runnable_release(step, tmp_path, central, template) -> None:  # noqa: ANN001
    root = tmp_path / "station"
    shutil.copytree(template, root, symlinks=True)
    config = station_config(tmp_path / "station.toml", root, central.url + "/tuf/")
    env = {**os.environ, "GIG_UPDATE_PAUSE_AT": step}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "update", "--once", "--config",
                             str(config), "--force"], stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    assert line.strip() == f"paused at {step}", line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()
    assert _version(root, config) == "20.0"  # the kill came before the rename: still the old one

    out = json.loads(_cli(config).stdout)  # the next run finishes the job
    assert (out["status"], out["version"]) == ("installed", "20.1"), out
    assert _version(root, config) == "20.1"
