"""Text the printer's font can print, at the charset the model has (gb18030 / gbk / gb2312).

Three steps, so no byte that could break the double-byte pairing is ever sent:
1. `adapt()` (before layout, widths change): symbols the charset lacks get a look-alike
   (• → ·, – → -, ㎡ → 平方米, © → (C)), emoji / private-use / control characters go.
2. `encode_line()` encodes a laid-out line, or returns None when a character (a rare
   ideograph such as 喆 on a GB2312 printer, 𠮷 on a GBK one) has no safe bytes: the
   renderer then prints that line as a raster image.
3. Safe bytes: ASCII 0x20-0x7E alone; GB2312 pairs A1-F7/A1-FE; GBK pairs 81-FE/40-FE
   (not 7F); GB18030 4-byte forms only for ideographs (the fonts lack 4-byte symbols).
   With `c1_single` (SPRT POS76-II) no byte may lie in 0x80-0x9F.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Look-alikes for symbols missing from GB2312/GBK (or 4-byte in GB18030, which fonts lack).
# Candidates in order: the first whose characters all have safe bytes is used.
SYMBOLS: dict[str, tuple[str, ...]] = {
    # GB2312's A1A4 middle dot decodes as U+30FB in Python's codec, U+00B7 in GBK's.
    "•": ("·", "・", "."), "‧": ("·", "・", "."), "∙": ("·", "・", "."), "·": ("・", "."), "–": ("-",), "‑": ("-",), "−": ("-",),
    "—": ("―", "-"), "―": ("-",), "㎡": ("平方米",), "㎝": ("厘米",), "㎞": ("公里",), "㎏": ("公斤",),
    "©": ("(C)",), "®": ("(R)",), "™": ("TM",), "¥": ("￥",), "\u00a0": (" ",), "\u3000": ("  ",),
    "‘": ("'",), "’": ("'",), "“": ('"',), "”": ('"',), "€": ("EUR",), "…": ("...",), "\t": (" ",),
}
# Dropped rather than printed: emoji and other pictographs, private use, unassigned, format
# and control characters (a stray ESC or LF inside text would be a printer command).
_DROP_CATEGORIES = {"So", "Sk", "Co", "Cn", "Cs", "Cc", "Cf", "Zl", "Zp", "Mn", "Me"}


def _pair_ok(lead: int, trail: int, charset: str) -> bool:
    if charset == "gb2312":
        return 0xA1 <= lead <= 0xF7 and 0xA1 <= trail <= 0xFE
    return 0x81 <= lead <= 0xFE and 0x40 <= trail <= 0xFE and trail != 0x7F


@lru_cache(maxsize=8192)
def char_bytes(ch: str, charset: str, c1_single: bool = False) -> bytes | None:
    """The bytes the printer decodes back to `ch`, or None if there are no safe ones."""
    if ch.isascii():
        return ch.encode() if ch.isprintable() else None
    try:
        raw = ch.encode(charset)
    except UnicodeEncodeError:
        return None
    if c1_single and any(0x80 <= b <= 0x9F for b in raw):
        return None
    if len(raw) == 2 and _pair_ok(raw[0], raw[1], charset):
        # Python's gbk/gb18030 map private-use code points into the user-defined areas,
        # which printer fonts leave blank.
        return None if unicodedata.category(ch) == "Co" else raw
    if len(raw) == 4 and charset == "gb18030" and unicodedata.category(ch) == "Lo" \
            and 0x81 <= raw[0] <= 0xFE and 0x30 <= raw[1] <= 0x39 and 0x81 <= raw[2] <= 0xFE \
            and 0x30 <= raw[3] <= 0x39:
        return raw
    return None  # e.g. gbk's single byte 0x80 for €


def _substitute(ch: str, charset: str, c1_single: bool) -> str | None:
    """A printable stand-in for a character without safe bytes ("" to drop it), or None to
    keep it for the raster fallback."""
    for alt in SYMBOLS.get(ch, ()):
        if all(char_bytes(c, charset, c1_single) for c in alt):
            return alt
    nfkc = unicodedata.normalize("NFKC", ch)
    if nfkc != ch and nfkc and all(char_bytes(c, charset, c1_single) for c in nfkc):
        return nfkc
    if unicodedata.category(ch) in _DROP_CATEGORIES or ch in SYMBOLS:
        return ""
    return None


def adapt(text: str, charset: str, c1_single: bool = False) -> str:
    """`text` with symbols mapped and undrawable characters dropped; rare ideographs stay
    (their line becomes an image)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if char_bytes(ch, charset, c1_single) is not None:
            out.append(ch)
            continue
        sub = _substitute(ch, charset, c1_single)
        out.append(ch if sub is None else sub)
    return "".join(out)


def encode_line(text: str, charset: str, c1_single: bool = False) -> bytes | None:
    """Safe bytes for a whole line, or None when it must be printed as an image."""
    parts = []
    for ch in text:
        raw = char_bytes(ch, charset, c1_single)
        if raw is None:
            return None
        parts.append(raw)
    return b"".join(parts)


def split_pairs(data: bytes, charset: str, c1_single: bool = False) -> list[bytes] | None:
    """How a printer in Kanji mode with this charset groups `data` into characters; None if a
    byte would start a broken pair (used by tests and the preview's printer emulation)."""
    out: list[bytes] = []
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80 or (c1_single and b <= 0x9F):
            if not 0x20 <= b <= 0x7E:
                return None
            out.append(data[i : i + 1])
            i += 1
            continue
        if charset == "gb18030" and i + 3 < len(data) and 0x30 <= data[i + 1] <= 0x39:
            chunk = data[i : i + 4]
            if not (0x81 <= chunk[2] <= 0xFE and 0x30 <= chunk[3] <= 0x39):
                return None
            out.append(chunk)
            i += 4
            continue
        if i + 1 >= len(data) or not _pair_ok(b, data[i + 1], charset):
            return None
        if c1_single and 0x80 <= data[i + 1] <= 0x9F:
            return None
        out.append(data[i : i + 2])
        i += 2
    return out
