"""Chinese line breaking on screen: "。" never starts a line, "（" never ends one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.linebreak import NO_LINE_END, NO_LINE_START
from tests.ui.conftest import with_display

pytestmark = pytest.mark.ui
PROBE = Path(__file__).resolve().parent / "linebreak_probe.py"
TEXT = (
    "灵活就业人员参加企业职工基本养老保险，可按规定申请社会保险补贴。补贴标准和期限由各地确定，"
    "一般不超过三年。请带好身份证（原件）到街道办理，咨询电话 12333，工作日 08:30-17:00。"
)


def layouts(*extra: str) -> list[dict]:
    proc = subprocess.run(with_display([sys.executable, str(PROBE), TEXT, *extra]), capture_output=True,
                          text=True, timeout=120, env=os.environ | {"KIVY_NO_CONSOLELOG": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def violations(layout: dict) -> list[str]:
    lines = layout["lines"]
    bad = [line for line in lines[1:] if line[:1] in NO_LINE_START]
    return bad + [line for line in lines[:-1] if line[-1:] in NO_LINE_END]


def test_labels_follow_chinese_line_breaking_rules() -> None:
    results = layouts()
    assert len(results) > 150
    for layout in results:
        assert layout["texture_width"] <= layout["width"], layout  # every line fits
        assert "".join(layout["lines"]).replace(" ", "") == TEXT.replace(" ", "")
        if layout["width"] >= 8 * layout["font_size"]:  # 8+ characters a line, as on the kiosk
            assert not violations(layout), layout
            assert "08:30-17:00" in "\n".join(layout["lines"])  # kept whole
            # No line of one character left behind by Kivy wrapping a line again.
            assert all(len(line) > 1 for line in layout["lines"][:-1]), layout


def test_kivy_alone_breaks_them() -> None:
    # What the fix is for: without it, the same labels put "。" or "，" at line starts.
    assert sum(bool(violations(layout)) for layout in layouts("plain")) > 20
