"""ESC/POS bytes → picture of the paper (Pillow), for the subset we emit.

Handles: ESC @, FS & / FS . (Kanji on/off; text bytes ≥ 0x81 decode as GB18030 only in Kanji
mode, else as code page 437 — exactly the garbage a printer would print), ESC a, ESC E,
ESC ! and GS ! sizes, ESC d / ESC J feeds, ESC 2 / ESC 3 line spacing, GS ( k QR (the code is
regenerated with `qrcode` from the stored data, at the module size the printer was told),
GS v 0 raster images and GS V cuts (a dashed line). Other commands are skipped and listed
in `Preview.skipped`. Font A is 12×24 dots, Kanji 24×24, paper 203 dpi.

`Emulation` draws what a given printer family makes of the same bytes: a GB2312-only or GBK
font (a pair it lacks prints as a blank box "\ufffd"; a 4-byte sequence becomes two broken
pairs), 0x80-0x9F taken as single bytes (SPRT POS76-II), no QR command (the payload
printed as text, as a ZJ-5890 does). `Preview.text` holds each printed line as read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont

from devices.printer.escpos_stream import Token, tokens

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FONT_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK collection
ASCII_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
ASCII_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
CELL_H = 24
LINE_SPACING = 30  # ESC 2 default (1/6 inch at 180 dpi units is printer-specific; 30 is typical)
MARGIN = 16
_QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
          50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}


@dataclass(frozen=True)
class Emulation:
    """What the printer's firmware can do (the default: a GB18030 printer with QR)."""

    charset: str = "gb18030"
    c1_single: bool = False
    qr_native: bool = True


EPSON_LIKE = Emulation()


@dataclass
class Preview:
    image: Image.Image
    cuts: int = 0
    qr_codes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # each printed row of text as the font read it


def _kanji_char(raw: bytes, i: int, emu: Emulation) -> tuple[str, int, bool]:
    """(character, bytes used, wide) a printer in Kanji mode reads at raw[i]."""
    b = raw[i]
    if emu.c1_single and 0x80 <= b <= 0x9F:
        return "\ufffd", 1, False  # a single-byte cell of garbage
    if emu.charset == "gb18030" and i + 3 < len(raw) and 0x30 <= raw[i + 1] <= 0x39:
        return raw[i : i + 4].decode("gb18030", errors="replace")[:1], 4, True
    pair = raw[i : i + 2]
    if len(pair) < 2 or (emu.c1_single and 0x80 <= pair[1] <= 0x9F):
        return "\ufffd", len(pair), True
    ok = 0xA1 <= pair[0] <= 0xF7 and 0xA1 <= pair[1] <= 0xFE if emu.charset == "gb2312" \
        else 0x40 <= pair[1] <= 0xFE and pair[1] != 0x7F
    codec = "gb2312" if emu.charset == "gb2312" else "gbk" if emu.charset == "gbk" else "gb18030"
    ch = pair.decode(codec, errors="replace")[:1] if ok else "\ufffd"
    return ch, 2, True


