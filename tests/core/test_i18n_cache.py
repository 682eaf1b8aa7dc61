"""The compiled catalogue cache never serves a catalogue other than the .po on disk."""

from __future__ import annotations

import os
from pathlib import Path

from screens.i18n import Translator

PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Browse jobs"
msgstr "{text}"
'''


def _write(locale: Path, text: str, mtime: float) -> None:
    po = locale / "zh" / "LC_MESSAGES" / "kiosk.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(PO.format(text=text), encoding="utf-8")
    os.utime(po, (mtime, mtime))


def test_an_older_po_with_other_text_is_compiled_anew(tmp_path: Path) -> None:
    locale, cache = tmp_path / "locale", tmp_path / "cache"
    _write(locale, "浏览岗位", mtime=2_000_000_000)
    assert Translator(locale, out_dir=cache)("Browse jobs", "zh") == "浏览岗位"
    # An update (or another checkout) brings a .po whose mtime is older than the cached .mo.
    _write(locale, "看工作", mtime=1_000_000_000)
    assert Translator(locale, out_dir=cache)("Browse jobs", "zh") == "看工作"
