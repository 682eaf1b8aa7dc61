"""Nearby jobs: the in-memory GeoIndex narrows and ranks, the store loads the page shown.

Only the page of full records that is shown is read from SQLite, so a query costs little
even with 100,000 cached jobs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from kiosk.filters import JobFilter
from kiosk.geo import bounding_box, haversine_km
from kiosk.geoindex import GeoIndex, haversine_km_np
from kiosk.models import Job, JobSummary
from kiosk.store import Store

_TIER_KM = 1e6  # a tier outweighs any distance on Earth in the ranking key


def tier(daily: bool, starts_by_today: bool) -> int:
    """The list's order (issue 18; home promises day-paid work first): 0 day-paid work that can start
    today, 1 other day-paid work, 2 other work starting today, 3 the rest; nearest first
    within a tier. Work that started earlier and is still open counts as today's."""
    return (0 if daily else 2) + (0 if starts_by_today else 1)


@dataclass(frozen=True)
class Hit:
    job: JobSummary | Job  # nearby() gives list-row summaries; the full-scan baseline, Jobs
    distance_km: float
    lat: float = 0.0  # where the job is: the map view places it (JobSummary has no position)
    lng: float = 0.0


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matches within the radius, before the limit


def nearby(
    store: Store,
    lat: float,
    lng: float,
    flt: JobFilter | None = None,
    limit: int = 50,
    today: dt.date | None = None,
    index: GeoIndex | None = None,
) -> SearchResult:
    """Open, still-valid jobs within flt.radius_km of (lat, lng): day-paid and today's first
    (see tier), nearest first within each.

    Pass a long-lived `index` (the app keeps one); without it one is built for this call.
    """
    today = today or dt.date.today()
    flt = flt or JobFilter()
    cols = (index or GeoIndex(store)).columns()
    reach = flt.reach_km
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, reach)
    lo = int(np.searchsorted(cols.lat, min_lat, side="left"))
    hi = int(np.searchsorted(cols.lat, max_lat, side="right"))
    band = slice(lo, hi)
    lngs = cols.lng[band]
    mask = (lngs >= min_lng) & (lngs <= max_lng) & cols.open[band]
    mask &= cols.valid_through[band] >= today.toordinal()
    for values, column in (
        (flt.categories, cols.category),
        ({str(v) for v in flt.pay_units}, cols.pay_unit),
        ({str(v) for v in flt.settlements}, cols.settlement),
    ):
        if values:
            # A few == passes beat np.isin's sort-based path for the 1-3 values a chip row has.
            part = column[band]
            any_of = np.zeros(len(part), np.bool_)
            for v in values:
                if v in cols.codes:
                    any_of |= part == cols.codes[v]
            mask &= any_of
    if flt.start_from:
        mask &= cols.start[band] >= flt.start_from.toordinal()
    if flt.start_to:
        mask &= cols.start[band] <= flt.start_to.toordinal()
    if flt.seeker_age is not None:
        mask &= (cols.age_min[band] <= flt.seeker_age) & (cols.age_max[band] >= flt.seeker_age)
    idx = np.nonzero(mask)[0] + lo
    dist = haversine_km_np(lat, lng, cols.lat[idx], cols.lng[idx])
    inside = dist <= reach
    idx, dist = idx[inside], dist[inside]
    daily_code = cols.codes.get("daily", -1)
    daily, by_today = cols.settlement[idx] == daily_code, cols.start[idx] <= today.toordinal()
    tiers = np.where(daily, np.where(by_today, 0, 1), np.where(by_today, 2, 3))
    key = tiers * _TIER_KM + dist  # the limit keeps the first tiers, not only the nearest
    if len(idx) > limit:
        part = np.argpartition(key, limit - 1)[:limit]
        idx, dist, key = idx[part], dist[part], key[part]
    order = np.argsort(key, kind="stable")
    rowids = [int(r) for r in cols.rowid[idx[order]]]
    jobs = store.job_summaries(rowids)
    idx = idx[order]
    hits = [Hit(jobs[r], float(d), float(la), float(ln))
            for r, d, la, ln in zip(rowids, dist[order], cols.lat[idx], cols.lng[idx], strict=True)]
    return SearchResult(hits, total=int(inside.sum()))


def full_scan_nearby(
    jobs: list[Job], lat: float, lng: float, flt: JobFilter, limit: int = 50, today: dt.date | None = None
) -> list[Hit]:
    """Baseline for tests and benchmarks: haversine over every job, no index."""
    today = today or dt.date.today()
    hits = []
    for job in jobs:
        if job.status != "open" or (job.valid_through and job.valid_through < today):
            continue
        if flt.categories and job.category not in flt.categories:
            continue
        if flt.pay_units and job.pay_unit not in flt.pay_units:
            continue
        if flt.settlements and job.settlement not in flt.settlements:
            continue
        if flt.start_from and job.start_date < flt.start_from:
            continue
        if flt.start_to and job.start_date > flt.start_to:
            continue
        if flt.seeker_age is not None and not (
            (job.requirements.age_min or 0) <= flt.seeker_age <= (job.requirements.age_max or 200)
        ):
            continue
        d = haversine_km(lat, lng, job.lat, job.lng)
        if d <= flt.reach_km:
            hits.append(Hit(job, d, job.lat, job.lng))
    hits.sort(key=lambda h: (tier(h.job.settlement == "daily", h.job.start_date <= today), h.distance_km, h.job.id))
    return hits[:limit]
