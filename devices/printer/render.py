"""Receipt → ESC/POS bytes through python-escpos (its Dummy printer collects the bytes).

Pitfalls handled here (see shared REFERENCES.md): MagicEncode never sends `FS &` and only
switches to GB18030 when a string holds an ideograph, so `，￥` alone print as `?`. We send
`FS &` ourselves and encode every line as GB18030 ourselves; `text()` is not used. QR is
native (`GS ( k`) when the profile has it, otherwise a centred raster image.

With a printer model (kiosk/printer_models.toml, `RenderOptions.for_model`) the model
decides instead: native or image QR, the cut bytes (python-escpos' profile `cut()` drops the
cut on every profile without QR), the columns/dots of the layout, and the charset — text
is adapted to it (charset.py) and a line with a character the font lacks prints as an image.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import qrcode
from escpos.constants import QR_ECLEVEL_M
from PIL import Image

from devices.printer import charset
from devices.printer.escpos_loader import escpos_printer
from devices.printer.preview import line_image
from kiosk.receipts import Align, FeedLine, Line, Paper, QrLine, Receipt, Row, Rule, Text, layout

if TYPE_CHECKING:
    from escpos.printer import Dummy as EscposDummy  # loaded at run time by escpos_printer()

    from kiosk.printer_models import PrinterModel

Dummy = escpos_printer().Dummy
KANJI_ON = b"\x1c&"  # FS &
KANJI_OFF = b"\x1c."  # FS .

# Bytes after the slip for each cut mode. ESC d 6 first: the last line clears the cutter / tear
# bar. feed-cut is GS V 66 0 (feed to the cutter, then cut) for models that refuse GS V 0.
CUTS = {
    "full": b"\x1bd\x06\x1dV\x00",
    "partial": b"\x1bd\x06\x1dV\x01",
    "feed-cut": b"\x1dVB\x00",
    "none": b"\x1bd\x06",
}

# Characters whose GB18030 form is a 4-byte sequence most printer fonts lack: use the
# 2-byte look-alike (fullwidth yen is GB2312 A3A4).
_NORMALISE = str.maketrans({"¥": "￥", "\u00a0": " ", "\u3000": "  "})


@dataclass(frozen=True, slots=True)
class RenderOptions:
    paper: Paper
    profile: str = "default"
    kanji_mode_default: bool = True  # printer starts in Kanji mode; if not, we switch back after
    native_qr: bool | None = None  # None: as the profile says
    cut: str | None = None  # a key of CUTS; None: python-escpos' profile cut()
    charset: str | None = None  # gb18030 / gbk / gb2312 with fallback; None: plain GB18030
    c1_single: bool = False  # the printer takes 0x80-0x9F as single bytes

    @classmethod
    def for_model(cls, model: PrinterModel) -> RenderOptions:
        return cls(
            Paper(model.width_mm, model.columns, model.dots),
            kanji_mode_default=model.kanji_mode_default,
            native_qr=model.qr == "native",
            cut=model.cut,
            charset=model.charset,
            c1_single=model.c1_single,
        )


def encode_text(text: str) -> bytes:
    """All non-ASCII text, punctuation and ￥ included, as GB18030."""
    return text.translate(_NORMALISE).encode("gb18030", errors="replace")


def qr_is_native(item: QrLine, native: bool) -> bool:
    """GS ( k for this code: the printer's choice unless the receipt forces one (test page)."""
    return native if item.mode is None else item.mode == "native"


def probe_bytes(line: Line) -> bytes:
    """A test-page probe line exactly as sent: its own charset, no fallback."""
    # two spaces: a lead byte the font does not pair eats a space, not the LF
    pad = b"" if line.raw_charset == "ascii" else b"  "
    return line.text.encode(line.raw_charset or "ascii", errors="replace") + pad


def qr_module_size(data: str, paper: Paper) -> int:
    """Dots per module so the code is about half the paper wide (3..8)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return max(3, min(8, (paper.dots // 2) // (code.modules_count + 8)))


def qr_image(data: str, module: int, width: int) -> Image.Image:
    """Centred 1-bit QR image `width` dots wide (the raster fallback)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=2)
    code.add_data(data)
    code.make(fit=True)
    img = code.make_image().get_image().convert("1")
    canvas = Image.new("1", (width, img.height), 1)
    canvas.paste(img, ((width - img.width) // 2, 0))
    return canvas


def raster_bytes(img: Image.Image, profile: str = "default") -> bytes:
    """GS v 0 raster bytes of an image (python-escpos splits tall ones into fragments)."""
    p = Dummy(profile=profile)
    # python-escpos print()s a notice when the profile has no pixel width. Give it the image's
    # own width (on this instance only) rather than redirecting stdout: redirect_stdout swaps
    # the process-wide sys.stdout, and two threads rendering at once (the print service and a
    # preview) could leave it pointing at a buffer for good, silently eating every later print.
    data = p.profile.profile_data
    media = dict(data.get("media", {}))
    media["width"] = {**media.get("width", {}), "pixels": img.width}
    p.profile.profile_data = {**data, "media": media}
    p.image(img, impl="bitImageRaster")
    return p.output


class _Writer:
    """Emits style commands only when they change, keeping slips small on slow links."""

    def __init__(self, printer: EscposDummy) -> None:
        self.p = printer
        self.align = Align.LEFT
        self.bold = False
        self.size = 1

    def style(self, align: Align, bold: bool, size: int) -> None:
        if align != self.align:
            self.p.set(align=align.value)
            self.align = align
        if bold != self.bold:
            self.p.set(bold=bold)
            self.bold = bold
        if size != self.size:
            # GS ! scales Kanji and ASCII alike (ESC ! double sizes may skip Kanji).
            self.p.set(custom_size=True, width=size, height=size)
            self.size = size


def render(receipt: Receipt, options: RenderOptions) -> bytes:
    paper = options.paper
    p = Dummy(profile=options.profile)
    native = p.profile.supports("qrCode") if options.native_qr is None else options.native_qr
    p.hw("INIT")  # ESC @: known state whatever the last job left behind
    p._raw(KANJI_ON)  # explicit: Japanese-market printers start with Kanji mode off
    w = _Writer(p)
    if options.charset:
        receipt = adapt_receipt(receipt, options.charset, options.c1_single)
    for item in layout(receipt, paper):
        if isinstance(item, Line) and item.raw_charset:  # test-page probe: exactly these bytes
            w.style(item.align, item.bold, item.size)
            p._raw(probe_bytes(item) + b"\n")
        elif isinstance(item, Line):
            raw = (charset.encode_line(item.text, options.charset, options.c1_single)
                   if options.charset else encode_text(item.text))
            if raw is None:  # a character the font lacks: print the line as a picture of it
                w.style(Align.LEFT, False, 1)
                img = line_image(item.text, paper.dots, item.align.value, item.bold, item.size)
                p._raw(raster_bytes(img, options.profile))
            else:
                w.style(item.align, item.bold, item.size)
                p._raw(raw + b"\n")
        elif isinstance(item, QrLine):
            w.style(Align.CENTER, False, 1)
            module = qr_module_size(item.data, paper)
            if qr_is_native(item, native):
                p.qr(item.data, ec=QR_ECLEVEL_M, size=module, native=True)
                p._raw(b"\n")
            else:
                width = _image_width(p, paper)
                p._raw(raster_bytes(qr_image(item.data, module, width), options.profile))
        elif isinstance(item, FeedLine):
            p.print_and_feed(item.lines)
    w.style(Align.LEFT, False, 1)
    if not options.kanji_mode_default:
        p._raw(KANJI_OFF)  # leave the printer as we found it
    if options.cut is None:
        p.cut()
    else:
        p._raw(CUTS[options.cut])
    return p.output


def adapt_receipt(receipt: Receipt, charset_name: str, c1_single: bool = False) -> Receipt:
    """The receipt with every text mapped to what the charset can print (before layout:
    ㎡ → 平方米 changes the width)."""

    def fix(text: str) -> str:
        return charset.adapt(text, charset_name, c1_single)

    blocks = []
    for b in receipt.blocks:
        if isinstance(b, Text):
            b = dataclasses.replace(b, text=fix(b.text))
        elif isinstance(b, Row):
            b = dataclasses.replace(b, key=fix(b.key), value=fix(b.value))
        elif isinstance(b, Rule):
            b = dataclasses.replace(b, char=fix(b.char)[:1] or "-")
        blocks.append(b)
    return dataclasses.replace(receipt, blocks=tuple(blocks))


def _image_width(p: EscposDummy, paper: Paper) -> int:
    try:
        return min(paper.dots, int(p.profile.profile_data["media"]["width"]["pixels"]))
    except (KeyError, ValueError, TypeError):
        return paper.dots
