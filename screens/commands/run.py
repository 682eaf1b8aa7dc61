"""`gig-kiosk run --config FILE`: production mode on real devices, full-screen kiosk."""

from __future__ import annotations

import argparse
from pathlib import Path

from screens.commands.common import add_smoke_option, load_settings_or_exit, run_app, setup_logging


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="station TOML (deploy/kiosk.example.toml)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")
    add_smoke_option(parser)


def run(args: argparse.Namespace) -> int:
    # Validated before any window opens: a bad file exits 2 and never shows a half-started kiosk.
    settings = load_settings_or_exit(args.config)
    if args.check:
        print(f"{args.config}: ok")
        return 0
    setup_logging()
    from kiosk.logbundle import install_file_log

    install_file_log(settings.storage.data_dir / "logs")  # masked; what a remote upload_logs sends
    from screens import bootstrap

    ui = settings.ui
    bootstrap.configure(width=ui.width, height=ui.height, fullscreen=ui.fullscreen, kiosk=True)
    from screens.app import GigKioskApp
    from screens.production import build_services
    from screens.services import Opening

    # The devices (OpenCV, the printer library, serial ports) are opened in the frame after the
    # attract screen is first drawn.
    opening = Opening(ui.language, ui.elderly_mode, settings.station.name, settings.station.name_en)
    app = GigKioskApp(lambda: build_services(settings), demo=False, opening=opening)
    return run_app(app, smoke=args.smoke)
