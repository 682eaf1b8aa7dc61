"""The UI draws Chinese with the Simplified Chinese face, not the collection's first
(Japanese) face."""

from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from screens.fonts import NOTO_DIR, sc_font

# Characters whose Japanese and Simplified Chinese glyphs differ.
SAMPLE = "直骨角写"


def _render(font: ImageFont.FreeTypeFont) -> Image.Image:
    img = Image.new("L", (260, 80), 255)
    ImageDraw.Draw(img).text((4, 4), SAMPLE, font=font, fill=0)
    return img


def test_extracted_face_is_simplified_chinese(tmp_path: Path) -> None:
    path = sc_font("Regular", out_dir=tmp_path)
    assert path is not None and path.parent == tmp_path
    ttc = str(NOTO_DIR / "NotoSansCJK-Regular.ttc")
    ours = _render(ImageFont.truetype(str(path), 48))
    sc = _render(ImageFont.truetype(ttc, 48, index=2))
    jp = _render(ImageFont.truetype(ttc, 48, index=0))
    assert ImageChops.difference(ours, sc).getbbox() is None  # same glyphs as the SC face
    assert ImageChops.difference(ours, jp).getbbox() is not None  # and not the JP ones
    assert sc_font("Regular", out_dir=tmp_path) == path  # extracted once, then reused


def test_unwritable_cache_falls_back_to_the_collection(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # a file where the cache folder should be: mkdir fails, even as root
    path = sc_font("Regular", out_dir=blocker / "fonts")
    assert path == NOTO_DIR / "NotoSansCJK-Regular.ttc"


def test_every_status_mark_is_in_the_sc_face(tmp_path: Path) -> None:
    """Issue 18 item 14: the maintenance screen's ✗ (U+2717) is not in Noto Sans CJK SC and
    showed as tofu; every mark the screens draw must be in the face."""
    from fontTools.ttLib import TTFont

    from kiosk.device_words import FAULT_MARK, MARKS

    path = sc_font("Regular", out_dir=tmp_path)
    cmap = TTFont(str(path)).getBestCmap()
    marks = [*MARKS.values(), FAULT_MARK, "⚠"]  # ⚠: the offline strip and apply_done
    assert [m for m in marks if ord(m) not in cmap] == []
    assert 0x2717 not in cmap  # why FAULT_MARK is not ✗
