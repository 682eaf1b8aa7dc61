"""`gig-kiosk demo`: the kiosk in a window, on simulated devices and demo data."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from screens.commands.common import run_app, setup_logging


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help="draw the first frame and exit 0")
    parser.add_argument("--data-dir", type=Path, help="keep demo state here (default: temporary)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--elderly", action="store_true", help="start in large-text mode")
    parser.add_argument("--size", default="720x1280", help="window size WxH (portrait kiosk)")


def run(args: argparse.Namespace) -> int:
    setup_logging()
    width, height = (int(x) for x in args.size.split("x"))
    from screens import bootstrap

    bootstrap.configure(width=width, height=height, fullscreen=False, kiosk=False, density=1)
    from screens.app import GigKioskApp
    from screens.demo_setup import build_demo_services

    with tempfile.TemporaryDirectory(prefix="gig-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        services = build_demo_services(data_dir, lang=args.lang, elderly=args.elderly, smoke=args.smoke)
        app = GigKioskApp(services, demo=True)
        return run_app(app, smoke=args.smoke)
