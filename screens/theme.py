"""Sizes and colours, switched live between normal and elderly mode.

Numbers from the accessibility rules in DESIGN.md: touch targets >= 44 dp (60 dp elderly),
body text >= 18 dp, largest text >= 30 dp, contrast >= 4.5:1 (checked by tests/ui/test_contrast.py).
"""

from __future__ import annotations

from pathlib import Path

from kivy.event import EventDispatcher
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty

ICONS = Path(__file__).resolve().parent.parent / "assets" / "icons"  # pictograms (make_icons.py)
# RGBA, 0..1. Dark text on light surfaces; every pair used for text is >= 4.5:1.
COLORS = {
    "bg": (0.969, 0.965, 0.949, 1),  # warm off-white
    "surface": (1, 1, 1, 1),
    "text": (0.102, 0.114, 0.125, 1),  # near black
    "muted": (0.310, 0.337, 0.365, 1),  # secondary text, still >= 4.5:1 on bg
    "primary": (0.0, 0.384, 0.278, 1),  # deep green, white text on it
    "on_primary": (1, 1, 1, 1),
    "accent": (0.706, 0.196, 0.0, 1),  # dark orange for 日结 badges, white text on it
    "chip": (0.878, 0.910, 0.894, 1),
    "chip_on": (0.0, 0.384, 0.278, 1),
    "danger": (0.706, 0.078, 0.118, 1),
    "line": (0.800, 0.800, 0.780, 1),
    "banner": (1.0, 0.949, 0.800, 1),
    # States (issue 18 item 9; tests/ui/test_contrast_states.py measures every pair below).
    "primary_down": (0.0, 0.27, 0.19, 1),  # a pressed green button: darker, white text stays 11:1
    "disabled_bg": (0.86, 0.86, 0.85, 1),  # grey, not green: an unavailable button looks it
    "disabled_text": (0.30, 0.30, 0.30, 1),  # still readable (6:1), so people know what it is
    "disabled_edge": (0.45, 0.45, 0.45, 1),
    "chip_edge": (0.40, 0.45, 0.43, 1),  # an unselected chip's outline, >= 3:1 on bg and surface
}


def button_style(primary: bool, state: str, disabled: bool) -> tuple[tuple[float, ...], ...]:
    """(background, text, edge) of a KButton; edge alpha 0 = none."""
    c, none = COLORS, (0, 0, 0, 0)
    if disabled:
        return c["disabled_bg"], c["disabled_text"], c["disabled_edge"]
    if primary:
        return (c["primary"] if state == "normal" else c["primary_down"]), c["on_primary"], none
    return (c["surface"] if state == "normal" else c["chip"]), c["text"], c["primary"]


def chip_style(selected: bool, state: str) -> tuple[tuple[float, ...], ...]:
    """(background, text, edge) of a filter chip."""
    c = COLORS
    if state != "normal":
        return c["primary_down"], c["on_primary"], c["primary_down"]
    if selected:
        return c["chip_on"], c["on_primary"], c["chip_on"]
    return c["chip"], c["text"], c["chip_edge"]


class Theme(EventDispatcher):
    elderly = BooleanProperty(False)
    small = NumericProperty(0)
    body = NumericProperty(0)
    title = NumericProperty(0)
    huge = NumericProperty(0)
    touch = NumericProperty(0)  # minimum touch target edge
    button_h = NumericProperty(0)
    row_h = NumericProperty(0)
    pad = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.colors = COLORS
        self.bind(elderly=lambda *_: self._apply())
        self._apply()

    def _apply(self) -> None:
        if self.elderly:
            self.small, self.body, self.title, self.huge = dp(22), dp(26), dp(34), dp(46)
            self.touch, self.button_h, self.row_h, self.pad = dp(64), dp(88), dp(190), dp(20)
        else:
            self.small, self.body, self.title, self.huge = dp(18), dp(21), dp(28), dp(38)
            self.touch, self.button_h, self.row_h, self.pad = dp(48), dp(72), dp(150), dp(16)
