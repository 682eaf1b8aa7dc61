"""Translations for the UI: English msgids, a Chinese catalogue in assets/locale.

kv rules call `app.tr("Browse jobs", app.lang)`: passing `app.lang` makes Kivy re-evaluate the
rule when the language changes, so switching language is live without rebuilding screens.
Catalogues are gettext .po files. Babel compiles each to a .mo once (into the cache folder,
named by the .po's content hash); the stdlib's gettext reads the .mo at start-up, which is
what keeps Babel's import and .po parsing (~40 ms) off the path to the first frame.
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import os
from pathlib import Path

from kiosk.cache import cache_root

log = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).resolve().parent.parent / "assets" / "locale"
LANGUAGES = ("zh", "en")


def compiled(po: Path, out_dir: Path) -> Path | None:
    """The .mo for a .po, compiled when missing; None if it cannot be written.

    Named by the .po's content hash, not checked by mtime: an update or a second checkout can
    bring a .po older than the cached .mo, and the cache must never serve another catalogue.
    """
    digest = hashlib.sha256(po.read_bytes()).hexdigest()[:16]
    mo = out_dir / po.parent.parent.name / f"{po.stem}-{digest}.mo"
    if mo.exists():
        return mo
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    try:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_suffix(f".{os.getpid()}.part")  # two starting processes never share one
        with partial.open("wb") as fh:
            write_mo(fh, catalog)
        partial.replace(mo)
    except OSError as exc:
        log.warning("i18n: cannot write %s (%s)", mo, exc)
        return None
    return mo


class _PoTranslations(gettext.NullTranslations):
    """A catalogue read straight from its .po with Babel."""

    def __init__(self, po: Path) -> None:
        super().__init__()
        from babel.messages.pofile import read_po

        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        self._strings = {m.id: m.string for m in catalog if m.id and m.string}

    def gettext(self, message: str) -> str:
        return self._strings.get(message, message)


class Translator:
    def __init__(self, locale_dir: Path = LOCALE_DIR, domain: str = "kiosk", out_dir: Path | None = None) -> None:
        self.catalogs: dict[str, gettext.NullTranslations] = {}
        for lang in LANGUAGES:
            po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            if not po.exists():
                continue
            mo = compiled(po, out_dir or cache_root() / "locale")
            if mo is None:  # an unwritable cache: read the .po itself, as slow as that is
                self.catalogs[lang] = _PoTranslations(po)
                continue
            with mo.open("rb") as fh:
                self.catalogs[lang] = gettext.GNUTranslations(fh)

    def __call__(self, msgid: str, lang: str) -> str:
        """Translation of msgid, or msgid itself (English) when there is none."""
        catalog = self.catalogs.get(lang)
        return catalog.gettext(msgid) if catalog else msgid

    def missing(self, msgids: set[str], lang: str = "zh") -> set[str]:
        catalog = self.catalogs.get(lang)
        return {m for m in msgids if catalog is None or catalog.gettext(m) == m}
