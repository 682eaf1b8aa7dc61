"""One update run: health gate of the last switch, then TUF refresh, assignment, download of
missing wheels, install into releases/<version>/ (own venv, pip --no-index), atomic switch.

Every step before the switch works beside the running release, so a kill or power cut at
any point leaves `current` on a complete release: an unfinished release dir (no `.complete`)
is wiped and redone next time; the switch itself is one rename(2).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from tuf.api import exceptions as tuf_errors
from tuf.ngclient import Updater, UpdaterConfig

from kiosk.update import health, hooks, policy, state, switch
from kiosk.update.fetcher import BASE, DirectoryFetcher


@dataclass
class Outcome:
    status: str  # installed | up-to-date | refused | rolled-back
    version: str | None
    reason: str = ""
    downloaded_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "version": self.version, "reason": self.reason,
                "downloaded_bytes": self.downloaded_bytes, **self.extra}


@dataclass
class Source:
    """Where the signed repository comes from: a URL (…/tuf/) or a directory (USB stick)."""

    url: str = ""
    directory: Path | None = None


def _updater(root: Path, trusted_root: Path, source: Source) -> Updater:
    meta = root / "tuf"
    meta.mkdir(parents=True, exist_ok=True)
    if not (meta / "root.json").exists():  # first run: start from the pinned root
        state.write_atomic(meta / "root.json", trusted_root.read_bytes())
    if source.directory is not None:
        base, fetcher = BASE, DirectoryFetcher(source.directory)
    else:
        base, fetcher = source.url.rstrip("/") + "/", None
    (root / "wheels").mkdir(exist_ok=True)
    return Updater(str(meta), base + "metadata/", str(root / "wheels"), base + "targets/",
                   fetcher=fetcher, config=UpdaterConfig(max_root_rotations=32), bootstrap=None)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _fetch_json(up: Updater, path: str, dest: Path) -> dict[str, Any] | None:
    info = up.get_targetinfo(path)
    if info is None:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    local = up.download_target(info, str(dest))
    return json.loads(Path(local).read_bytes())


def _install(root: Path, version: str, wheels: list[Path], python: str) -> None:
    target = switch.release_dir(root, version)
    if target.exists():
        shutil.rmtree(target)  # an unfinished attempt (no .complete): start over
    target.parent.mkdir(parents=True, exist_ok=True)
    # Created at its final path: a venv is not relocatable (scripts carry absolute paths).
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(target)
    hooks.pause("venv")
    # The running pip installs into the new venv (pip --python), so the new venv needs no
    # pip of its own to be made; the bundle carries pip for the next update.
    proc = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", "--python", str(target / "bin" / "python"),
         "install", "--no-index", "--no-deps", "--no-compile", "-q", *map(str, wheels)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install failed: {proc.stderr.strip()[-500:]}")
    hooks.pause("unpack")
    if not (target / "bin" / "gig-kiosk").exists():
        raise RuntimeError("the release has no gig-kiosk command")
    # Every installed file on disk before .complete says so (a power cut may otherwise keep
    # the marker and lose file contents).
    state.syncfs(target)
    state.write_atomic(target / switch.COMPLETE, version.encode())


def _prune(root: Path, keep: set[str]) -> None:
    releases = root / "releases"
    for child in releases.iterdir() if releases.is_dir() else []:
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def run_once(root: Path, station_id: str, trusted_root: Path, source: Source, *,
             now: dt.datetime, hours: str | None = None, idle_minutes: int = 15,
             deadline_s: int = 600, force: bool = False, python: str = sys.executable,
             restart: list[str] | None = None) -> Outcome:
    """One check; never two at once (the timer and a maintainer's manual run): the second
    is refused while the first holds <root>/.lock (released by the kernel if killed)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return Outcome("refused", switch.target(root, "current"), "another update is running")
        return _run_locked(root, station_id, trusted_root, source, now=now, hours=hours,
                           idle_minutes=idle_minutes, deadline_s=deadline_s, force=force,
                           python=python, restart=restart)


def _run_locked(root: Path, station_id: str, trusted_root: Path, source: Source, *,
                now: dt.datetime, hours: str | None, idle_minutes: int, deadline_s: int,
                force: bool, python: str, restart: list[str] | None) -> Outcome:
    stamp = now.timestamp()
    gate = health.check(root, stamp)
    if gate is not None and gate["status"] == "rolled-back":
        if restart:  # the failed release may still be running: start the previous one
            subprocess.run(restart, check=False)
        return Outcome("rolled-back", gate["version"], gate["reason"])
    if gate is not None and gate["status"] == "waiting":
        return Outcome("refused", gate["version"], f"health check pending: {gate['reason']}")
    running = switch.target(root, "current")
    try:
        up = _updater(root, trusted_root, source)
        up.refresh()
        assigned = _fetch_json(up, f"stations/{station_id}.json", root / "downloads" / "station.json")
    except (tuf_errors.RepositoryError, tuf_errors.DownloadError, OSError, ValueError) as exc:
        return Outcome("refused", running, f"repository: {type(exc).__name__}: {exc}"[:400])
    if not assigned or assigned.get("station") != station_id or not isinstance(assigned.get("version"), str):
        return Outcome("up-to-date", running, "no release assigned to this station")
    version = assigned["version"]
    new_v = _version(version)
    if new_v is None or "/" in version or version.startswith("."):
        return Outcome("refused", running, f"bad version {version!r}")
    if version == running:
        return Outcome("up-to-date", running, "")
    if running and (old_v := _version(running)) is not None and new_v < old_v:
        return Outcome("refused", running, f"{version} is older than the running {running}")
    failed = state.load(root)["failed"].get(version)
    if failed:
        return Outcome("refused", running, f"{version} failed before: {failed['reason']}")
    if not force:
        act = state.read_activity(root)
        ok, why = policy.may_install(now, hours, policy.Activity(
            bool(act.get("visit_active")), act.get("last_touch")), idle_minutes)
        if not ok:
            return Outcome("refused", running, f"not now: {why}")
    downloaded = 0
    try:
        manifest = _fetch_json(up, f"releases/{version}/manifest.json",
                               root / "downloads" / "manifest.json")
        if not manifest or manifest.get("version") != version:
            return Outcome("refused", running, f"no signed manifest for {version}")
        wheels = []
        for entry in manifest["wheels"]:
            name = str(entry["file"])
            if "/" in name or not name.endswith(".whl"):
                return Outcome("refused", running, f"bad wheel name {name!r}")
            info = up.get_targetinfo(f"wheels/{name}")
            if info is None or info.hashes.get("sha256") != entry["sha256"]:
                return Outcome("refused", running, f"{name} is not a signed target of {version}")
            path = root / "wheels" / name
            if up.find_cached_target(info, str(path)) is None:  # same sha256 = reuse
                up.download_target(info, str(path))
                downloaded += info.length
                hooks.pause("download")
            wheels.append(path)
    except (tuf_errors.RepositoryError, tuf_errors.DownloadError, OSError, ValueError, KeyError) as exc:
        return Outcome("refused", running, f"download: {type(exc).__name__}: {exc}"[:400],
                       downloaded)
    if not switch.is_complete(root, version):
        try:
            _install(root, version, wheels, python)
        except (RuntimeError, OSError) as exc:
            return Outcome("refused", running, f"install: {exc}"[:400], downloaded)
    health.begin(root, version, running, stamp, deadline_s)
    switch.point(root, "current", version)
    if running:
        switch.point(root, "previous", running)
    _prune(root, {version, *([running] if running else [])})
    if restart:
        subprocess.run(restart, check=False)
    return Outcome("installed", version, f"from {running or 'nothing'}", downloaded)