def _font(path: str, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:  # bold/mono face missing: fall back to the CJK regular face
        return ImageFont.truetype(CJK_FONT, size, index=SC_INDEX)


@lru_cache(maxsize=4096)
def _glyph(ch: str, wide: bool, bold: bool, w: int, h: int) -> Image.Image:
    """One character cell, black on white ("L"), scaled like a printer scales its bitmaps."""
    cw = 24 if wide else 12
    cell = Image.new("L", (cw, CELL_H), 255)
    if wide:
        font = _font(CJK_FONT_BOLD if bold else CJK_FONT, 22, SC_INDEX)
    else:
        font = _font(ASCII_FONT_BOLD if bold else ASCII_FONT, 19)
    ImageDraw.Draw(cell).text((cw / 2, CELL_H / 2), ch, font=font, fill=0, anchor="mm")
    if w == 1 and h == 1:
        return cell
    return cell.resize((cw * w, CELL_H * h), Image.Resampling.NEAREST)


def line_image(text: str, width: int, align: str = "left", bold: bool = False, size: int = 1) -> Image.Image:
    """A text line as a 1-bit image `width` dots wide, cell by cell as the printer's fonts
    draw it (ASCII 12 dots, everything else 24), for lines the printer's font cannot print."""
    cells = [_glyph(ch, not ch.isascii(), bold, size, size) for ch in text]
    used = sum(c.width for c in cells)
    height = CELL_H * size
    img = Image.new("L", (width, height + LINE_SPACING - CELL_H), 255)
    x = {"center": (width - used) // 2, "right": width - used}.get(align, 0) if used < width else 0
    for cell in cells:
        if x + cell.width > width:
            break  # layout() made the line fit; never wrap inside a picture
        img.paste(cell, (x, 0))
        x += cell.width
    return img.point(lambda v: 255 if v >= 128 else 0).convert("1")


class _Page:
    def __init__(self, width: int, emulation: Emulation = EPSON_LIKE) -> None:
        self.emu = emulation
        self.text: list[str] = []
        self.width = width
        self.rows: list[Image.Image] = []
        self.line: list[tuple[str, bool, bool, int, int]] = []
        self.line_align = 0
        self.align = 0
        self.bold = False
        self.w = self.h = 1
        self.kanji = False
        self.spacing = LINE_SPACING
        self.cuts = 0

    def put_text(self, raw: bytes) -> None:
        if not self.line:
            self.line_align = self.align
        i = 0
        while i < len(raw):
            b = raw[i]
            if b < 0x80 or not self.kanji:
                ch = bytes([b]).decode("cp437")
                self.line.append((ch if ch != "\t" else " ", False, self.bold, self.w, self.h))
                i += 1
                continue
            ch, size, wide = _kanji_char(raw, i, self.emu)
            self.line.append((ch, wide, self.bold, self.w, self.h))
            i += size

    def newline(self) -> None:
        if not self.line:
            self.feed(self.spacing)
            return
        height = max(CELL_H * h for *_, h in self.line)
        row = Image.new("L", (self.width, max(height + self.spacing - CELL_H, height)), 255)
        used = sum((24 if wide else 12) * w for _, wide, _, w, _ in self.line)
        x = [0, (self.width - used) // 2, self.width - used][self.line_align] if used < self.width else 0
        text = ""
        for ch, wide, bold, w, h in self.line:
            g = _glyph(ch, wide, bold, w, h)
            if x + g.width > self.width:  # the printer wraps: so do we
                self.rows.append(row)
                self.text.append(text)
                row = Image.new("L", (self.width, height + self.spacing - CELL_H), 255)
                x, text = 0, ""
            row.paste(g, (x, height - g.height))
            x += g.width
            text += ch
        self.rows.append(row)
        self.text.append(text)
        self.line = []

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.rows.append(Image.new("L", (self.width, dots), 255))

    def image(self, img: Image.Image) -> None:
        if self.line:
            self.newline()
        row = Image.new("L", (self.width, img.height), 255)
        x = [0, (self.width - img.width) // 2, self.width - img.width][self.align] if img.width < self.width else 0
        row.paste(img.convert("L"), (x, 0))
        self.rows.append(row)

    def cut(self) -> None:
        if self.line:
            self.newline()
        row = Image.new("L", (self.width, 24), 255)
        draw = ImageDraw.Draw(row)
        for x in range(0, self.width, 16):
            draw.line([(x, 12), (x + 8, 12)], fill=0, width=2)
        self.rows.append(row)
        self.cuts += 1


def _raster(tok: Token) -> Image.Image:
    width_bytes = tok.args[2] | tok.args[3] << 8
    height = tok.args[4] | tok.args[5] << 8
    img = Image.frombytes("1", (width_bytes * 8, height), tok.data)
    return Image.eval(img.convert("L"), lambda v: 255 - v)  # ESC/POS 1 bit = black dot


def render_preview(data: bytes, width_dots: int = 576, emulation: Emulation = EPSON_LIKE) -> Preview:
    page = _Page(width_dots, emulation)
    qr: dict[str, Any] = {"module": 3, "ec": 48, "data": b""}
    codes: list[str] = []
    skipped: list[str] = []
    for tok in tokens(data):
        op, a = tok.op, tok.args
        if op == "text":
            page.put_text(tok.data)
        elif op == "LF":
            page.newline()
        elif op == "ESC @":
            page.align, page.bold, page.w, page.h, page.spacing = 0, False, 1, 1, LINE_SPACING
        elif op == "FS &":
            page.kanji = True
        elif op == "FS .":
            page.kanji = False
        elif op == "ESC a":
            page.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(a[0], 0)
        elif op == "ESC E":
            page.bold = bool(a[0] & 1)
        elif op == "ESC !":
            page.bold = bool(a[0] & 0x08)
            page.h, page.w = (2 if a[0] & 0x10 else 1), (2 if a[0] & 0x20 else 1)
        elif op == "GS !":
            page.w, page.h = (a[0] >> 4 & 7) + 1, (a[0] & 7) + 1
        elif op == "ESC d":
            page.newline() if page.line else None
            page.feed(a[0] * page.spacing)
        elif op == "ESC J":
            page.newline() if page.line else None
            page.feed(a[0])
        elif op == "ESC 2":
            page.spacing = LINE_SPACING
        elif op == "ESC 3":
            page.spacing = max(a[0], 1)
        elif op == "GS v 0":
            page.image(_raster(tok))
        elif op == "GS ( k" and len(tok.data) >= 2 and tok.data[0] == 49:  # cn '1' = QR
            fn, rest = tok.data[1], tok.data[2:]
            if fn == 67 and rest:
                qr["module"] = rest[0]
            elif fn == 69 and rest:
                qr["ec"] = rest[0]
            elif fn == 80 and not emulation.qr_native:  # no QR command: the data prints as text
                page.put_text(rest[1:])
                page.newline()
            elif fn == 80:
                qr["data"] = rest[1:]  # after m = '0'
            elif fn == 81 and qr["data"] and emulation.qr_native:
                text = qr["data"].decode("utf-8", errors="replace")
                codes.append(text)
                code = qrcode.QRCode(error_correction=_QR_EC.get(qr["ec"], _QR_EC[48]),
                                     box_size=qr["module"], border=0)
                code.add_data(qr["data"])
                code.make(fit=True)
                page.image(code.make_image().get_image().convert("L"))
        elif op == "GS V":
            page.cut()
        elif op in ("DLE EOT", "DLE DC4", "DLE ENQ", "GS ( H", "ESC M", "ESC -", "ESC t", "CTL 0x0D"):
            pass  # no ink: status requests, font/underline/code page we do not draw
        else:
            skipped.append(op)
    if page.line:
        page.newline()
    rows = page.rows or [Image.new("L", (width_dots, 1), 255)]
    total = sum(r.height for r in rows)
    img = Image.new("L", (width_dots + 2 * MARGIN, total + 2 * MARGIN), 255)
    y = MARGIN
    for r in rows:
        img.paste(r, (MARGIN, y))
        y += r.height
    return Preview(img, page.cuts, codes, skipped, page.text)


def render(data: bytes, width_dots: int = 576, emulation: Emulation = EPSON_LIKE) -> Image.Image:
    """What a printer with this paper width would print from `data`."""
    return render_preview(data, width_dots, emulation).image
