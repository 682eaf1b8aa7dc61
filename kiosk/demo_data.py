"""Fictional demo data (assets/demo/) for the kiosk demo, tests and benchmarks.

Job postings carry relative dates (start_in_days, duration_days, valid_days) so the demo never
goes stale; `load_jobs(today)` turns them into real dates. The rule is repeated in
assets/demo/README.md for the central server, which reads the same JSON without importing
`kiosk`.

Headless: no kivy. Files are read on each call (they are small); callers cache if they need to.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the functions that make them: the demo's first frame reads
    # only a station's names (screens.demo_setup.demo_opening)
    from kiosk.models import Job, Policy, Station

_RELATIVE_KEYS = ("start_in_days", "duration_days", "valid_days")


class DemoDataError(ValueError):
    """A demo file is missing or malformed; the message names the file and the item."""


def demo_dir() -> Path:
    """assets/demo/ of this checkout (the project is installed editable, assets are not a package)."""
    return Path(__file__).resolve().parent.parent / "assets" / "demo"


def _read(name: str, directory: Path | None) -> Any:
    path = (directory or demo_dir()) / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc


def load_counties(directory: Path | None = None) -> list[dict[str, Any]]:
    """Raw county records from stations.json: code, names, bounds, stations, staff."""
    doc = _read("stations.json", directory)
    counties = doc.get("counties") if isinstance(doc, dict) else None
    if not isinstance(counties, list):
        raise DemoDataError("stations.json: expected {\"counties\": [...]}")
    return counties


def load_stations(directory: Path | None = None) -> list[Station]:
    """Every station of every county; Station.county is the county code."""
    from kiosk.models import Station

    stations = []
    for county in load_counties(directory):
        for s in county.get("stations", []):
            try:
                stations.append(
                    Station(
                        id=str(s["id"]),
                        name=s["name"],
                        lat=float(s["lat"]),
                        lng=float(s["lng"]),
                        address=s.get("address", ""),
                        name_en=s.get("name_en", ""),
                        county=str(county["code"]),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise DemoDataError(f"stations.json: station {s.get('id')!r}: {exc!r}") from exc
    return stations


def materialise_job(raw: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Replace the relative date fields of one raw job with ISO start/end/valid_through.

    start_date = today + start_in_days; end_date = start_date + duration_days - 1 (a one-day
    gig starts and ends the same day); valid_through = today + valid_days.
    """
    start_in, duration, valid = (int(raw[k]) for k in _RELATIVE_KEYS)
    if start_in < 0 or duration < 1 or valid < 0:
        raise ValueError(f"bad relative dates {start_in}/{duration}/{valid}")
    start = today + dt.timedelta(days=start_in)
    wire = {k: v for k, v in raw.items() if k not in _RELATIVE_KEYS}
    wire["start_date"] = start.isoformat()
    wire["end_date"] = (start + dt.timedelta(days=duration - 1)).isoformat()
    wire["valid_through"] = (today + dt.timedelta(days=valid)).isoformat()
    return wire


def load_jobs(today: dt.date | None = None, directory: Path | None = None) -> list[Job]:
    """All demo jobs (both counties, open and closed) with dates relative to `today`."""
    from kiosk.models import Job

    today = today or dt.date.today()
    raw_jobs = _read("jobs.json", directory)
    if not isinstance(raw_jobs, list):
        raise DemoDataError("jobs.json: expected a list of jobs")
    jobs = []
    for raw in raw_jobs:
        try:
            jobs.append(Job.from_dict(materialise_job(raw, today)))
        except (KeyError, TypeError, ValueError) as exc:
            ident = raw.get("id") if isinstance(raw, dict) else None
            raise DemoDataError(f"jobs.json: job {ident!r}: {exc!r}") from exc
    return jobs


def load_job_dicts(today: dt.date | None = None, directory: Path | None = None) -> list[dict[str, Any]]:
    """Wire form (Job.to_dict, ISO dates) of `load_jobs(today)`."""
    return [job.to_dict() for job in load_jobs(today, directory)]


def load_policies(directory: Path | None = None) -> list[Policy]:
    """The policy articles (zh and en) from policies.json."""
    from kiosk.models import Policy

    raw = _read("policies.json", directory)
    if not isinstance(raw, list):
        raise DemoDataError("policies.json: expected a list of articles")
    try:
        return [Policy.from_dict(p) for p in raw]
    except (KeyError, TypeError, AttributeError) as exc:
        raise DemoDataError(f"policies.json: {exc!r}") from exc
