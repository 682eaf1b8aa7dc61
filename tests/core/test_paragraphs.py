"""kiosk.paragraphs: long article text in pieces small enough for one texture each."""

from hypothesis import given
from hypothesis import strategies as st

from kiosk.paragraphs import MAX_CHARS, Piece, pieces


def test_paragraphs_are_pieces_and_blank_lines_go() -> None:
    assert pieces("第一段。\r\n\n  第二段 \n") == [Piece("第一段。", True), Piece("第二段", True)]
    assert pieces("") == [] and pieces("\n \n") == []


def test_a_long_paragraph_is_cut_after_a_sentence() -> None:
    sentence = "申请条件：登记失业后灵活就业、缴纳社会保险。"  # 22 characters
    got = pieces(sentence * 40, max_chars=100)
    assert all(p.text.endswith("。") and len(p.text) <= 100 for p in got)
    assert [p.ends_paragraph for p in got] == [False] * (len(got) - 1) + [True]
    assert "".join(p.text for p in got) == sentence * 40


def test_no_break_anywhere_is_cut_at_the_limit() -> None:
    assert [p.text for p in pieces("字" * 250, max_chars=100)] == ["字" * 100, "字" * 100, "字" * 50]


@given(st.text(max_size=3000), st.integers(2, 400))
def test_pieces_keep_every_visible_character_and_stay_short(text: str, limit: int) -> None:
    got = pieces(text, limit)
    assert all(0 < len(p.text) <= limit and "\n" not in p.text for p in got)
    squeeze = "".join(text.split())
    assert "".join("".join(p.text.split()) for p in got) == squeeze


def test_twenty_thousand_characters_make_small_pieces() -> None:
    body = ("就业补贴政策说明，" * 5 + "详见县人社局公告。\n") * 400  # about 20,000 characters
    got = pieces(body)
    assert len(body) >= 20_000 and len(got) >= 400
    assert max(len(p.text) for p in got) <= MAX_CHARS
