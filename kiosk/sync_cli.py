"""`gig-kiosk sync --once --config FILE`: one full sync cycle, then a JSON summary.

    {"jobs": {"added", "updated", "deleted", "total"}, "policies": {...},
     "config": {"status": "applied"|"unchanged"|"rejected", "version"},
     "outbox": {"sent", "pending"}}

Exit 0 on success; 1 when the API failed (the reason, no personal data, on stderr; what
completed before stays applied); 2 on a settings problem.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kiosk import settings as settings_mod


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="station TOML file")
    parser.add_argument("--once", action="store_true",
                        help="run one cycle and exit (the only mode; the kiosk app syncs itself)")
    parser.add_argument("--no-heartbeat", action="store_true", help="skip the heartbeat")


def one_cycle(settings: settings_mod.Settings, heartbeat: bool = True) -> dict:
    """One full sync cycle with the station's own cache, outbox and config state; raises
    kiosk.api.ApiError when the API failed (what completed before stays applied)."""
    from kiosk.api import ApiClient
    from kiosk.outbox import Outbox
    from kiosk.remote_config import RemoteConfig
    from kiosk.stats import StatsCounter
    from kiosk.store import Store
    from kiosk.sync import SyncWorker

    data_dir = settings.storage.data_dir
    api = ApiClient(settings.api)
    worker = SyncWorker(settings, Store(data_dir / "cache.db"), Outbox.from_settings(settings), api,
                        RemoteConfig(settings, data_dir), device_health=dict,
                        stats=StatsCounter.in_dir(data_dir))  # the running kiosk's counts too
    try:
        return worker.run_cycle(heartbeat=heartbeat).as_dict()
    finally:
        api.close()


def run(args: argparse.Namespace) -> int:
    from kiosk.api import ApiError
    from kiosk.privacy import install_log_filter

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_filter()
    if not args.once:
        print("gig-kiosk sync: only --once is supported here", file=sys.stderr)
        return 2
    try:
        settings = settings_mod.load(args.config)
    except settings_mod.SettingsError as exc:
        print(f"gig-kiosk sync: {exc}", file=sys.stderr)
        return 2
    if not settings.api.base_url:
        print("gig-kiosk sync: [api] base_url is not set", file=sys.stderr)
        return 2
    try:
        report = one_cycle(settings, heartbeat=not args.no_heartbeat)
    except ApiError as exc:
        print(f"gig-kiosk sync: {type(exc).__name__}: {exc.detail}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False))
    return 0
