"""Draws the kiosk's pictograms (issue 18 item 10) with Pillow: simple filled shapes, no
font glyphs (the CJK face lacks many symbols), in a dark and a light (on green) version.

    python assets/icons/make_icons.py   # writes assets/icons/<name>-dark.png and -light.png
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
N, SS = 96, 4  # final size, supersampling for smooth edges
INK = {"dark": (26, 29, 32, 255), "light": (255, 255, 255, 255)}


def _search(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    d.ellipse((14 * s, 10 * s, 62 * s, 58 * s), outline=ink, width=int(9 * s))
    d.line((54 * s, 52 * s, 82 * s, 82 * s), fill=ink, width=int(12 * s))


def _idcard(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    d.rounded_rectangle((6 * s, 18 * s, 90 * s, 78 * s), radius=8 * s, outline=ink, width=int(6 * s))
    d.ellipse((18 * s, 30 * s, 38 * s, 50 * s), fill=ink)
    d.pieslice((12 * s, 50 * s, 44 * s, 82 * s), 180, 360, fill=ink)
    for y in (34, 48, 60):
        d.line((52 * s, y * s, 80 * s, y * s), fill=ink, width=int(5 * s))


def _qr(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    for x, y in ((8, 8), (58, 8), (8, 58)):
        d.rectangle((x * s, y * s, (x + 30) * s, (y + 30) * s), outline=ink, width=int(6 * s))
        d.rectangle(((x + 10) * s, (y + 10) * s, (x + 20) * s, (y + 20) * s), fill=ink)
    for x, y in ((60, 60), (76, 60), (60, 76), (76, 76), (68, 68), (44, 44), (44, 20), (20, 44)):
        d.rectangle((x * s, y * s, (x + 10) * s, (y + 10) * s), fill=ink)


def _printer(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    d.rectangle((26 * s, 8 * s, 70 * s, 34 * s), outline=ink, width=int(6 * s))
    d.rounded_rectangle((8 * s, 32 * s, 88 * s, 68 * s), radius=8 * s, fill=ink)
    d.rectangle((26 * s, 56 * s, 70 * s, 88 * s), fill=(0, 0, 0, 0), outline=ink, width=int(6 * s))
    d.line((34 * s, 70 * s, 62 * s, 70 * s), fill=ink, width=int(4 * s))
    d.line((34 * s, 79 * s, 62 * s, 79 * s), fill=ink, width=int(4 * s))


def _phone(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    d.rounded_rectangle((26 * s, 4 * s, 70 * s, 92 * s), radius=9 * s, outline=ink, width=int(6 * s))
    d.line((40 * s, 14 * s, 56 * s, 14 * s), fill=ink, width=int(4 * s))
    d.ellipse((43 * s, 76 * s, 53 * s, 86 * s), fill=ink)


def _help(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    # a telephone handset: two ear/mouth pieces joined by a handle
    d.arc((10 * s, 10 * s, 86 * s, 86 * s), 120, 330, fill=ink, width=int(14 * s))
    d.rounded_rectangle((6 * s, 52 * s, 30 * s, 82 * s), radius=6 * s, fill=ink)
    d.rounded_rectangle((52 * s, 6 * s, 82 * s, 30 * s), radius=6 * s, fill=ink)


def _register(d: ImageDraw.ImageDraw, s: float, ink: tuple) -> None:
    d.rounded_rectangle((14 * s, 6 * s, 78 * s, 90 * s), radius=6 * s, outline=ink, width=int(6 * s))
    d.line((28 * s, 50 * s, 42 * s, 66 * s), fill=ink, width=int(8 * s))
    d.line((42 * s, 66 * s, 66 * s, 30 * s), fill=ink, width=int(8 * s))


ICONS = {"search": _search, "idcard": _idcard, "qr": _qr, "printer": _printer, "phone": _phone,
         "help": _help, "register": _register}


def main() -> None:
    for name, draw in ICONS.items():
        for tone, ink in INK.items():
            img = Image.new("RGBA", (N * SS, N * SS), (0, 0, 0, 0))
            draw(ImageDraw.Draw(img), SS, ink)
            img.resize((N, N), Image.LANCZOS).save(HERE / f"{name}-{tone}.png")


if __name__ == "__main__":
    main()
