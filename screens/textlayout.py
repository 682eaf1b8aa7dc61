"""Chinese line breaking for every Label.

Kivy wraps a run of text without spaces at whatever character reaches the edge, so "。" or
"，" can start a line and "（" end one. `install()` replaces Kivy's core text class with one
that breaks wrapped Chinese text with kiosk.linebreak (the same rules as the printed slips)
before Kivy lays out the lines. Call it from bootstrap, before kivy.uix.label is imported:
that module keeps a reference to the core class. Labels with markup keep Kivy's own layout
(its markup label lays out text itself).
"""

from __future__ import annotations

import sys
from typing import Any

import kivy.core.text
from kivy.core.text import Label as CoreLabel

from kiosk.linebreak import wrap

_WIDTHS: dict[tuple[Any, ...], float] = {}  # (font, size, bold, italic, text) -> px
_WIDTHS_MAX = 50_000


class LineBreakingLabel(CoreLabel):
    def render(self, real: bool = False) -> Any:
        text = self.text
        width = self._text_size[0]
        if real or width is None or text.isascii() or self.options["shorten"]:
            return super().render(real)  # no CJK, or no wrapping asked for: Kivy's layout
        pad = self.options["padding"]
        usable = width - pad[0] - pad[2]
        if usable < 4 * self.options["font_size"]:  # too narrow for rules to help
            return super().render(real)
        self.text = "\n".join(self._wrap(text, usable))
        try:
            return super().render(real)
        finally:
            self.text = text

    def _wrap(self, text: str, usable: float) -> list[str]:
        lines = wrap(text, usable, self._unit_width)
        # Widths were summed per character; the font's own measure of a whole line can be a
        # pixel or two more (rounding, kerning). Narrow until every line truly fits, so Kivy
        # never breaks a line again and leaves one character on a line of its own.
        for _ in range(3):
            over = max(self.get_extents(line)[0] for line in lines) - usable
            if over <= 0:
                break
            lines = wrap(text, usable - over - 1, self._unit_width)
        return lines

    def _unit_width(self, unit: str) -> float:
        o = self.options
        key = (o["font_name_r"], o["font_size"], o["bold"], o["italic"], unit)
        width = _WIDTHS.get(key)
        if width is None:
            if len(_WIDTHS) > _WIDTHS_MAX:
                _WIDTHS.clear()
            width = _WIDTHS[key] = self.get_extents(unit)[0]
        return width


def install() -> None:
    if "kivy.uix.label" in sys.modules:
        raise RuntimeError("screens.textlayout.install() must run before kivy.uix.label is imported")
    kivy.core.text.Label = LineBreakingLabel
