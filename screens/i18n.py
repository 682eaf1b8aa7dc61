"""Translations for the UI: kiosk.i18n's catalogues (English msgids, one .po per language).

kv rules call `app.tr("Browse jobs", app.lang)`: passing `app.lang` makes Kivy re-evaluate the
rule when the language changes, so switching language is live without rebuilding screens.
The translator itself is headless (kiosk/i18n.py): the visit, the slips and the devices use
the same catalogues without Kivy.
"""

from __future__ import annotations

from kiosk.i18n import LOCALE_DIR, Translator, compiled, languages, translator

LANGUAGES = languages()

__all__ = ["LANGUAGES", "LOCALE_DIR", "Translator", "compiled", "translator"]
