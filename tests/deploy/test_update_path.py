"""The whole station update path once, for real: provision.sh --root with a first release →
central publishes and assigns a second → the updater, started with the exact command line of
gig-kiosk-update.service, installs and switches → the app started as gig-kiosk.service says
(its privileged health gate, then `current`) writes its markers and the gate confirms → a third
release that never reaches its first frame crash-loops and the unit's gate rolls it back by
itself, the next start running the second release again.

Every command is read from the units provision.sh installed, with /opt/gig-kiosk and
/etc/gig-kiosk moved under the --root folder. The releases are small real wheels: this
checkout's `gig-kiosk` (update, launch, run --check are the real code) whose `run` is a stand-in
for the Kivy app that writes the health markers through the app's own functions
(kiosk.update.state.mark, as screens/update_hook.py and kiosk/sync.py do), or crashes before
its first frame. 6 s here when the machine is quiet, up to 40 s under load."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import CHECKOUT, checkout_wheel, provision
from tests.update.update_helpers import start_central

STATION = "qh-park"  # a station of the seeded reference server
ROOT_TOKEN = "st-e2e-token-not-printed"

RELEASE_MAIN = '''
import sys
MODE = {mode!r}

def main():
    args = sys.argv[1:]
    if args[:1] == ["run"] and "--check" not in args:
        return app(args)
    from kiosk.cli import main as real  # update, launch, run --check: the real code
    return real(args)

def app(args):
    """Stands in for the Kivy app under systemd: markers as the app writes them."""
    if MODE == "no-frame":
        print("crashed before the first frame", file=sys.stderr)
        return 3
    from kiosk import settings
    from kiosk.update import state
    root = settings.load(args[args.index("--config") + 1]).update.root
    assert state.mark(root, "first_frame") and state.mark(root, "sync_ok")
    print("app ran", sys.prefix)
    return 0
'''


def release_wheel(out: Path, version: str, mode: str = "ok") -> Path:
    """gig_station <version>: this checkout on the shared packages (.pth), and a `gig-kiosk`
    whose `run` behaves per mode."""
    return checkout_wheel(out, version, entry="gig_release_e2e:main",
                          extra={"gig_release_e2e/__init__.py": RELEASE_MAIN.format(mode=mode)})


def unit_commands(unit: Path, key: str, root: Path) -> list[list[str]]:
    """The unit's `key=` command lines, its paths moved under root, systemd's -+ prefixes off
    (the gate runs as root here too: this test runs as root or as the owner of the tree)."""
    out = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            cmd = line.split("=", 1)[1].lstrip("-+!@:")
            cmd = cmd.replace("/opt/gig-kiosk", f"{root}/opt/gig-kiosk")
            out.append(shlex.split(cmd.replace("/etc/gig-kiosk", f"{root}/etc/gig-kiosk")))
    assert out, f"no {key} in {unit}"
    return out


class Station:
    def __init__(self, root: Path) -> None:
        self.root = root
        units = root / "etc/systemd/system"
        self.gate = unit_commands(units / "gig-kiosk.service", "ExecStartPre", root)
        self.app = unit_commands(units / "gig-kiosk.service", "ExecStart", root)[0]
        self.update_cmd = unit_commands(units / "gig-kiosk-update.service", "ExecStart", root)[0]
        caps = [line.split("=", 1)[1] for line in (units / "gig-kiosk-update.service").read_text(
            encoding="utf-8").splitlines() if line.startswith("CapabilityBoundingSet=")]
        self.update_caps = caps[0].split() if caps else []
        self.opt = root / "opt/gig-kiosk"

    def start_app(self) -> subprocess.CompletedProcess:
        """One start of gig-kiosk.service: ExecStartPre (failure ignored, "-"), then ExecStart."""
        for cmd in self.gate:
            subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return subprocess.run(self.app, capture_output=True, text=True, timeout=120)

    def update(self) -> dict:
        """One run of gig-kiosk-update.service (what its timer starts): as root, with only the
        unit's CapabilityBoundingSet and no new privileges (setpriv), when this test is root."""
        cmd = self.update_cmd
        if os.geteuid() == 0 and shutil.which("setpriv"):
            caps = ",".join(f"+{c.removeprefix('CAP_').lower()}" for c in self.update_caps)
            cmd = ["setpriv", f"--bounding-set=-all{',' + caps if caps else ''}", "--inh-caps=-all",
                   "--no-new-privs", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode in (0, 1), proc.stderr  # 1 = refused / rolled back (SuccessExitStatus)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print("update:", out)
        return out

    def current(self) -> str:
        return os.readlink(self.opt / "current")


@pytest.fixture
def central(tmp_path: Path):  # noqa: ANN201
    (tmp_path / "central").mkdir()
    c, stop = start_central(tmp_path / "central")
    yield c
    stop()
    c.engine.dispose()


def test_provisioned_station_updates_and_rolls_back_a_crash_loop_by_itself(
        tmp_path: Path, central) -> None:  # noqa: ANN001
    started = time.monotonic()
    root = tmp_path / "station"
    root.mkdir()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "root.json").write_bytes(central.root_json())
    (inputs / "token").write_text(ROOT_TOKEN + "\n", encoding="utf-8")
    restarts = tmp_path / "restarts"
    opt = root / "opt/gig-kiosk"
    (inputs / "station.toml").write_text(
        f'[station]\nid = "{STATION}"\n\n[update]\nroot = "{opt}"\n'
        f'repository_url = "{central.url}/tuf/"\ntrusted_root = "{opt}/root.json"\n'
        # what systemctl restart gig-kiosk does is played by start_app below; this records it
        f'restart_command = ["/bin/sh", "-c", "echo restart >> {restarts}"]\n', encoding="utf-8")
    release_wheel(inputs / "bundle", "1.0")
    proc = provision("--bundle", inputs / "bundle", "--config", inputs / "station.toml",
                     "--token-file", inputs / "token", "--tuf-root", inputs / "root.json",
                     "--root", root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "enable gig-kiosk-update.timer" in proc.stdout
    station = Station(root)
    assert station.current() == "releases/1.0"
    first = station.start_app()
    assert first.returncode == 0 and "app ran" in first.stdout, first.stderr

    # Central publishes 2.0 and assigns it to this station (the canary).
    central.publish("2.0", [release_wheel(tmp_path / "w2", "2.0")])
    central.assign("2.0", station=STATION)
    out = station.update()
    assert (out["status"], out["version"]) == ("installed", "2.0"), out
    assert station.current() == "releases/2.0"
    assert os.readlink(opt / "previous") == "releases/1.0"
    assert restarts.read_text().count("restart") == 1
    # systemd restarts the unit: the gate counts the start, 2.0 writes its markers.
    second = station.start_app()
    assert second.returncode == 0 and "releases/2.0" in second.stdout, second.stderr
    assert (opt / "health/2.0.first_frame").exists() and (opt / "health/2.0.sync_ok").exists()
    # The next timer run confirms it (health gate passed) and finds nothing newer.
    assert station.update()["status"] == "up-to-date"
    assert json.loads((opt / "state.json").read_text())["pending"] is None

    # 3.0 never reaches its first frame: systemd restarts it (Restart=always), the third start
    # within 2 min rolls back in the unit's gate, and that same start runs 2.0 again.
    central.publish("3.0", [release_wheel(tmp_path / "w3", "3.0", mode="no-frame")])
    central.assign("3.0", station=STATION)
    assert station.update()["version"] == "3.0"
    assert station.current() == "releases/3.0"
    runs = [station.start_app() for _ in range(3)]
    assert [r.returncode for r in runs] == [3, 3, 0], [r.stderr for r in runs]
    assert "releases/2.0" in runs[2].stdout
    assert station.current() == "releases/2.0"
    doc = json.loads((opt / "state.json").read_text())
    assert doc["last_failure"]["version"] == "3.0" and "crash loop" in doc["last_failure"]["reason"]
    # The heartbeat reports it; the timer never installs 3.0 again.
    again = station.update()
    assert again["status"] == "refused" and "failed before" in again["reason"], again
    assert station.current() == "releases/2.0"
    assert ROOT_TOKEN not in proc.stdout + proc.stderr
    print(f"whole update path: {time.monotonic() - started:.1f} s")


def test_the_unit_gate_falls_back_to_the_previous_release(tmp_path: Path) -> None:
    """A new release whose own `gig-kiosk launch` cannot even start: the gate of `previous`
    (the last good release) counts the start instead, so the crash loop still rolls back."""
    unit = (CHECKOUT / "deploy/systemd/gig-kiosk.service").read_text(encoding="utf-8")
    pre = [line for line in unit.splitlines() if line.startswith("ExecStartPre=")]
    assert len(pre) == 1 and pre[0].startswith("ExecStartPre=-+/bin/sh -c ")
    opt = tmp_path / "opt/gig-kiosk"
    for version, body in (("1.0", 'echo "gate 1.0 $*"'), ("2.0", "exit 127")):
        (opt / "releases" / version / "bin").mkdir(parents=True)
        exe = opt / "releases" / version / "bin/gig-kiosk"
        exe.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        exe.chmod(0o755)
    os.symlink("releases/2.0", opt / "current")
    os.symlink("releases/1.0", opt / "previous")
    script = shlex.split(pre[0].split("=", 1)[1].lstrip("-+"))
    script = [s.replace("/opt/gig-kiosk", str(opt)) for s in script]
    proc = subprocess.run(script, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "gate 1.0 launch --gate-only --config /etc/gig-kiosk/station.toml"
