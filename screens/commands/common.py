"""Start-up shared by the demo, run and shots commands."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.privacy import install_log_filter

if TYPE_CHECKING:
    from kiosk.settings import Settings


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_filter()


def configure_desktop_window(size: str) -> None:
    """Kivy in an ordinary window of `size` ("720x1280"), laid out as on a station of that
    size (bootstrap.density_for): demo and shots."""
    from screens import bootstrap

    width, height = (int(x) for x in size.split("x"))
    bootstrap.configure(width=width, height=height, fullscreen=False, kiosk=False,
                        density=bootstrap.density_for(width, height))


def load_settings_or_exit(path: Path) -> Settings:
    # Imported here: the demo draws its first frame without pydantic.
    from kiosk.settings import SettingsError, load

    try:
        return load(path)
    except SettingsError as exc:
        print(f"gig-kiosk: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


SMOKE_MODES = ("first-frame", "ready")


def add_smoke_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--smoke", nargs="?", const="first-frame", choices=SMOKE_MODES,
        help="exit 0 once the attract screen's first frame is drawn (default), or once the "
             "services are started, every device has answered (ok or why not) and a frame is "
             "drawn after that (ready)",
    )


DEVICES_ANSWER_S = 15.0  # --smoke ready: a device still starting after this is reported as such


def _still_starting(app: Any) -> list[str]:
    """Drivers not past `starting` yet (the reader probing, the printer asked, the camera opening)."""
    services = getattr(app, "services", None)
    return [] if services is None else [name for name, state, _ in services.device_report() if state == "starting"]


def run_app(app: Any, smoke: str | None = None) -> int:
    """Run the Kivy app; with smoke, stop at the first frame or the first frame once ready."""
    if smoke:
        from kivy.core.window import Window

        def stop_on_flip(*_args: object) -> None:
            Window.unbind(on_flip=stop_on_flip)
            app.stop()

        def stop_after_next_frame() -> None:
            Window.bind(on_flip=stop_on_flip)
            Window.canvas.ask_update()  # a flip needs a redraw, and nothing else may ask for one

        def on_ready(*_args: object) -> None:
            # The device threads report within ~0.1 s here; a loaded machine took longer, and a
            # smoke check that stops before them cannot say whether the devices came up.
            from kivy.clock import Clock

            deadline = time.monotonic() + DEVICES_ANSWER_S

            def check(_dt: float) -> bool:
                starting = _still_starting(app)
                if not starting or time.monotonic() > deadline:
                    if starting:
                        logging.getLogger(__name__).warning("--smoke ready: still starting after %g s: %s",
                                                            DEVICES_ANSWER_S, ", ".join(starting))
                    stop_after_next_frame()
                    return False
                return True

            Clock.schedule_interval(check, 0.02)

        if smoke == "ready":
            app.bind(ready=on_ready)
        else:
            Window.bind(on_flip=stop_on_flip)
    from screens import sdnotify_hook

    sdnotify_hook.attach(app)  # READY=1 and watchdog pings under systemd
    from screens import update_hook

    update_hook.attach(app)  # the update health gate's first_frame marker, the install window
    from screens import rest_hook

    rest_hook.attach(app)  # a slower loop while nothing happens, full rate on the first touch
    app.run()
    if getattr(app, "start_error", ""):
        print(f"gig-kiosk: could not start: {app.start_error}", file=sys.stderr)
        return 1
    return int(getattr(app, "exit_code", 0))  # screens.remote_commands.restart sets it
