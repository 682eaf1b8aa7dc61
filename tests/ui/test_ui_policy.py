"""A very long policy article in a real window under Xvfb (issue 11 item 16).

Before: the whole body was one label, so one texture 27,984 px tall, over the GPU's limit;
the screen showed an empty (under Xvfb: black) box where the text should be.
"""

from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.ui


def _ink(shot: str, box: list[float], skip_top: int = 0) -> float:
    """Share of dark (text) pixels in the list's area of a screenshot (y grows downwards)."""
    img = Image.open(shot).convert("L")
    x, y, w, h = box
    top = img.height - (y + h)
    hist = img.crop((int(x), int(top) + skip_top, int(x + w), int(top + h))).histogram()
    return sum(hist[:128]) / sum(hist)


def test_long_policy_is_shown_and_scrolls_to_its_end(scenario) -> None:
    r = scenario("long_policy")
    c = r["checks"]
    assert c["body_chars"] >= 20_000
    assert c["rows"] > 100  # a row per paragraph or chunk, recycled
    title, first, _second = c["first_rows"]
    assert title["text"] == "超长政策全文" and first["text"].startswith("第1段")
    assert first["texture"] and first["texture"][1] > 100  # the first paragraph has been drawn
    assert c["max_texture_h"] < 2048  # every texture far below any GPU's limit
    top_shot, end_shot = (Path(s) for s in r["shots"])
    # Text on a light page: some ink, mostly background — not blank, not a black box.
    assert 0.03 < _ink(str(top_shot), c["rv_box"], skip_top=80) < 0.3
    assert c["scroll_y_after_drag"] < 1  # a finger's drag moves the list
    last = c["last_rows"][0]
    assert last["text"].endswith("全文完。") and last["texture"]
    x, y, w, h = c["rv_box"]
    assert y < last["top"] <= y + h  # the article's last line is inside the visible list
    assert 0.03 < _ink(str(end_shot), c["rv_box"]) < 0.3
