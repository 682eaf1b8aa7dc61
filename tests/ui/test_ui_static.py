"""Checks on the UI's source that need no window: translations complete, contrast enough."""

import re
from pathlib import Path

import pytest

from kiosk.identity import ProblemKind
from screens.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "screens"
MARKED = re.compile(r"""\bN_\(\s*"((?:[^"\\]|\\.)+)"\)""")  # kiosk.visit's notices and errors
MSGID = re.compile(r"""tr\(\s*"((?:[^"\\]|\\.)+)"|(?:^|[\s(,\[])\(\s*"[a-z_]+",\s*[^,]+,\s*"([^"]+)"\)""", re.M)


def used_msgids() -> set[str]:
    ids: set[str] = set()
    # commands/ print to a terminal for maintainers (English); only the seeker's screens count
    for path in [*SCREENS.rglob("*.kv"), *SCREENS.glob("*.py"), *SCREENS.glob("widgets/*.py")]:
        for m in MSGID.finditer(path.read_text(encoding="utf-8")):
            ids.add(m.group(1) or m.group(2))
    for path in (ROOT / "kiosk" / "visit").glob("*.py"):
        ids.update(MARKED.findall(path.read_text(encoding="utf-8")))
    return ids


def test_every_ui_string_has_a_chinese_translation() -> None:
    ids = used_msgids()
    assert len(ids) > 30  # the scan found the strings at all
    assert Translator().missing(ids, "zh") == set()


def test_the_visits_msgids_are_scanned() -> None:
    assert {"Wrong PIN", "This job has been filled or withdrawn. Please choose another job.", "Staffed {hours}"} <= used_msgids()


def test_card_code_and_printer_messages_read_as_before() -> None:
    """Problems and routes carry a msgid; the catalogue gives exactly the Chinese the kiosk
    showed when they carried (zh, en) pairs."""
    from devices.printer.service import Problem, make_problem
    from kiosk.codes import _MSG
    from kiosk.i18n import sentences
    from kiosk.identity import _MESSAGES

    tr = Translator()
    assert tr(_MESSAGES[ProblemKind.EXPIRED], "zh") == "证件已过期，请使用有效证件。"
    assert tr(_MSG["used"], "zh") == "此维护码已使用过，请重新获取"
    assert Translator().missing([*_MESSAGES.values(), *_MSG.values()], "zh") == set()
    problem = make_problem(Problem.PAPER_OUT, "job:1")
    assert sentences(problem.msgids, "zh") == (
        "打印机没纸了，凭条暂时打不出来。请用手机扫描屏幕上的二维码保存信息。工作人员处理后会自动补打。")
    assert sentences(problem.msgids, "en") == ("The printer is out of paper. Scan the QR code on the screen "
                                               "with your phone instead. It will print automatically once "
                                               "the printer is fixed.")


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# (text colour, background) pairs the kv files use for text.
PAIRS = [
    ("text", "bg"), ("text", "surface"), ("muted", "bg"), ("muted", "surface"),
    ("primary", "bg"), ("primary", "surface"), ("on_primary", "primary"),
    ("on_primary", "accent"), ("on_primary", "muted"), ("on_primary", "chip_on"),
    ("text", "chip"), ("text", "banner"), ("danger", "bg"), ("muted", "chip"),
]


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_text_contrast_at_least_4_5(fg: str, bg: str) -> None:
    from screens.theme import COLORS

    assert contrast(COLORS[fg], COLORS[bg]) >= 4.5


def test_catalogue_is_compiled_once_and_recompiled_when_the_po_changes(tmp_path) -> None:  # noqa: ANN001
    import os
    import shutil

    from screens.i18n import LOCALE_DIR

    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    out = tmp_path / "cache"
    first = Translator(locale, out_dir=out)
    (mo,) = (out / "zh").glob("kiosk-*.mo")  # named by the .po's content hash
    assert first("Done", "zh") == "结束"
    built = mo.stat().st_mtime_ns
    Translator(locale, out_dir=out)
    assert mo.stat().st_mtime_ns == built and len(list((out / "zh").glob("*.mo"))) == 1  # once
    po = locale / "zh" / "LC_MESSAGES" / "kiosk.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "结束"', 'msgstr "完成"'), encoding="utf-8")
    # Even an edit that carries an older mtime (an update, another checkout) is compiled anew.
    os.utime(po, (mo.stat().st_mtime - 3600, mo.stat().st_mtime - 3600))
    assert Translator(locale, out_dir=out)("Done", "zh") == "完成"


def test_unwritable_cache_still_translates(tmp_path) -> None:  # noqa: ANN001
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    tr = Translator(out_dir=blocker / "locale")
    assert tr("Done", "zh") == "结束" and tr("Done", "en") == "Done"


def test_no_label_reads_text_as_markup() -> None:
    """Job, policy and config text come from the central API: a label with markup would turn
    "[size=200]" or "[ref=…]" in a job title into formatting (issue 11). No label uses markup;
    one that ever needs it must pass that text through kivy.utils.escape_markup."""
    uses = [
        f"{path.relative_to(SCREENS)}:{n}"
        for path in [*SCREENS.rglob("*.kv"), *SCREENS.rglob("*.py")]
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bmarkup\s*[:=]\s*True", line) and "escape_markup" not in line
    ]
    assert uses == []
