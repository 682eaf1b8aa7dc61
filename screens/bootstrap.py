"""Kivy set-up that must happen before any other kivy import (Config, env, fonts).

Call `configure(...)` once, first thing, from a command module; then import screens.app.
"""

from __future__ import annotations

import gc
import os

# The size the screens are laid out for, in dp. Any other screen scales it to fit (a
# 1080x1920 station: density 1.5), so every size shows the same layout, only sharper; never
# 720-sized type on a screen half again as big with a third of it empty.
DESIGN_SIZE = (720, 1280)


def density_for(width: int, height: int) -> float:
    """Kivy's dp for a window of width x height: the design size fits it exactly."""
    return round(min(width / DESIGN_SIZE[0], height / DESIGN_SIZE[1]), 3)


def configure(
    *, width: int, height: int, fullscreen: bool, kiosk: bool, density: float | None = None
) -> None:
    # No garbage collection while tens of thousands of start-up objects are made (it would run
    # dozens of times for nothing); the app freezes them and turns it back on after the first
    # frame (GigKioskApp._first_frame).
    gc.disable()
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # our logging config and masking filter apply
    if density is not None:
        os.environ["KIVY_METRICS_DENSITY"] = str(density)
    else:  # an operator's KIVY_METRICS_DENSITY wins
        os.environ.setdefault("KIVY_METRICS_DENSITY", str(density_for(width, height)))
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if kiosk else "0")
    Config.set("graphics", "show_cursor", "0" if kiosk else "1")
    Config.set("kivy", "exit_on_escape", "0")  # a seeker must never close the kiosk
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red multitouch dots on right-click
    register_fonts()
    from screens import textlayout

    textlayout.install()  # Chinese line breaking for every Label


def register_fonts() -> None:
    """Make the CJK font (its Simplified Chinese face) the default so every Label shows Chinese."""
    from kivy.core.text import LabelBase

    from screens.fonts import sc_font

    regular, bold = sc_font("Regular"), sc_font("Bold")
    if regular is None:
        raise SystemExit("gig-kiosk: no CJK font found; install fonts-noto-cjk (deploy/setup-system.sh)")
    for name in ("Roboto", "CJK"):
        LabelBase.register(name, str(regular), fn_bold=str(bold or regular))
