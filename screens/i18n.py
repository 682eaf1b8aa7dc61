"""Translations for the UI: English msgids, a Chinese catalogue in assets/locale.

kv rules call `app.tr("Browse jobs", app.lang)`: passing `app.lang` makes Kivy re-evaluate the
rule when the language changes, so switching language is live without rebuilding screens.
Catalogues are gettext .po files read with Babel (no compile step to forget).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "assets" / "locale"
LANGUAGES = ("zh", "en")


class Translator:
    def __init__(self, locale_dir: Path = LOCALE_DIR, domain: str = "kiosk") -> None:
        self.catalogs: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                with po.open("rb") as fh:
                    catalog = read_po(fh, locale=lang)
                self.catalogs[lang] = {m.id: m.string for m in catalog if m.id and m.string}

    def __call__(self, msgid: str, lang: str) -> str:
        """Translation of msgid, or msgid itself (English) when there is none."""
        return self.catalogs.get(lang, {}).get(msgid, msgid)

    def missing(self, msgids: set[str], lang: str = "zh") -> set[str]:
        return {m for m in msgids if m not in self.catalogs.get(lang, {})}
