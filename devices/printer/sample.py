"""A fictional job and station for sample slips, the CLI and benchmarks (no real people)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kiosk.models import Job, Policy, Station

SAMPLE_TIME = dt.datetime(2026, 11, 23, 14, 5)

_DATA = json.loads(Path(__file__).with_name("sample.json").read_text(encoding="utf-8"))
SAMPLE_STATION = Station(**_DATA["station"])
_SAMPLE_JOB = _DATA["job"]
SAMPLE_JOB = Job.from_dict(_SAMPLE_JOB)
# The same job as live data really arrives (issue 21): GBK-only ideographs in names and places,
# symbols GB2312 lacks, 4-byte characters and emoji.
SAMPLE_JOB_RARE = Job.from_dict({**_SAMPLE_JOB, **_DATA["job_rare"]})
SAMPLE_POLICY = Policy(**_DATA["policy"])


def _sample_person() -> dict[str, str]:
    """The fictional 'resident' of assets/demo/cards.json: personal-data-shaped values live in
    the demo data, never in source files. Masked on paper."""
    path = Path(__file__).resolve().parents[2] / "assets" / "demo" / "cards.json"
    card = next(c for c in json.loads(path.read_text(encoding="utf-8"))["cards"] if c["label"] == "resident")
    return {"name": card["name"], "id_number": card["id_number"], "phone": "13900000001"}


SAMPLE_PERSON = _sample_person()
