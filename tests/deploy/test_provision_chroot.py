"""provision.sh for real (not --root) in a clean Debian 12 chroot made by debootstrap.

Slow (minutes) and it downloads Debian packages from the configured mirror, so it is skipped
unless GIG_CHROOT_BASE names a debootstrapped bookworm folder (copied, never modified):
  debootstrap --variant=minbase bookworm /var/tmp/bookworm http://deb.debian.org/debian
  GIG_CHROOT_BASE=/var/tmp/bookworm pytest tests/deploy/test_provision_chroot.py
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.deploy.conftest import PROVISION, TOKEN, checkout_wheel

BASE = os.environ.get("GIG_CHROOT_BASE", "")
pytestmark = pytest.mark.skipif(not BASE or os.geteuid() != 0,
                                reason="slow, needs root and a mirror: set GIG_CHROOT_BASE")


def test_provision_in_a_clean_debian_chroot_then_nothing_to_change() -> None:
    work = Path(tempfile.mkdtemp(prefix="gig-chroot-", dir="/var/tmp"))
    tree = work / "tree"
    inputs = Path(tempfile.mkdtemp(prefix="gig-chroot-in-", dir="/var/tmp"))
    mounts: list[Path] = []
    try:
        subprocess.run(["cp", "-a", BASE, str(tree)], check=True)
        shutil.copy("/etc/resolv.conf", tree / "etc/resolv.conf")
        # The station's paths inside the chroot: /proc, /sys, /dev as on a booted machine, and
        # /work (this checkout and the environment the test release runs on) read-only.
        for src, opts in (("/proc", []), ("/sys", []), ("/dev", []), ("/work", ["-o", "ro"]),
                          (str(inputs), [])):
            target = tree / src.lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", *opts, src, str(target)], check=True)
            mounts.append(target)
            if opts:
                subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        checkout_wheel(inputs / "bundle", "1.4.0")
        (inputs / "station.toml").write_text('[station]\nid = "lake-market"\n', encoding="utf-8")
        (inputs / "token").write_text(TOKEN + "\n", encoding="utf-8")
        (inputs / "root.json").write_text("{}\n", encoding="utf-8")
        cmd = ["chroot", str(tree), "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
               "bash", str(PROVISION), "--python", "/usr/bin/python3", "--bundle", f"{inputs}/bundle",
               "--config", f"{inputs}/station.toml", "--token-file", f"{inputs}/token",
               "--tuf-root", f"{inputs}/root.json"]
        # python3 is not in minbase: the first run installs it (and everything) with apt.
        first = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        assert first.returncode == 0, first.stdout + first.stderr
        assert TOKEN not in first.stdout + first.stderr
        out = first.stdout
        for change in ("changed: apt-get install", "changed: create user kiosk (groups dialout lp video)",
                       "changed: install release 1.4.0", "changed: enable gig-kiosk.service",
                       "changed: enable gig-kiosk-x.service", "changed: enable gig-kiosk-update.timer",
                       "skipped: daemon-reload, journald restart, udev reload: systemd is not running here"):
            assert change in out, out

        def inside(*args: str) -> str:
            return subprocess.run(["chroot", str(tree), *args], capture_output=True, text=True,
                                  check=True).stdout.strip()

        assert set(inside("id", "-nG", "kiosk").split()) >= {"kiosk", "dialout", "lp", "video"}
        assert inside("stat", "-c", "%a %U:%G", "/etc/gig-kiosk/station.token") == "600 kiosk:kiosk"
        assert inside("stat", "-c", "%a %U:%G", "/etc/gig-kiosk/station.toml") == "640 root:kiosk"
        # Debian's own defaults already: provision.sh checked them and had nothing to change.
        assert inside("systemctl", "get-default") == "graphical.target"
        assert inside("systemctl", "is-enabled", "systemd-timesyncd.service") == "enabled"
        for unit in ("gig-kiosk.service", "gig-kiosk-x.service", "gig-kiosk-update.timer"):
            assert inside("systemctl", "is-enabled", unit) == "enabled"
        # the update service is started by its timer only; the app writes only health/
        assert inside("systemctl", "is-enabled", "gig-kiosk-update.service") == "static"
        assert inside("stat", "-c", "%a %U:%G", "/opt/gig-kiosk/health") == "755 kiosk:kiosk"
        assert inside("stat", "-c", "%a %U:%G", "/opt/gig-kiosk/releases") == "755 root:root"
        assert inside("dpkg-query", "-W", "-f=${Status}", "xinit") == "install ok installed"
        # The release runs inside the station's own Python (Debian's 3.11).
        assert inside("/opt/gig-kiosk/current/bin/gig-kiosk", "run", "--config",
                      "/etc/gig-kiosk/station.toml", "--check") == "/etc/gig-kiosk/station.toml: ok"
        assert inside("readlink", "/opt/gig-kiosk/current") == "releases/1.4.0"

        second = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stderr
        assert "changed:" not in second.stdout
        assert second.stdout.strip().endswith("provision: nothing to change")
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", str(target)], check=False)
        # Never delete through a bind mount that is still there (/dev, /work are the host's).
        still = [t for t in mounts if os.path.ismount(t)]
        if still:
            pytest.fail(f"still mounted, {work} left in place: {still}")
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(inputs, ignore_errors=True)
