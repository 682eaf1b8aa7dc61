"""Checks on the UI's source that need no window: translations complete, contrast enough."""

import re
from pathlib import Path

import pytest

from screens.i18n import Translator

SCREENS = Path(__file__).resolve().parents[2] / "screens"
MSGID = re.compile(r"""tr\(\s*"((?:[^"\\]|\\.)+)"|(?:^|[\s(,\[])\(\s*"[a-z_]+",\s*[^,]+,\s*"([^"]+)"\)""", re.M)


def used_msgids() -> set[str]:
    ids: set[str] = set()
    # commands/ print to a terminal for maintainers (English); only the seeker's screens count
    for path in [*SCREENS.rglob("*.kv"), *SCREENS.glob("*.py"), *SCREENS.glob("widgets/*.py")]:
        for m in MSGID.finditer(path.read_text(encoding="utf-8")):
            ids.add(m.group(1) or m.group(2))
    return ids


def test_every_ui_string_has_a_chinese_translation() -> None:
    ids = used_msgids()
    assert len(ids) > 30  # the scan found the strings at all
    assert Translator().missing(ids, "zh") == set()


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# (text colour, background) pairs the kv files use for text.
PAIRS = [
    ("text", "bg"), ("text", "surface"), ("muted", "bg"), ("muted", "surface"),
    ("primary", "bg"), ("primary", "surface"), ("on_primary", "primary"),
    ("on_primary", "accent"), ("on_primary", "muted"), ("on_primary", "chip_on"),
    ("text", "chip"), ("text", "banner"), ("danger", "bg"), ("muted", "chip"),
]


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_text_contrast_at_least_4_5(fg: str, bg: str) -> None:
    from screens.theme import COLORS

    assert contrast(COLORS[fg], COLORS[bg]) >= 4.5
