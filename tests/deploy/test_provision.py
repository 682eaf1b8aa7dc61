"""deploy/provision.sh: shellcheck, systemd-analyze verify, --dry-run, --root twice (idempotent)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import CHECKOUT, TOKEN, args_for, provision

DEPLOY = CHECKOUT / "deploy"


def _shell_scripts() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*")
                  if p.is_file() and p.read_bytes().startswith(b"#!/usr/bin/env bash"))


def test_every_deploy_script_is_shellcheck_clean() -> None:
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is missing: deploy/setup-system.sh --test installs it")
    scripts = _shell_scripts()
    assert {"provision.sh", "setup-system.sh", "kiosk-session"} <= {p.name for p in scripts}
    proc = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under root with its kind, mode, owner and content (or link target)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        if p.is_symlink():
            out[str(p)] = ("link", os.readlink(p))
        elif p.is_file():
            out[str(p)] = ("file", oct(st.st_mode), st.st_uid, st.st_gid, st.st_mtime_ns, p.read_bytes())
        else:
            out[str(p)] = ("dir", oct(st.st_mode), st.st_uid, st.st_gid)
    return out


def test_dry_run_lists_every_change_and_makes_none(tmp_path: Path, inputs: dict[str, Path]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    proc = provision(*args_for(inputs), "--root", root, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert list(root.iterdir()) == []  # nothing made
    assert TOKEN not in out + proc.stderr
    for change in [
        "would: install release 1.4.0 into /opt/gig-kiosk/releases/1.4.0",
        "would: point /opt/gig-kiosk/current at releases/1.4.0",
        "would: write /opt/gig-kiosk/root.json (0644 root:root)",
        "would: write /etc/gig-kiosk/station.toml (0640 root:kiosk",
        "would: write /etc/gig-kiosk/station.token (0600 kiosk:kiosk",
        "would: create /etc/gig-kiosk/outbox.key (32 random bytes, 0600 root:root)",
        "would: write /etc/udev/rules.d/60-gig-station-printer.rules",
        "would: write /etc/udev/rules.d/61-gig-station-idcard.rules",
        "would: write /usr/local/lib/gig-kiosk/kiosk-session (0755 root:root)",
        "would: write /etc/systemd/system/gig-kiosk.service",
        "would: write /etc/systemd/system/gig-kiosk-x.service",
        "would: write /etc/systemd/journald.conf.d/gig-kiosk.conf",
        "would: enable gig-kiosk.service",
        "would: enable gig-kiosk-x.service",
        "would: create folder /opt/gig-kiosk/health (0755 kiosk:kiosk",
        "would: write /etc/systemd/system/gig-kiosk-update.service (0644 root:root)",
        "would: write /etc/systemd/system/gig-kiosk-update.timer (0644 root:root)",
        "would: enable gig-kiosk-update.timer",
        # what needs the real machine is named, not silently left out
        "skipped: apt packages (deploy/setup-system.sh --station)",
        "skipped: user kiosk (groups dialout lp video)",
    ]:
        assert change in out, f"{change!r} missing from:\n{out}"
    assert out.strip().endswith("changes would be made")


def test_root_install_then_a_second_run_changes_nothing(tmp_path: Path, inputs: dict[str, Path]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    first = provision(*args_for(inputs), "--root", root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert TOKEN not in first.stdout + first.stderr
    opt = root / "opt/gig-kiosk"
    assert os.readlink(opt / "current") == "releases/1.4.0"  # relative, as the updater makes it
    assert (opt / "releases/1.4.0/.complete").exists()
    assert (opt / "root.json").read_bytes() == inputs["tuf_root"].read_bytes()
    etc = root / "etc/gig-kiosk"
    assert (etc / "station.token").read_text() == TOKEN + "\n"
    modes = {name: oct((etc / name).stat().st_mode & 0o777) for name in ("station.toml", "station.token", "outbox.key")}
    assert modes == {"station.toml": "0o640", "station.token": "0o600", "outbox.key": "0o600"}
    assert oct(etc.stat().st_mode & 0o777) == "0o750"
    assert len((etc / "outbox.key").read_bytes()) == 32
    wants = root / "etc/systemd/system/graphical.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == ["gig-kiosk-x.service", "gig-kiosk.service"]
    timers = root / "etc/systemd/system/timers.target.wants"
    assert [p.name for p in timers.iterdir()] == ["gig-kiosk-update.timer"]
    assert "would: enable gig-kiosk-update.service" not in first.stdout  # its timer starts it
    # The app writes only its health folder; the releases and `current` stay root's.
    assert oct((opt / "health").stat().st_mode & 0o777) == "0o755"
    # The installed release runs and accepts the station file.
    check = subprocess.run([opt / "current/bin/gig-kiosk", "run", "--config", etc / "station.toml", "--check"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr

    before = _tree(root)
    second = provision(*args_for(inputs), "--root", root)
    assert second.returncode == 0, second.stderr
    assert "changed:" not in second.stdout
    assert second.stdout.strip().endswith("provision: nothing to change")
    assert _tree(root) == before  # not one byte, mode or time stamp touched

    # A changed token is the one thing rewritten; the outbox key is never replaced.
    inputs["token"].write_text("st-rotated\n", encoding="utf-8")
    third = provision(*args_for(inputs), "--root", root)
    changed = [line for line in third.stdout.splitlines() if line.startswith("changed:")]
    assert len(changed) == 1 and changed[0].startswith("changed: write /etc/gig-kiosk/station.token")
    assert (etc / "outbox.key").read_bytes() == before[str(etc / "outbox.key")][5]


def test_token_from_stdin_never_in_the_output(tmp_path: Path, inputs: dict[str, Path]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    args = args_for(inputs)
    args[args.index("--token-file") + 1] = "-"
    proc = provision(*args, "--root", root, stdin=TOKEN + "\n")
    assert proc.returncode == 0, proc.stderr
    assert (root / "etc/gig-kiosk/station.token").read_text() == TOKEN + "\n"
    assert TOKEN not in proc.stdout + proc.stderr


def test_a_station_file_the_release_refuses_stops_before_it_is_installed(
        tmp_path: Path, inputs: dict[str, Path]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    inputs["config"].write_text("[ui]\nidle_timeout_s = 2\n", encoding="utf-8")
    proc = provision(*args_for(inputs), "--root", root)
    assert proc.returncode == 2
    assert "ui.idle_timeout_s" in proc.stderr
    assert not (root / "etc/gig-kiosk/station.toml").exists()


def test_units_pass_systemd_analyze_verify(tmp_path: Path, inputs: dict[str, Path]) -> None:
    """Verified where they are installed: in a provisioned tree that also holds the Debian base
    units and xinit (copied from this machine), so every dependency and command resolves."""
    if not Path("/usr/bin/xinit").exists():
        pytest.fail("xinit is missing: deploy/setup-system.sh --station installs it")
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    shutil.copy2("/usr/bin/xinit", root / "usr/bin/xinit")
    proc = provision(*args_for(inputs), "--root", root)
    assert proc.returncode == 0, proc.stderr
    units = [f"/etc/systemd/system/{u}" for u in (
        "gig-kiosk.service", "gig-kiosk-x.service", "gig-kiosk-update.service", "gig-kiosk-update.timer")]
    verify = subprocess.run(["systemd-analyze", f"--root={root}", "verify", *units],
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr.strip() == "" and verify.stdout.strip() == ""  # not even a warning
