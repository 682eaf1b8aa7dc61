"""`gig-kiosk demo`: the kiosk in a window, on simulated devices and demo data."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from screens.commands.common import (
    add_smoke_option,
    configure_desktop_window,
    run_app,
    setup_logging,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_smoke_option(parser)
    parser.add_argument("--data-dir", type=Path, help="keep demo state here (default: temporary)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--elderly", action="store_true", help="start in large-text mode")
    parser.add_argument("--size", default="720x1280", help="window size WxH (portrait kiosk)")
    parser.add_argument("--camera-fps", type=float, default=5.0,
                        help="frame rate of the simulated camera (a real one: 30; bench_rest)")


def run(args: argparse.Namespace) -> int:
    setup_logging()
    configure_desktop_window(args.size)
    from screens.app import GigKioskApp
    from screens.demo_setup import build_demo_services, demo_opening

    with tempfile.TemporaryDirectory(prefix="gig-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"  # its outbox key goes in tmp/data-keys
        from kiosk.logbundle import install_file_log

        install_file_log(data_dir / "logs")  # what a remote upload_logs command sends

        def services():  # noqa: ANN202 (called by the app after the first frame)
            # A smoke run stops within a frame or two: no embedded server to start and stop.
            return build_demo_services(data_dir, lang=args.lang, elderly=args.elderly,
                                       embedded_central=not args.smoke, camera_fps=args.camera_fps)

        app = GigKioskApp(services, demo=True, opening=demo_opening(args.lang, args.elderly))
        return run_app(app, smoke=args.smoke)
