"""Lays out Chinese text in real Kivy Labels (real font, real window) at many widths and
prints each label's lines as JSON. Run by test_ui_linebreak.py, under Xvfb when needed.

argv: TEXT [plain]  ("plain": without screens.textlayout, to show what Kivy does alone)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from screens import bootstrap, textlayout  # noqa: E402

if sys.argv[2:] == ["plain"]:
    textlayout.install = lambda: None
bootstrap.configure(width=720, height=1280, fullscreen=False, kiosk=False, density=1)

from kivy.uix.label import Label  # noqa: E402

result = []
for width in range(180, 720, 9):
    for font_size in (22, 26, 34):
        label = Label(text=sys.argv[1], font_size=font_size, text_size=(width, None))
        label.texture_update()
        lines = ["".join(w.text for w in line.words) for line in label._label._cached_lines]
        result.append({"width": width, "font_size": font_size, "lines": lines,
                       "texture_width": label.texture_size[0]})
print(json.dumps(result, ensure_ascii=False))
