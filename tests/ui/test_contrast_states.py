"""Issue 18 item 9: every state of a button and a chip, measured with the WCAG 2 formula over
the colours screens/theme.py hands to widgets.kv. Text >= 4.5:1 on its own background; edges
and fills that tell a control from the page >= 3:1 (WCAG 1.4.11).

Before the fix (same formula): a disabled green button's text (Kivy's default disabled colour,
white at 30 %) 2.0:1; a pressed green button (white on the chip grey) 1.25:1; an unselected
chip's fill against the page 1.15:1, with no edge at all."""

from __future__ import annotations

import pytest
from test_ui_static import contrast

from screens.theme import COLORS, button_style, chip_style

STATES = [(p, s, d) for p in (True, False) for s in ("normal", "down") for d in (False, True)]


@pytest.mark.parametrize(("primary", "state", "disabled"), STATES)
def test_button_text_is_readable_in_every_state(primary: bool, state: str, disabled: bool) -> None:
    bg, fg, _edge = button_style(primary, state, disabled)
    assert contrast(fg, bg) >= 4.5


@pytest.mark.parametrize(("primary", "state", "disabled"), STATES)
def test_a_button_stands_out_from_the_page(primary: bool, state: str, disabled: bool) -> None:
    bg, _fg, edge = button_style(primary, state, disabled)
    for page in ("bg", "surface"):
        outline = max(contrast(bg, COLORS[page]), contrast(edge, COLORS[page]) if edge[3] else 0)
        assert outline >= 3, (page, outline)


def test_disabled_does_not_look_like_the_enabled_green() -> None:
    enabled, disabled = button_style(True, "normal", False)[0], button_style(True, "normal", True)[0]
    assert contrast(enabled, disabled) >= 3  # grey, not green: told apart at a glance
    assert contrast(button_style(True, "down", False)[0], enabled) > 1.3  # pressing shows


@pytest.mark.parametrize(("selected", "state"), [(s, st) for s in (True, False) for st in ("normal", "down")])
def test_chips(selected: bool, state: str) -> None:
    bg, fg, edge = chip_style(selected, state)
    assert contrast(fg, bg) >= 4.5
    for page in ("bg", "surface"):
        assert max(contrast(edge, COLORS[page]), contrast(bg, COLORS[page])) >= 3


def test_the_numbers() -> None:
    """The ratios the commit message quotes, so they stay true."""
    assert round(contrast(*button_style(True, "normal", True)[1::-1]), 1) == 6.2  # disabled text
    assert round(contrast(*button_style(True, "down", False)[1::-1]), 1) == 11.1  # pressed green
    assert round(contrast(chip_style(False, "normal")[2], COLORS["bg"]), 1) == 4.6  # chip edge on page
