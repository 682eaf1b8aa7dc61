"""kiosk.linebreak: Chinese line breaking for paper (columns) and screen (pixels)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.linebreak import NO_LINE_END, NO_LINE_START, text_width, wrap

CJK = "零工驿站日结保洁搬运家政餐饮安保装修快递配送促销采摘仓储养老护理"


def pixels(s: str) -> float:
    """A proportional font: ideographs 24 px, ASCII 11.5 px, like the kiosk's body text."""
    return sum(11.5 if c.isascii() else 24.0 for c in s)


words = st.builds(
    lambda open_, body, close: open_ + body + close,
    st.sampled_from(["", "", "", "（", "“", "《"]),
    st.text(alphabet=CJK, min_size=1, max_size=6),
    st.sampled_from(["", "", "，", "。", "、", "！", "）", "”", "》"]),
)
ascii_words = st.sampled_from(["08:00-17:00", "12333", "B1", "160元/天", "call"])
# Each ASCII word is followed by an ideograph, so two never merge into one over-long word.
paragraphs = st.lists(st.one_of(words, words, ascii_words.map(lambda w: w + "的")), min_size=1, max_size=40).map("".join)


@given(paragraphs, st.integers(min_value=6, max_value=30))
def test_screen_lines_fit_keep_the_text_and_follow_the_rules(text: str, chars: int) -> None:
    width = chars * 24.0
    lines = wrap(text, width, pixels)
    assert all(pixels(line) <= width for line in lines)
    assert "".join(lines) == text  # nothing lost or added (no spaces in these texts)
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, lines


def test_a_full_stop_takes_the_previous_character_to_the_next_line() -> None:
    # Four ideographs fit; "。" would start the second line, so "结" goes down with it.
    assert wrap("日结保洁。招工", 4 * 24.0, pixels) == ["日结保", "洁。招工"]
    assert wrap("日结保洁。招工", 8, text_width) == ["日结保", "洁。招工"]  # same on paper


def test_an_opening_bracket_never_ends_a_line() -> None:
    assert wrap("日结保（洁）", 4 * 24.0, pixels) == ["日结保", "（洁）"]


def test_numbers_stay_whole_and_newlines_are_kept() -> None:
    assert wrap("工作时间08:00-17:00", 6 * 24.0, pixels) == ["工作时间", "08:00-17:00"]
    assert wrap("第一段\n第二段", 10 * 24.0, pixels) == ["第一段", "第二段"]


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError):
        wrap("零工", 0, pixels)


def test_a_unit_stays_with_its_number() -> None:
    """Issue 18: "3.8 公里" broke as "3.8 公" / "里" on the detail screen."""
    text = "青禾县青禾街道鼓楼街381号金穗大门岗亭（3.8 公里）"
    for width in range(8, 40):
        for line in wrap(text, width):
            assert not line.endswith(("公", "3.8")) and not line.startswith(("里", "公里"))
    assert wrap("约3.8 公里", 8) == ["约", "3.8 公里"]
