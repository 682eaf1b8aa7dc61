"""The fictional demo data in assets/demo/ and its loader kiosk/demo_data.py."""

from __future__ import annotations

import collections
import datetime as dt
import importlib.util
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import demo_data
from kiosk.models import CATEGORIES_ZH_EN, Job, JobStatus, PayUnit, Settlement
from kiosk.privacy import _ID15_RE, _ID_RE, _PHONE_RE

TODAY = dt.date(2026, 3, 14)
FILES = ("stations.json", "jobs.json", "policies.json")


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def jobs() -> list[Job]:
    return demo_data.load_jobs(TODAY)


@pytest.fixture(scope="module")
def raw_jobs() -> list[dict[str, Any]]:
    return json.loads((demo_data.demo_dir() / "jobs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stations() -> dict[str, Any]:
    return {s.id: s for s in demo_data.load_stations()}


def _county(job_id: str) -> str:
    return {"qh": "qinghe", "lt": "liutang"}[job_id.split("-")[0]]


# --------------------------------------------------------------------------- stations


def test_two_counties_with_a_park_and_a_mall_station_each() -> None:
    counties = demo_data.load_counties()
    assert [c["code"] for c in counties] == ["qinghe", "liutang"]
    for county in counties:
        kinds = sorted(s["kind"] for s in county["stations"])
        assert kinds == ["mall", "park"]
        for s in county["stations"]:
            assert s["name"] and s["name_en"] and s["address"] and s["address_en"]
            b = county["bounds"]
            assert b["south"] < s["lat"] < b["north"] and b["west"] < s["lng"] < b["east"]


def test_station_positions(stations: dict[str, Any]) -> None:
    assert set(stations) == {"qh-park", "qh-mall", "lt-park", "lt-mall"}
    assert (stations["qh-park"].lat, stations["qh-park"].lng) == (31.3021, 117.2468)
    park_to_mall = _km((stations["qh-park"].lat, stations["qh-park"].lng),
                       (stations["qh-mall"].lat, stations["qh-mall"].lng))
    assert 3.0 <= park_to_mall <= 5.0
    assert abs(stations["lt-park"].lat - 30.95) < 0.05 and abs(stations["lt-park"].lng - 117.80) < 0.05
    assert stations["lt-mall"].county == "liutang" and stations["qh-park"].county == "qinghe"


def test_county_bounds_do_not_overlap() -> None:
    a, b = (c["bounds"] for c in demo_data.load_counties())
    apart = a["east"] < b["west"] or b["east"] < a["west"] or a["north"] < b["south"] or b["north"] < a["south"]
    assert apart


def test_staff_are_usernames_without_secrets() -> None:
    names = []
    for county in demo_data.load_counties():
        prefix = {"qinghe": "qh-", "liutang": "lt-"}[county["code"]]
        assert county["staff"], county["code"]
        for member in county["staff"]:
            assert set(member) <= {"username", "role", "display_name"}
            assert member["username"].startswith(prefix)
            names.append(member["username"])
    assert "qh-admin" in names and len(names) == len(set(names))


# --------------------------------------------------------------------------- jobs


def test_job_counts_and_ids(jobs: list[Job]) -> None:
    ids = [j.id for j in jobs]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(qh|lt)-\d{4}", i) for i in ids)
    per_county = collections.Counter(_county(i) for i in ids)
    assert len(jobs) >= 200 and per_county["qinghe"] >= 160 and per_county["liutang"] >= 40


def test_every_category_used_at_least_eight_times(jobs: list[Job]) -> None:
    counts = collections.Counter(j.category for j in jobs)
    assert set(counts) == set(CATEGORIES_ZH_EN)
    assert min(counts.values()) >= 8, counts


def test_coordinates_inside_their_county(jobs: list[Job]) -> None:
    counties = {c["code"]: c for c in demo_data.load_counties()}
    for j in jobs:
        county = counties[_county(j.id)]
        b = county["bounds"]
        assert b["south"] <= j.lat <= b["north"] and b["west"] <= j.lng <= b["east"], j.id
        assert j.address.startswith(county["name"]), j.id
        assert j.district and j.district in j.address, j.id


def test_distances_from_qinghe_park_spread(jobs: list[Job], stations: dict[str, Any]) -> None:
    park = (stations["qh-park"].lat, stations["qh-park"].lng)
    dists = [_km(park, (j.lat, j.lng)) for j in jobs if j.id.startswith("qh-")]
    assert min(dists) >= 0.2 and max(dists) <= 25.0
    within_10 = sum(d <= 10 for d in dists)
    assert within_10 / len(dists) >= 0.6  # most jobs are in or near the county town
    assert sum(d > 10 for d in dists) >= 20  # ... but the radius filter matters
    assert sum(d > 15 for d in dists) >= 10
    assert sum(d <= 2 for d in dists) >= 10  # some right next to the park station
    lt_park = (stations["lt-park"].lat, stations["lt-park"].lng)
    lt = [_km(lt_park, (j.lat, j.lng)) for j in jobs if j.id.startswith("lt-")]
    assert max(lt) <= 25.0 and min(_km(park, (j.lat, j.lng)) for j in jobs if j.id.startswith("lt-")) > 40


def test_pay_units_and_settlements_realistic(jobs: list[Job]) -> None:
    assert {j.pay_unit for j in jobs} == set(PayUnit)
    settlements = collections.Counter(j.settlement for j in jobs)
    assert set(settlements) == set(Settlement)
    assert settlements.most_common(1)[0][0] == Settlement.DAILY
    for j in jobs:
        if j.pay_unit == PayUnit.HOUR:
            assert 18 <= j.pay_amount <= 30, j.id
        elif j.pay_unit == PayUnit.DAY:
            assert 150 <= j.pay_amount <= 350, j.id
        else:
            assert 0 < j.pay_amount < 20, j.id
    for cat in ("农业采摘", "快递配送"):
        assert any(j.pay_unit in (PayUnit.PIECE, PayUnit.ORDER) for j in jobs if j.category == cat)


def test_fields_look_like_real_postings(jobs: list[Job]) -> None:
    titles = {j.title for j in jobs}
    assert len(titles) >= 100  # varied, not 保洁员1, 保洁员2
    for j in jobs:
        assert not re.search(r"\d$", j.title), j.title
        assert re.search(r"[\u4e00-\u9fff]", j.title) and re.search(r"[\u4e00-\u9fff]", j.employer)
        assert j.headcount >= 1
        assert re.fullmatch(r"\d\d:\d\d-\d\d:\d\d(,\d\d:\d\d-\d\d:\d\d)?", j.daily_hours), j.daily_hours
        req = j.requirements
        assert req.age_min is not None and req.age_max is not None
        assert 16 <= req.age_min < req.age_max <= 65 and req.notes
        assert j.contact and j.directions
    closed = sum(j.status == JobStatus.CLOSED for j in jobs)
    assert 1 <= closed <= len(jobs) // 10


def test_dates_are_relative_to_today(raw_jobs: list[dict[str, Any]], jobs: list[Job]) -> None:
    starts = collections.Counter(r["start_in_days"] for r in raw_jobs)
    assert min(starts) == 0 and max(starts) <= 14
    assert starts[0] + starts[1] >= len(raw_jobs) // 4  # many start today or tomorrow
    for raw in raw_jobs:
        assert not {"start_date", "end_date", "valid_through"} & set(raw)
        assert raw["county"] == _county(raw["id"])  # central's seed-demo reads this key
        assert 1 <= raw["duration_days"] <= 60
    by_id = {j.id: j for j in jobs}
    for raw in raw_jobs:
        j = by_id[raw["id"]]
        assert j.start_date == TODAY + dt.timedelta(days=raw["start_in_days"])
        assert (j.end_date - j.start_date).days + 1 == raw["duration_days"]
        assert j.valid_through == TODAY + dt.timedelta(days=raw["valid_days"])
        assert j.valid_through >= j.start_date  # the posting is still up when the work starts
    later = demo_data.load_jobs(TODAY + dt.timedelta(days=400))
    assert later[0].start_date - jobs[0].start_date == dt.timedelta(days=400)


def test_jobs_round_trip_through_wire_form(jobs: list[Job]) -> None:
    dicts = demo_data.load_job_dicts(TODAY)
    assert dicts == [j.to_dict() for j in jobs]
    for d, j in zip(dicts, jobs, strict=True):
        assert Job.from_dict(d) == j
        assert Job.from_dict(json.loads(json.dumps(d, ensure_ascii=False))) == j
        assert d["start_date"] == j.start_date.isoformat()


def test_default_today_is_the_current_date() -> None:
    first = demo_data.load_jobs()[0]
    raw = json.loads((demo_data.demo_dir() / "jobs.json").read_text(encoding="utf-8"))[0]
    assert first.start_date == dt.date.today() + dt.timedelta(days=raw["start_in_days"])


# --------------------------------------------------------------------------- policies


def test_policies_bilingual_and_sized() -> None:
    policies = demo_data.load_policies()
    assert len(policies) >= 12
    assert len({p.id for p in policies}) == len(policies)
    for p in policies:
        assert re.fullmatch(r"pol-\d\d", p.id)
        for value in (p.category, p.title, p.summary, p.body):
            assert re.search(r"[\u4e00-\u9fff]", value), p.id
        for value in (p.title_en, p.summary_en, p.body_en):
            assert value.isascii() and len(value) > 10, p.id
        assert len(p.summary) <= 60, p.id
        assert 250 <= len(re.sub(r"\s", "", p.body)) <= 600, p.id
        assert len(p.body_en) < 3 * len(p.body)
        assert dt.date.fromisoformat(p.updated_at)
        assert "12333" in p.body, p.id  # every article says where to ask


def test_policies_cover_the_required_measures() -> None:
    titles = " ".join(p.title for p in demo_data.load_policies())
    for topic in ("灵活就业", "职业培训", "创业担保贷款", "就业困难人员", "公益性岗位", "零工",
                  "失业保险金", "工资", "防骗", "12333", "见习", "大龄", "工伤", "职业伤害"):
        assert topic in titles, topic


# --------------------------------------------------------------------------- privacy & format


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", FILES)
def test_no_id_numbers_or_real_looking_phones(name: str) -> None:
    text = (demo_data.demo_dir() / name).read_text(encoding="utf-8")
    for s in _strings(json.loads(text)):
        assert not _ID_RE.search(s) and not _ID15_RE.search(s), s
        assert not re.search(r"\d{15,}", s), s
        for m in _PHONE_RE.finditer(s):
            assert re.fullmatch(r"139-0000-\d{4}", m.group(0)), s
        for m in re.finditer(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)", s):
            assert re.fullmatch(r"0551-6\d{7}", m.group(0)), s


def test_contacts_use_fictional_numbers(jobs: list[Job]) -> None:
    for j in jobs:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4} (139-0000-\d{4}|0551-6\d{7})", j.contact), j.contact


@pytest.mark.parametrize("name", FILES)
def test_files_are_pretty_utf8_json(name: str) -> None:
    text = (demo_data.demo_dir() / name).read_text(encoding="utf-8")
    assert "\\u" not in text and "\n  " in text
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_committed_json_matches_generator() -> None:
    path = demo_data.demo_dir() / "generate.py"
    spec = importlib.util.spec_from_file_location("demo_generate", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    for name, doc in module.build().items():
        on_disk = json.loads((demo_data.demo_dir() / name).read_text(encoding="utf-8"))
        assert doc == on_disk, f"{name} is out of date: run assets/demo/generate.py"


# --------------------------------------------------------------------------- broken data


def test_broken_job_names_the_file_and_job(tmp_path: Path, raw_jobs: list[dict[str, Any]]) -> None:
    bad = [dict(raw_jobs[0]), dict(raw_jobs[1], pay_unit="month")]
    (tmp_path / "jobs.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(demo_data.DemoDataError, match=raw_jobs[1]["id"]):
        demo_data.load_jobs(TODAY, directory=tmp_path)
    missing_dates = [{k: v for k, v in raw_jobs[0].items() if k != "duration_days"}]
    (tmp_path / "jobs.json").write_text(json.dumps(missing_dates), encoding="utf-8")
    with pytest.raises(demo_data.DemoDataError, match="duration_days"):
        demo_data.load_jobs(TODAY, directory=tmp_path)


def test_missing_or_invalid_files_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(demo_data.DemoDataError, match="stations.json"):
        demo_data.load_stations(directory=tmp_path)
    (tmp_path / "policies.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(demo_data.DemoDataError, match="policies.json"):
        demo_data.load_policies(directory=tmp_path)
