"""Charset fallback: symbols mapped, emoji dropped, rare ideographs printed as a picture of
their line, and never a byte that breaks the double-byte pairing (property-tested)."""

from __future__ import annotations

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.printer import charset, preview
from devices.printer.escpos_stream import tokens
from devices.printer.render import RenderOptions, render
from kiosk import receipts as r

MODES = [("gb2312", False), ("gbk", False), ("gbk", True), ("gb18030", False), ("gb18030", True)]
# Mostly CJK and the symbol blocks live data holds, plus anything at all.
TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x2000, max_codepoint=0x33FF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
        st.characters(),
    ),
    max_size=40,
)


@pytest.mark.parametrize(("cs", "c1"), MODES)
@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_sent_bytes_never_break_the_pairing(cs: str, c1: bool, text: str) -> None:
    adapted = charset.adapt(text, cs, c1)
    raw = charset.encode_line(adapted, cs, c1)
    if raw is None:  # printed as an image: what is left must be drawable characters
        assert any(charset.char_bytes(ch, cs, c1) is None for ch in adapted)
        return
    pairs = charset.split_pairs(raw, cs, c1)
    assert pairs is not None, raw  # every byte is ASCII or a whole, valid pair
    assert "".join(p.decode(cs) for p in pairs) == adapted  # no shifted pair anywhere
    # No control bytes: a single byte is printable ASCII; a pair starts with a lead byte (its
    # trail may be 0x80 in GBK, e.g. 媭 = 8B 80, which no printer reads as a control).
    assert all(0x20 <= p[0] <= 0x7E if len(p) == 1 else p[0] >= 0x81 for p in pairs)
    if c1:
        assert not any(0x80 <= b <= 0x9F for b in raw)
    if cs == "gb2312":
        assert all(b < 0x80 or 0xA1 <= b <= 0xFE for b in raw)


@pytest.mark.parametrize(("text", "cs", "want"), [
    ("面积50㎡", "gb2312", "面积50平方米"),
    ("日结 • 包餐", "gbk", "日结 · 包餐"),
    ("日结 • 包餐", "gb2312", "日结 ・ 包餐"),  # GB2312 A1A4 (U+30FB in Python's codec)
    ("8:00–17:00", "gb2312", "8:00-17:00"),
    ("© 2026 ®", "gbk", "(C) 2026 (R)"),
    ("好工作😀👍", "gb18030", "好工作"),
    ("¥180", "gb18030", "￥180"),
    ("a\x1b@b\x07", "gbk", "a@b"),  # a stray ESC inside text would be a printer command
])
def test_symbols_are_mapped_and_emoji_dropped(text: str, cs: str, want: str) -> None:
    assert charset.adapt(text, cs) == want


@pytest.mark.parametrize(("name", "cs", "c1", "image"), [
    ("张喆", "gb2312", False, True), ("王堃", "gb2312", False, True), ("李珺", "gbk", False, False),
    ("𠮷田", "gbk", False, True), ("𠮷田", "gb18030", False, False),
    ("彧", "gbk", True, True),  # GBK 8FAA: lead byte in 0x80-0x9F (SPRT POS76-II)
    ("祎", "gbk", True, False),  # GBK B574: safe even there
])
def test_rare_ideographs_make_their_line_an_image(name: str, cs: str, c1: bool, image: bool) -> None:
    assert (charset.encode_line(charset.adapt(name, cs, c1), cs, c1) is None) is image


def test_a_rare_name_prints_as_a_picture_the_others_as_text() -> None:
    slip = r.Receipt("t", (r.Text("姓名：张喆"), r.Text("日结"), r.Qr("job:1")))
    opts = RenderOptions(r.PAPER_58, native_qr=False, cut="full", charset="gb2312")
    data = render(slip, opts)
    ops = [t.op for t in tokens(data)]
    assert ops.count("GS v 0") == 2  # the 张喆 line and the QR
    emu = preview.Emulation(charset="gb2312", qr_native=False)
    result = preview.render_preview(data, r.PAPER_58.dots, emu)
    assert result.text == ["日结"]  # the only text line; the name line is an image
    assert [b.text for b in zxingcpp.read_barcodes(result.image.convert("L"))] == ["job:1"]
    # the image line has ink where two wide glyphs would be (2 × 24 dots after the 5-char label)
    assert result.image.getbbox() is not None
