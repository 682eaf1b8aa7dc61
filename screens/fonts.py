"""The Simplified Chinese face of Noto Sans CJK, for Kivy.

Debian's NotoSansCJK-*.ttc holds one face per region and the first one is Japanese; Kivy
(SDL_ttf) always opens face 0 of a collection, which draws many characters in their
Japanese forms. The SC face is copied out once to a cache folder as a plain .otf (fontTools
copies the tables as they are, in well under a second) and registered from there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kiosk.cache import cache_root

log = logging.getLogger(__name__)

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
SC_FACE = "Noto Sans CJK SC"


def sc_font(weight: str = "Regular", collection_dir: Path = NOTO_DIR, out_dir: Path | None = None) -> Path | None:
    """Path of the SC face as a single-font file, extracting it on first use; None when the
    collection is not installed (fonts-noto-cjk)."""
    source = collection_dir / f"NotoSansCJK-{weight}.ttc"
    if not source.exists():
        return None
    target = (out_dir or cache_root() / "fonts") / f"NotoSansCJKsc-{weight}.otf"
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    from fontTools.ttLib import TTCollection

    faces = TTCollection(str(source), lazy=True).fonts
    face = next((f for f in faces if f["name"].getDebugName(1) == SC_FACE), None)
    if face is None:
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")  # two starting processes never share one
        face.save(str(partial))
        partial.replace(target)  # never leave a half-written font for the next start
    except OSError as exc:  # a read-only cache: draw with the collection's first face instead
        log.warning("fonts: cannot write %s (%s); Chinese may show Japanese glyph forms", target, exc)
        return source
    return target
