"""Receipt model, display-width wrapping and the slips (device-neutral)."""

from __future__ import annotations

import dataclasses

import pytest

from devices.printer.sample import (
    SAMPLE_JOB,
    SAMPLE_PERSON,
    SAMPLE_POLICY,
    SAMPLE_STATION,
    SAMPLE_TIME,
)
from kiosk import receipts as r


def test_cjk_counts_two_columns() -> None:
    assert r.text_width("abc") == 3
    assert r.text_width("零工") == 4
    assert r.text_width("￥180，") == 2 + 3 + 2
    assert r.text_width("e\u0301") == 1  # combining accent takes no column


@pytest.mark.parametrize("width", [8, 16, 32, 48])
def test_wrap_never_exceeds_width_and_keeps_text(width: int) -> None:
    text = "示范区人民路88号万象商场B1层物业办公室，乘3路、12路公交到站 call 0556-0000000 now"
    lines = r.wrap(text, width)
    assert all(r.text_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_wrap_keeps_ascii_words_and_punctuation_rules() -> None:
    assert r.wrap("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]  # over-long word: hard split
    lines = r.wrap("你好，世界。", 5)
    assert not any(line.startswith(("，", "。")) for line in lines)
    lines = r.wrap("商场保洁员日（班）", 14)
    assert not any(line.endswith("（") for line in lines)
    assert r.wrap("工作时间 08:00-17:00", 14) == ["工作时间", "08:00-17:00"]


@pytest.mark.parametrize("paper", [r.PAPER_58, r.PAPER_80])
def test_every_slip_fits_the_paper(paper: r.Paper) -> None:
    slips = [
        r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME),
        r.application_receipt(**SAMPLE_PERSON, job=SAMPLE_JOB, station=SAMPLE_STATION,
                              reference="A-1", queued=False, printed_at=SAMPLE_TIME),
        r.policy_slip(SAMPLE_POLICY, SAMPLE_STATION, printed_at=SAMPLE_TIME),
        r.maintenance_test_page(SAMPLE_STATION, printed_at=SAMPLE_TIME, device_status={"printer": "ok"}, paper=paper),
    ]
    for slip in slips:
        for line in r.layout(slip, paper):
            if isinstance(line, r.Line) and not line.raw_charset:  # test-page probes may overrun
                assert r.text_width(line.text) * line.size <= paper.columns, line


def test_job_slip_has_everything_the_issue_lists() -> None:
    slip = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
    text = r.plain_text(r.layout(slip, r.PAPER_80), r.PAPER_80)
    for needle in (SAMPLE_JOB.title, SAMPLE_JOB.employer, "180元/天", "日结", "2026年11月24日",
                   "08:00-17:00", "万象商场", "距离本站", "约1.7公里", "乘3路", SAMPLE_JOB.contact,
                   "参考编号", "QH-0001-11231405", SAMPLE_STATION.name, "2026-11-23 14:05", "12333",
                   "个人信息"):
        assert needle in text.replace("\n          ", ""), needle
    assert slip.qr_data == "job:qh-0001"
    assert slip.reference == "QH-0001-11231405"


def test_application_receipt_masks_and_keeps_no_raw_personal_data() -> None:
    slip = r.application_receipt(**SAMPLE_PERSON, job=SAMPLE_JOB, station=SAMPLE_STATION,
                                 reference="A-1", queued=True, printed_at=SAMPLE_TIME)
    dump = repr(dataclasses.asdict(slip))
    for raw in SAMPLE_PERSON.values():
        assert raw not in dump
    idn, name = SAMPLE_PERSON["id_number"], SAMPLE_PERSON["name"]
    assert f"{idn[:4]}**********{idn[-4:]}" in dump and f"{name[0]}*{name[-1]}" in dump
    assert "139****0001" in dump
    assert "联网后自动发送" in dump  # queued while offline
    online = r.application_receipt(**SAMPLE_PERSON, job=SAMPLE_JOB, station=SAMPLE_STATION,
                                   reference="A-1", queued=False, printed_at=SAMPLE_TIME)
    assert "联网后自动发送" not in repr(online)


def test_distance_text() -> None:
    assert r.distance_text(0.25) == "约250米"
    assert r.distance_text(3.04) == "约3.0公里"


def test_county_footer_is_printed_last_and_only_when_set() -> None:
    at = SAMPLE_TIME
    note = "青禾县就业服务中心 0556-0000000"
    with_note = r.plain_text(r.layout(r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=at, footer=note), r.PAPER_58),
                             r.PAPER_58)
    assert with_note.rstrip().splitlines()[-1].strip() == note
    plain = r.plain_text(r.layout(r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=at), r.PAPER_58), r.PAPER_58)
    assert note not in plain and len(plain.splitlines()) < len(with_note.splitlines())
