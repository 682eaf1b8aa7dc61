"""Receipt → ESC/POS bytes through python-escpos (its Dummy printer collects the bytes).

Pitfalls handled here (see shared REFERENCES.md): MagicEncode never sends `FS &` and only
switches to GB18030 when a string holds an ideograph, so `，￥` alone print as `?`. We send
`FS &` ourselves and encode every line as GB18030 ourselves; `text()` is not used. QR is
native (`GS ( k`) when the profile has it, otherwise a centred raster image.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import qrcode
from escpos.constants import QR_ECLEVEL_M
from PIL import Image

from devices.printer.escpos_loader import escpos_printer
from kiosk.receipts import Align, FeedLine, Line, Paper, QrLine, Receipt, layout

Dummy = escpos_printer().Dummy
KANJI_ON = b"\x1c&"  # FS &
KANJI_OFF = b"\x1c."  # FS .

# Characters whose GB18030 form is a 4-byte sequence most printer fonts lack: use the
# 2-byte look-alike (fullwidth yen is GB2312 A3A4).
_NORMALISE = str.maketrans({"¥": "￥", "\u00a0": " ", "\u3000": "  "})


@dataclass(frozen=True, slots=True)
class RenderOptions:
    paper: Paper
    profile: str = "default"
    kanji_mode_default: bool = True  # printer starts in Kanji mode; if not, we switch back after
    native_qr: bool | None = None  # None: as the profile says


def encode_text(text: str) -> bytes:
    """All non-ASCII text, punctuation and ￥ included, as GB18030."""
    return text.translate(_NORMALISE).encode("gb18030", errors="replace")


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
    with contextlib.redirect_stdout(io.StringIO()):  # escpos prints a notice for unknown widths
        p.image(img, impl="bitImageRaster")
    return p.output


class _Writer:
    """Emits style commands only when they change, keeping slips small on slow links."""

    def __init__(self, printer: Dummy) -> None:
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
    for item in layout(receipt, paper):
        if isinstance(item, Line):
            w.style(item.align, item.bold, item.size)
            p._raw(encode_text(item.text) + b"\n")
        elif isinstance(item, QrLine):
            w.style(Align.CENTER, False, 1)
            module = qr_module_size(item.data, paper)
            if native:
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
    p.cut()
    return p.output


def _image_width(p: Dummy, paper: Paper) -> int:
    try:
        return min(paper.dots, int(p.profile.profile_data["media"]["width"]["pixels"]))
    except (KeyError, ValueError, TypeError):
        return paper.dots
