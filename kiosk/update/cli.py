"""`gig-kiosk update --once --config FILE` and `gig-kiosk launch --config FILE`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--once", action="store_true", help="one check (the only mode)")
    parser.add_argument("--now", default=None, help="ISO time for the install window (tests)")
    parser.add_argument("--force", action="store_true", help="install even while in use")
    parser.add_argument("--from-dir", type=Path, default=None,
                        help="read the signed repository from this directory (USB stick)")


def _settings(path: Path):  # noqa: ANN202
    from kiosk import settings as settings_mod

    try:
        return settings_mod.load(path)
    except settings_mod.SettingsError as exc:
        print(f"gig-kiosk: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _hours(settings) -> str | None:  # noqa: ANN001
    """Opening hours from the applied remote config; None (idle time decides) without one."""
    if not Path(settings.storage.data_dir).is_dir():  # never create the app's folder here
        return None
    try:
        from kiosk.remote_config import RemoteConfig

        return RemoteConfig(settings).current.opening_hours
    except Exception:  # no applied config yet: idle time alone decides
        return None


def run(args: argparse.Namespace) -> int:
    from kiosk.update.updater import Source, run_once

    settings = _settings(args.config)
    up = settings.update
    if not up.root:
        print(json.dumps({"status": "refused", "version": None,
                          "reason": "updates are off: no [update] root"}))
        return 2
    root = Path(up.root)
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now().astimezone()
    stick = args.from_dir or (Path(up.usb_dir) if up.usb_dir else None)
    if stick is None and not up.repository_url:
        print(json.dumps({"status": "refused", "version": None,
                          "reason": "no [update] repository_url or usb_dir"}))
        return 2
    outcome = run_once(
        root, settings.station.id, Path(up.trusted_root) if up.trusted_root else root / "root.json",
        Source(up.repository_url, stick), now=now, hours=_hours(settings),
        idle_minutes=up.idle_minutes, deadline_s=up.health_deadline_s, force=args.force,
        restart=up.restart_command or None)
    print(json.dumps(outcome.as_dict(), ensure_ascii=False))
    return 0 if outcome.status in ("installed", "up-to-date") else 1


def configure_launch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--gate-only", action="store_true",
                        help="count the start and apply the health gate, then exit 0 without "
                             "starting the app (the unit's privileged ExecStartPre)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to `gig-kiosk run`")


def run_launch(args: argparse.Namespace) -> int:
    """Counts the start, rolls back a crash-looping or overdue new release, then becomes
    `<root>/current/bin/gig-kiosk run --config FILE` (exec: same pid for systemd).
    With --gate-only it stops after the gate: gig-kiosk.service runs that as root before
    starting `current` as the kiosk user, who cannot write the releases folder."""
    import time

    from kiosk.update import health

    settings = _settings(args.config)
    root = Path(settings.update.root) if settings.update.root else None
    if root is not None:
        now = time.time()
        health.record_start(root, now)
        outcome = health.check(root, now)
        if outcome is not None and outcome["status"] == "rolled-back":
            print(json.dumps(outcome), file=sys.stderr)
        exe = root / "current" / "bin" / "gig-kiosk"
    else:
        exe = Path(sys.prefix) / "bin" / "gig-kiosk"
    if args.gate_only:  # never the app here: this may be root, before the unit's own start
        return 0
    argv = [str(exe), "run", "--config", str(args.config), *args.args]
    os.execv(argv[0], argv)
    return 1  # not reached
