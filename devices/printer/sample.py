"""A fictional job and station for sample slips, the CLI and benchmarks (no real people)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kiosk.models import Job, Policy, Station

SAMPLE_TIME = dt.datetime(2026, 11, 23, 14, 5)

SAMPLE_STATION = Station(
    id="demo-park", name="示范公园零工驿站", lat=30.0, lng=117.0,
    address="示范区公园路1号", name_en="Demo Park Gig Station",
)

_SAMPLE_JOB = {
    "id": "qh-0001",
    "title": "商场保洁员（日班）",
    "category": "保洁",
    "employer": "示范物业服务有限公司",
    "headcount": 5,
    "pay_amount": 180,
    "pay_unit": "day",
    "settlement": "daily",
    "start_date": "2026-11-24",
    "end_date": "2026-11-30",
    "daily_hours": "08:00-17:00",
    "address": "示范区人民路88号万象商场B1层物业办公室",
    "lat": 30.0102,
    "lng": 117.0125,
    "contact": "王经理 0556-0000000",
    "directions": "乘3路、12路公交到万象商场站，向北步行200米",
    "requirements": {"age_min": 18, "age_max": 55, "notes": "吃苦耐劳，有保洁经验优先"},
}
SAMPLE_JOB = Job.from_dict(_SAMPLE_JOB)

# The same job as live data really arrives (issue 21): GBK-only ideographs in names and places,
# symbols GB2312 lacks, 4-byte characters and emoji.
SAMPLE_JOB_RARE = Job.from_dict({
    **_SAMPLE_JOB,
    "id": "qh-0002",
    "employer": "喆堃物业（珺昇镕赟）有限公司",
    "address": "示范区垚彧路8号 • 祎园B1层（约50㎡）",
    "contact": "王经理 – 0556-0000000 © 𠮷",
    "requirements": {"age_min": 18, "age_max": 55, "notes": "日结 • 包午餐 😀 ® 二〇二六年"},
})

SAMPLE_POLICY = Policy(
    id="p-001",
    title="灵活就业人员社保补贴",
    summary="符合条件的灵活就业人员可申请社会保险补贴。",
    body="申请条件：登记失业后灵活就业、缴纳社会保险。\n办理地点：县人社局服务大厅或各零工驿站。\n"
    "所需材料：身份证、社保缴费凭证（示例文本，非真实政策）。",
)

def _sample_person() -> dict[str, str]:
    """The fictional 'resident' of assets/demo/cards.json: personal-data-shaped values live in
    the demo data, never in source files. Masked on paper."""
    path = Path(__file__).resolve().parents[2] / "assets" / "demo" / "cards.json"
    card = next(c for c in json.loads(path.read_text(encoding="utf-8"))["cards"] if c["label"] == "resident")
    return {"name": card["name"], "id_number": card["id_number"], "phone": "13900000001"}


SAMPLE_PERSON = _sample_person()
