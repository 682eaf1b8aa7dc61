"""Start-up shared by the demo, run and shots commands."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from kiosk.privacy import install_log_filter
from kiosk.settings import Settings, SettingsError, load


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_filter()


def load_settings_or_exit(path: Path) -> Settings:
    try:
        return load(path)
    except SettingsError as exc:
        print(f"gig-kiosk: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def run_app(app: object, smoke: bool = False, screenshot: Path | None = None) -> int:
    """Run the Kivy app; with smoke, stop after the first frame has been drawn."""
    if smoke or screenshot:
        from kivy.core.window import Window

        def first_frame(*_args: object) -> None:
            # Stop as soon as the first frame is on the glass, before another is drawn.
            Window.unbind(on_flip=first_frame)
            if screenshot:
                Window.screenshot(str(screenshot))
            app.stop()

        Window.bind(on_flip=first_frame)
    app.run()
    return 0
