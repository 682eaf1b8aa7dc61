"""English read-aloud says English only (issue 18 item 13): no "Chinese letter" for the job
data's Chinese words, money as "160 yuan per day", never "yen ... slash day". Checked on the
phonemes espeak-ng would speak, like the Mandarin test."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.pofile import read_po
from test_speech_mandarin import MAINTAINER_ONLY, PO, SAMPLE

from devices.speech import language_switches, library, phonemes, worded
from kiosk import demo_data
from kiosk.formatting import distance_text
from kiosk.i18n import joined

pytestmark = pytest.mark.skipif(library() is None, reason="espeakng-loader is a dependency (pyproject)")
CHINESE_LETTER = "tʃˈaɪniːz"  # what the English voice says for every Han character
WRONG = (CHINESE_LETTER, "jˈɛn", "slˈaʃ")  # "yen", "slash"


def _bad(text: str) -> list[str]:
    said = phonemes(worded(text, "en"), "en")
    return [w for w in WRONG if w in said] + language_switches(said)


def test_money_is_yuan_per_unit_in_english() -> None:
    assert worded("¥160/day", "en") == "160 yuan per day"
    assert phonemes(worded("¥160/day", "en"), "en") == "wˈɒnhˈʌndɹɪdən sˈɪksti jˈuːən pɜː dˈeɪ"


def test_chinese_words_are_left_out_of_english_speech() -> None:
    assert worded("学校保洁员 (holidays). 保洁. ¥160/day. 府前街23号. Print job slip", "en") == \
        "(holidays). 160 yuan per day. Print job slip"
    assert worded("张*，您好", "en") == ""


def test_every_english_prompt_is_spoken_in_english_only() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    prompts = [re.sub(r"\{(\w+)[^}]*\}", lambda g: SAMPLE.get(g.group(1), "5"), m.id)
               for m in catalog if m.id and not MAINTAINER_ONLY.match(m.id)]
    assert len(prompts) > 200
    assert {p: _bad(p) for p in prompts if _bad(p)} == {}


def test_every_demo_job_read_in_english_has_no_chinese_letters() -> None:
    """What the job list and the detail screen read for each demo job (screens/jobs.py,
    screens/job_detail.py put these parts together the same way)."""
    jobs = demo_data.load_jobs(dt.date(2026, 11, 23))
    assert len(jobs) > 100
    for job in jobs:
        lang = "en"
        detail = joined([job.title_text(lang), job.category_text(lang), job.pay_text(lang),
                         job.settlement_text(lang), job.employer, job.address, "Print job slip"], lang)
        row = joined([job.title_text(lang), job.pay_text(lang), job.settlement_text(lang),
                      distance_text(3.2, lang)], lang, "{first}, {second}")
        assert _bad(detail) == [] and _bad(row) == [], job.id
        assert "yuan per" in worded(detail, "en")


def test_a_number_after_a_colon_is_not_held_over_to_the_next_text() -> None:
    """espeak held "5" of "Job: 5" back and said it at the start of the next text."""
    assert phonemes("Job: 5", "en") == "dʒˈɒb fˈaɪv"
    assert phonemes("您想做什么") == "nˈiɜn ɕˈiɑ2ŋ tsˈuo5 s.ˈəɜn mˈo-1"
