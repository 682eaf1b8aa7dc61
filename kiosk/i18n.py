"""The one translation path: English msgids, one gettext catalogue per language in assets/locale.

Everything a person reads (screens, notices, device problems, scanned-code messages, slips,
dates and money) is looked up here by its English msgid: `tr(msgid, lang)`. A language is a
folder `assets/locale/<lang>/LC_MESSAGES/kiosk.po`; adding one is adding that file. English
needs none (the msgids are English).

Babel compiles each .po to a .mo once (into the cache folder, named by the .po's content
hash); the stdlib's gettext reads the .mo, which keeps Babel's import and .po parsing (~40 ms)
off the kiosk's start-up path. No Kivy here: the visit, the slips and the device drivers
translate headless; screens/i18n.py builds on this.
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from kiosk.cache import cache_root

log = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).resolve().parent.parent / "assets" / "locale"
DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"

Tr = Callable[[str, str], str]  # (msgid, lang) -> text


def N_(msgid: str) -> str:
    """Marks a msgid for the catalogue (tests/ui/test_ui_static.py finds these); whoever shows
    it translates it."""
    return msgid


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
            catalog = read_po(fh, locale=_babel_locale(po))
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_suffix(f".{os.getpid()}.part")  # two starting processes never share one
        with partial.open("wb") as fh:
            write_mo(fh, catalog)
        partial.replace(mo)
    except OSError as exc:
        log.warning("i18n: cannot write %s (%s)", mo, exc)
        return None
    return mo


def _babel_locale(po: Path) -> str | None:
    """The folder's language for Babel, or None for a code Babel does not know (a test's
    pseudo-locale): the messages are read the same either way."""
    from babel import Locale, UnknownLocaleError

    name = po.parent.parent.name
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return None
    return name


class _PoTranslations(gettext.NullTranslations):
    """A catalogue read straight from its .po with Babel."""

    def __init__(self, po: Path) -> None:
        super().__init__()
        from babel.messages.pofile import read_po

        with po.open("rb") as fh:
            catalog = read_po(fh, locale=_babel_locale(po))
        # Plural entries (id and string are tuples) are not used by the kiosk: singular only.
        self._strings: dict[str, str] = {m.id: m.string for m in catalog
                                         if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string}

    def gettext(self, message: str) -> str:
        return self._strings.get(message, message)


def languages(locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> tuple[str, ...]:
    """English, then every language that has a catalogue, in folder order."""
    found = sorted(p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{domain}.po"))
    return (SOURCE_LANGUAGE, *found)


class Translator:
    def __init__(self, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN, out_dir: Path | None = None) -> None:
        self.catalogs: dict[str, gettext.NullTranslations] = {}
        for lang in languages(locale_dir, domain)[1:]:
            po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            mo = compiled(po, out_dir or cache_root() / "locale")
            if mo is None:  # an unwritable cache: read the .po itself, as slow as that is
                self.catalogs[lang] = _PoTranslations(po)
                continue
            with mo.open("rb") as fh:
                self.catalogs[lang] = gettext.GNUTranslations(fh)

    @property
    def languages(self) -> tuple[str, ...]:
        return (SOURCE_LANGUAGE, *self.catalogs)

    def __call__(self, msgid: str, lang: str) -> str:
        """Translation of msgid, or msgid itself (English) when there is none."""
        catalog = self.catalogs.get(lang)
        return catalog.gettext(msgid) if catalog else msgid

    def missing(self, msgids: Iterable[str], lang: str = "zh") -> set[str]:
        catalog = self.catalogs.get(lang)
        return {m for m in msgids if catalog is None or catalog.gettext(m) == m}


_default: Translator | None = None


def translator() -> Translator:
    """The process's translator, made at first use."""
    global _default
    if _default is None:
        _default = Translator()
    return _default


def install(new: Translator | None) -> Translator | None:
    """Make `new` the process's translator (None: the default catalogues again, at next use);
    returns the one it replaces. Tests use it for a pseudo-locale."""
    global _default
    old, _default = _default, new
    return old


def tr(msgid: str, lang: str) -> str:
    return translator()(msgid, lang)


def tr_n(one: str, many: str, n: int, lang: str) -> str:
    """`one` for exactly one, else `many` (both msgids; Chinese gives both the same text).
    English is the only source language, so its two forms are all a count needs."""
    return tr(one if n == 1 else many, lang)


def joined(texts: Iterable[str], lang: str, pattern: str = N_("{first}. {second}")) -> str:
    """Texts one after another with the language's own punctuation between them: `pattern`
    is a msgid with {first} and {second} ("{first}. {second}" -> Chinese "{first}。{second}")."""
    out = ""
    for text in texts:
        out = tr(pattern, lang).format(first=out, second=text) if out else text
    return out


def sentences(msgids: Iterable[str], lang: str) -> str:
    """Whole sentences (msgids that end in a full stop) one after another: a space between
    them in English, none in Chinese (the catalogue's "{first} {second}")."""
    return joined((tr(m, lang) for m in msgids), lang, N_("{first} {second}"))
