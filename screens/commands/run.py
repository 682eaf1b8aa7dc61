"""`gig-kiosk run --config FILE`: production mode on real devices, full-screen kiosk."""

from __future__ import annotations

import argparse
from pathlib import Path

from screens.commands.common import load_settings_or_exit, run_app, setup_logging


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="station TOML (deploy/kiosk.example.toml)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")
    parser.add_argument("--smoke", action="store_true", help="draw the first frame and exit 0")


def run(args: argparse.Namespace) -> int:
    settings = load_settings_or_exit(args.config)
    if args.check:
        print(f"{args.config}: ok")
        return 0
    setup_logging()
    from screens import bootstrap

    ui = settings.ui
    bootstrap.configure(width=ui.width, height=ui.height, fullscreen=ui.fullscreen, kiosk=True)
    from screens.app import GigKioskApp
    from screens.production import build_services

    services = build_services(settings)
    return run_app(GigKioskApp(services, demo=False), smoke=args.smoke)
