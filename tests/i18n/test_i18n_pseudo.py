"""A third language is one .po file: a pseudo-locale catalogue, generated here from the zh
catalogue's msgids, translates every slip, every problem, every scanned-code message and every
msgid the screens use, with nothing left in English or Chinese.

Pseudo-translation keeps {placeholders} and swaps each ASCII letter for an accented one, so
any plain ASCII letter (or Chinese character) left in the output came from code, not from the
catalogue. The data (job, station, policy) is Greek for the same reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk import i18n
from kiosk.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "assets" / "locale" / "zh" / "LC_MESSAGES" / "kiosk.po"
PSEUDO = "xx"
_PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ACCENTED = "ÀƁĆĎÉƑĜĤÍĴĶĹṀŃÓṔǪŔŚŤÚṼŴẊÝŹàƀćďéƒĝĥíĵķĺṁńóṕǫŕśťúṽŵẋýź"
_SWAP = str.maketrans(_PLAIN, _ACCENTED)
PLACEHOLDER = re.compile(r"(\{[^{}]*\})")
LEFT_OVER = re.compile(r"[A-Za-z]|[\u3000-\u303f\u3400-\u9fff\uff01-\uff5e]")  # English or Chinese

# Kiosk, devices and screens: N_("…") marks, and the screens' tr("…") / t("…") / chip tuples.
MARKED = re.compile(r"""\b(?:N_|tr)\(\s*(["'])((?:(?!\1)[^\\]|\\.)+)\1\s*[,)]""")
SCREEN_CALL = re.compile(
    r"""\b(?:tr|t)\(\s*"((?:[^"\\]|\\.)+)"|(?:^|[\s(,\[])\(\s*"[a-z_]+",\s*[^,]+,\s*"([^"]+)"\)""", re.M)


def pseudo(msgid: str) -> str:
    return "".join(p if PLACEHOLDER.fullmatch(p) else p.translate(_SWAP) for p in PLACEHOLDER.split(msgid))


def _po_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def catalogue_msgids() -> set[str]:
    with ZH_PO.open("rb") as fh:
        return {m.id for m in read_po(fh, locale="zh") if m.id}


def write_pseudo_catalogue(locale_dir: Path) -> set[str]:
    """The one file a new language needs: assets/locale/<lang>/LC_MESSAGES/kiosk.po."""
    msgids = catalogue_msgids()
    po = locale_dir / PSEUDO / "LC_MESSAGES" / "kiosk.po"
    po.parent.mkdir(parents=True)
    entries = "".join(f"\nmsgid {_po_string(m)}\nmsgstr {_po_string(pseudo(m))}\n" for m in sorted(msgids))
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n' + entries, encoding="utf-8")
    return msgids


def scanned_msgids() -> set[str]:
    """Every msgid the code names, found without importing it."""
    ids: set[str] = set()
    for package in ("kiosk", "devices", "screens"):
        for path in (ROOT / package).rglob("*.py"):
            if "commands" in path.parts:  # maintainers' terminal commands: English
                continue
            ids.update(m.group(2) for m in MARKED.finditer(path.read_text(encoding="utf-8")))
    for path in [*(ROOT / "screens").rglob("*.kv"), *(ROOT / "screens").glob("*.py"),
                 *(ROOT / "screens").glob("widgets/*.py")]:
        for m in SCREEN_CALL.finditer(path.read_text(encoding="utf-8")):
            ids.add(m.group(1) or m.group(2))
    return {i.encode().decode("unicode_escape") if "\\" in i else i for i in ids}


@pytest.fixture(scope="module")
def pseudo_tr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Translator]:
    root = tmp_path_factory.mktemp("pseudo")
    write_pseudo_catalogue(root / "locale")
    tr = Translator(root / "locale", out_dir=root / "cache")
    old = i18n.install(tr)
    yield tr
    i18n.install(old)


def test_a_new_language_is_found_from_its_po_file_alone(pseudo_tr: Translator) -> None:
    assert pseudo_tr.languages == ("en", PSEUDO)
    assert i18n.tr("Done", PSEUDO) == pseudo("Done") != "Done"


def test_every_msgid_in_the_code_is_in_the_catalogue(pseudo_tr: Translator) -> None:
    ids = scanned_msgids()
    assert len(ids) > 150  # the scan found them: screens, visit, problems, codes, slips, dates
    assert {"Wrong PIN", "The printer is out of paper.", "Code not recognised", "Gig job information",
            "Starts {date}", "¥{amount}/day", "{first}. {second}", "Browse jobs"} <= ids
    assert ids - catalogue_msgids() == set()  # (pseudo_tr.missing would count "{a}, {b}" too)
    assert [m for m in ids if LEFT_OVER.search(PLACEHOLDER.sub("", pseudo_tr(m, PSEUDO)))] == []


def test_problems_and_codes_read_in_the_new_language(pseudo_tr: Translator) -> None:
    from devices.printer.service import Problem, make_problem
    from kiosk.codes import _MSG
    from kiosk.identity import _MESSAGES, CARD_TYPE_NAME

    texts = [i18n.sentences(make_problem(kind, "job:1").msgids, PSEUDO) for kind in Problem]
    texts += [i18n.tr(m, PSEUDO) for m in [*_MSG.values(), *_MESSAGES.values(), *CARD_TYPE_NAME.values()]]
    assert len(texts) > 20
    assert [t for t in texts if LEFT_OVER.search(t)] == []


def test_dates_distances_and_money_in_the_new_language(pseudo_tr: Translator) -> None:
    from kiosk.formatting import date_range_text, distance_text, long_date, start_text
    from kiosk.models import PayUnit, Settlement, pay_text, settlement_text

    today = dt.date(2026, 3, 7)
    texts = [start_text(today + dt.timedelta(days=d), today, PSEUDO) for d in (-1, 0, 1, 5)]
    texts += [date_range_text(today, today + dt.timedelta(days=40), PSEUDO), long_date(today, PSEUDO),
              distance_text(0.4, PSEUDO), distance_text(3.2, PSEUDO)]
    texts += [pay_text(180, u, PSEUDO) for u in PayUnit] + [settlement_text(s, PSEUDO) for s in Settlement]
    texts.append(i18n.joined(["α", "β", "γ"], PSEUDO))
    assert [t for t in texts if LEFT_OVER.search(t)] == []


def _greek_world() -> tuple:
    from kiosk.models import Job, Policy, Station

    station = Station(id="0042", name="Σταθμός", lat=30.0, lng=117.0)
    job = Job.from_dict({
        "id": "1234", "title": "Καθαριστής", "category": "保洁", "employer": "Εταιρεία", "headcount": 5,
        "pay_amount": 180, "pay_unit": "day", "settlement": "daily", "start_date": "2026-11-24",
        "end_date": "2026-11-30", "daily_hours": "", "address": "Οδός 8", "lat": 30.0102, "lng": 117.0125,
        "contact": "", "directions": "Λεωφορείο 3", "requirements": {"age_min": 18, "age_max": 55, "notes": "Πείρα"},
    })
    policy = Policy(id="7", title="Επίδομα", summary="Περίληψη", body="Πρώτο\nΔεύτερο")
    return station, job, policy


@pytest.mark.parametrize("kind", ["job", "application", "queued", "policy", "test"])
@pytest.mark.parametrize("width", [58, 80])
def test_every_slip_is_wholly_in_the_new_language(pseudo_tr: Translator, kind: str, width: int) -> None:
    from kiosk import receipts as r

    station, job, policy = _greek_world()
    at = dt.datetime(2026, 11, 23, 14, 5)
    if kind == "job":
        slip = r.job_slip(job, station, printed_at=at, lang=PSEUDO)
    elif kind in ("application", "queued"):
        slip = r.application_receipt(name="Ελένη", id_number="110101199003074719", phone="13800138000",
                                     job=job, station=station, reference="5678", queued=kind == "queued",
                                     printed_at=at, lang=PSEUDO)
    elif kind == "policy":
        slip = r.policy_slip(policy, station, printed_at=at, lang=PSEUDO)
    else:
        slip = r.maintenance_test_page(station, printed_at=at, device_status={"εκτυπωτής": "ΟΚ"},
                                       software="1.0", paper=r.paper_for(width), lang=PSEUDO)
    # The test page's charset probes and its ASCII sample are sent as they are, on purpose.
    blocks = tuple(b for b in slip.blocks if not (isinstance(b, r.Text) and b.text.startswith("ASCII: ")))
    lines = [ln for ln in r.layout(replace(slip, blocks=blocks), r.paper_for(width)) if isinstance(ln, r.Line)]
    words = [ln.text for ln in lines if ln.raw_charset is None]
    assert len(words) > 8
    assert [w for w in words if LEFT_OVER.search(w)] == []


def test_category_names_come_from_the_catalogue() -> None:
    from kiosk.models import CATEGORIES_ZH_EN

    zh = Translator()
    assert [zh(en, "zh") for en in CATEGORIES_ZH_EN.values()] == list(CATEGORIES_ZH_EN)


def test_few_chinese_literals_are_left_in_the_code() -> None:
    """Words a person reads live in the catalogue or a data file (bench/zh_literals.py lists
    what is left: charset probes, card data values, test payloads). Issue 15: at most 30."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("zh_literals", ROOT / "bench" / "zh_literals.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.count_source('"""文档"""\nx = "中文"  # 注释\ny = f"{x}元"\n') == [(2, "中文"), (3, "元")]
    assert sum(bench.count().values()) <= 30
