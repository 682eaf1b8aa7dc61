"""Line breaking for Chinese text mixed with Latin words and numbers, for paper and screen.

Rules (a light form of the Chinese 避头尾 rules): closing punctuation never starts a line and
opening punctuation never ends one (the character before or after moves along); ASCII words
(numbers, times, phone numbers, URLs) stay whole unless one alone is wider than the line; any
other character may break on its own. Widths come from `measure`: display columns for the
printer (`text_width`), pixels of a font for the screen.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

Measure = Callable[[str], float]

PUNCTUATION: dict[str, str] = json.loads(Path(__file__).with_name("punctuation.json").read_text("utf-8"))
NO_LINE_START = frozenset(PUNCTUATION["no_line_start"])
NO_LINE_END = frozenset(PUNCTUATION["no_line_end"])
GLUED_UNITS = tuple(PUNCTUATION["glued_units"])


def char_width(ch: str) -> int:
    """Columns one character takes: wide/fullwidth/ambiguous East Asian = 2 (printers draw
    them with the double-width Kanji font), combining marks 0, everything else 1."""
    if ch.isascii():
        return 1 if ch.isprintable() else 0
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def units(paragraph: str) -> list[str]:
    """Break points: ASCII words stay whole, spaces are their own unit, and every non-ASCII
    character may break on its own."""
    out: list[str] = []
    word = ""
    for ch in paragraph:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return _glue_units(out)


def _glue_units(units_: list[str]) -> list[str]:
    """A unit word ("公里") is one unit, with the number (and one space) before it: a line
    never ends in "3.8 公" (issue 18)."""
    out: list[str] = []
    i = 0
    while i < len(units_):
        glued = next((u for u in GLUED_UNITS if "".join(units_[i:i + len(u)]) == u), "")
        if not glued:
            out.append(units_[i])
            i += 1
            continue
        i += len(glued)
        if len(out) > 1 and out[-1] == " " and out[-2][-1:].isdigit():
            glued = out.pop(-2) + out.pop() + glued
        elif out and out[-1][-1:].isdigit():
            glued = out.pop() + glued
        out.append(glued)
    return out


def _hard_split(unit: str, width: float, measure: Measure) -> list[str]:
    parts, cur = [], ""
    for ch in unit:
        if cur and measure(cur + ch) > width:
            parts.append(cur)
            cur = ""
        cur += ch
    return parts + ([cur] if cur else [])


def wrap(text: str, width: float, measure: Measure = text_width) -> list[str]:
    """Lines of at most `width` (as `measure` counts); explicit newlines start new lines.
    A line's width is taken as the sum of its units' widths."""
    if width <= 0:
        raise ValueError("width must be positive")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for unit in units(paragraph):
            w = measure(unit)
            if unit.isspace() and not line:
                continue  # no leading spaces on a wrapped line
            if used + w <= width:
                line.append(unit)
                used += w
                continue
            if unit.isspace():
                lines.append("".join(line).rstrip())
                line, used = [], 0.0
                continue
            carry: list[str] = []
            if unit[0] in NO_LINE_START and len(line) > 1 and not line[-1].isspace():
                carry = [line.pop()]  # take the previous character along
            if len(line) > 1 and line[-1] in NO_LINE_END:
                carry.insert(0, line.pop())
            if line:
                lines.append("".join(line).rstrip())
            line, used = [], 0.0
            pieces = _hard_split(unit, width, measure) if w > width else [unit]
            for piece in [*carry, *pieces]:
                pw = measure(piece)
                if line and used + pw > width:
                    lines.append("".join(line).rstrip())
                    line, used = [], 0.0
                line.append(piece)
                used += pw
        lines.append("".join(line).rstrip())
    return lines
