"""Matching jobs to standing registrations (issue 16): the rules as pure functions, and the
database layer that keeps the `matches` table in step with jobs and registrations.

A job matches an open registration when all of these hold (`fits`):
- the job is open and still valid (valid_through and end_date not past, China time);
- category: the registration wants the job's category, or any category;
- distance: straight-line (haversine) km from the registration's station to the job is within
  its reach: 1/3/5/10 km, or "15 minutes" = walk_minutes(d) <= 15 with the model of
  CONTRACTS.md (road = 1.3 × straight line, walking 4.5 km/h: d <= 0.865 km);
- days: one of the job's remaining working days (max(start, today)..end_date) falls on a
  wanted weekday, or any day is wanted;
- settlement: the job's settlement is the wanted one (daily / weekly), or any;
- pay: no minimum, or the job pays in the same unit at least that much (another unit never
  satisfies a minimum: 150 a day says nothing about 20 an hour);
- age on the job's first remaining working day, from the card's birth date, within the job's
  requirements.age_min / age_max.

Score (0..100, higher first on the staff's list):
  50 × (1 − d / reach)                       closer, relative to how far the person will go
+ 30 × (named_category + named_days + pay) / 3   fit: 1 for a category / weekday the person
                                             named (0.5 for "any"); pay: 0.5 without a
                                             minimum, else 0.5 + 2.5 × (pay / minimum − 1),
                                             at most 1 (20 % above the minimum is full marks)
+ 20 × min(1, registration age in days / 30)  older registrations first (they waited longer)

Speed: the candidates of a job come from `registration_wants` (one row per open registration
and wanted category, every rule's value copied in SQL-friendly columns) with one indexed query
on (category, station, reach) for the stations within MAX_REACH_KM of the job (a bounding box
on the stations' lat/lng first), all rules in SQL. Many changed jobs at once (an import) load
the open registrations once into numpy arrays instead (`BulkIndex`) and apply the rules to all
jobs' candidate rows in vectorised passes of 1,000 jobs; each part's new matches go to
PostgreSQL by COPY from a second thread while the next part is ranked, followed by ANALYZE
(stale statistics made reading them back take minutes). An import passes only new jobs and
jobs whose matching facts changed (`changed_jobs`).
"""

from __future__ import annotations

import math
import os
import queue
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from central.followup import china_today
from central.models import Job, Match, MatchEvent, Registration, RegistrationWant, Station
from central.services import KM_PER_DEG_LAT, as_utc, now

ROUTE_FACTOR = 1.3  # road distance / straight line (kiosk/travel.py)
WALK_KMH = 4.5
WALK_15_KM = 15 * WALK_KMH / 60 / ROUTE_FACTOR  # ≈ 0.865 km: walk_minutes(d) <= 15
MAX_REACH_KM = 10.0
ANY_DAY = 127
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The best this many registrations per job are listed (by score): staff call a handful (20 is
# a day's calls for one job), and a job near a big station would otherwise list hundreds (and
# text them all).
MAX_PER_JOB = 20
BULK_FROM = 20  # changed jobs at once from which the in-memory index pays off
COPY_FROM = 1000  # new matches at once from which PostgreSQL gets them by COPY
EARTH_KM = 6371.0088


def walk_minutes(km: float) -> int:
    return math.ceil(ROUTE_FACTOR * km / WALK_KMH * 60 - 1e-9)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def reach_km(wants: dict[str, Any]) -> float:
    reach = wants["reach"]
    return float(reach["km"]) if reach.get("km") is not None else WALK_15_KM


def days_mask(days: Iterable[str]) -> int:
    mask = sum(1 << WEEKDAYS.index(d) for d in days)
    return mask or ANY_DAY


def first_day(job_start: date, today: date) -> date:
    return max(job_start, today)


def job_days_mask(start: date, end: date, today: date) -> int:
    """Weekdays of the job's remaining working days (0 if none remain)."""
    first = first_day(start, today)
    if end < first:
        return 0
    if (end - first).days >= 6:
        return ANY_DAY
    return sum(1 << (first + timedelta(days=i)).weekday() for i in range((end - first).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_range(age_min: int | None, age_max: int | None, on: date) -> tuple[date, date]:
    """(earliest, latest) birth date of a person aged age_min..age_max on `on`."""
    latest = _years_before(on, age_min) if age_min is not None else date.max
    earliest = _years_before(on, age_max + 1) + timedelta(days=1) if age_max is not None else date.min
    return earliest, latest


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class JobFacts:
    id: str
    category: str
    lat: float
    lng: float
    pay_amount: float
    pay_unit: str
    settlement: str
    start_date: date
    end_date: date
    valid_through: date
    status: str
    age_min: int | None = None
    age_max: int | None = None

    @classmethod
    def of(cls, job: Job) -> JobFacts:
        req = job.requirements or {}
        return cls(job.id, job.category, job.lat, job.lng, job.pay_amount, job.pay_unit, job.settlement,
                   job.start_date, job.end_date, job.valid_through, job.status, req.get("age_min"),
                   req.get("age_max"))


@dataclass(frozen=True)
class RegFacts:
    """A registration as the rules see it (one row of registration_wants per category)."""

    id: str
    lat: float
    lng: float
    categories: tuple[str, ...]  # () = any
    reach_km: float
    walk: bool  # reach given as "15 minutes"
    days: int  # days_mask
    settlement: str  # daily | weekly | any
    pay_unit: str | None
    pay_min: float | None
    birth_date: date
    created_at: datetime


@dataclass(frozen=True)
class Fit:
    distance_km: float
    walk_minutes: int
    score: float


def score(distance: float, reach: float, named_category: bool, named_days: bool,
          pay: float, pay_min: float | None, age_days: float) -> float:
    pay_fit = 0.5 if not pay_min else min(1.0, 0.5 + 2.5 * (pay / pay_min - 1))
    fit = ((1.0 if named_category else 0.5) + (1.0 if named_days else 0.5) + pay_fit) / 3
    return round(50 * max(0.0, 1 - distance / reach) + 30 * fit + 20 * min(1.0, max(0.0, age_days) / 30), 3)


def fits(job: JobFacts, reg: RegFacts, at: datetime) -> Fit | None:
    """The match of `job` and `reg` at `at`, or None: the rules of the module docstring."""
    today = china_today(at)
    if job.status != "open" or job.valid_through < today or job.end_date < today:
        return None
    if reg.categories and job.category not in reg.categories:
        return None
    d = haversine_km(reg.lat, reg.lng, job.lat, job.lng)
    if (walk_minutes(d) > 15) if reg.walk else d > reg.reach_km:
        return None
    if not job_days_mask(job.start_date, job.end_date, today) & reg.days:
        return None
    if reg.settlement != "any" and reg.settlement != job.settlement:
        return None
    if reg.pay_min is not None and (reg.pay_unit != job.pay_unit or job.pay_amount < reg.pay_min):
        return None
    age = age_on(reg.birth_date, first_day(job.start_date, today))
    if (job.age_min is not None and age < job.age_min) or (job.age_max is not None and age > job.age_max):
        return None
    age_days = (at - as_utc(reg.created_at)).total_seconds() / 86400
    return Fit(round(d, 3), walk_minutes(d),
               score(d, reg.reach_km, bool(reg.categories), reg.days != ANY_DAY, job.pay_amount, reg.pay_min, age_days))


# -- the database layer ---------------------------------------------------------------------------


def index_rows(reg: Registration) -> list[dict[str, Any]]:
    """registration_wants rows of an open registration (one per category; "" = any)."""
    w = reg.wants
    pay = w.get("min_pay") or {}
    base = {"registration_id": reg.id, "county": reg.county, "station_id": reg.station_id,
            "reach_km": reg.reach_km, "days_mask": days_mask(w.get("days") or []),
            "settlement": w.get("settlement") or "any", "pay_unit": pay.get("unit"),
            "pay_min": pay.get("amount"), "birth_date": reg.birth_date, "created_at": reg.created_at,
            "sms": reg.sms}
    return [{**base, "category": c} for c in (w.get("categories") or [""])]


def _stations_near(session: Session, lat: float, lng: float, km: float = MAX_REACH_KM) -> list[tuple[str, float]]:
    """(station id, straight-line km) of stations within `km` of a point (a bounding box in
    SQL, then haversine)."""
    dlat = km / KM_PER_DEG_LAT
    dlng = km / (KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    rows = session.execute(select(Station.id, Station.lat, Station.lng).where(
        Station.lat.between(lat - dlat, lat + dlat), Station.lng.between(lng - dlng, lng + dlng))).all()
    out = [(sid, haversine_km(slat, slng, lat, lng)) for sid, slat, slng in rows]
    return [(sid, d) for sid, d in out if d <= km]


@dataclass
class Candidate:
    registration_id: str
    county: str
    station_id: str
    fit: Fit
    sms: bool


# Reaches are chips (registration_schemas.Reach), so "reach >= d" is "reach >= the smallest
# chip >= d": stations fall into these bands and the query keeps one fixed shape (compiled
# once, cached by SQLAlchemy) whatever the number of stations.
REACHES = (WALK_15_KM, 1.0, 3.0, 5.0, MAX_REACH_KM)
_W = RegistrationWant
_CANDIDATES = select(
    _W.registration_id, _W.category, _W.county, _W.station_id, _W.reach_km, _W.days_mask, _W.pay_min,
    _W.created_at, _W.sms).where(
    _W.category.in_(bindparam("categories", expanding=True)),
    or_(*[and_(_W.station_id.in_(bindparam(f"band{i}", expanding=True)), _W.reach_km >= bindparam(f"reach{i}"))
          for i in range(len(REACHES))]),
    _W.days_mask.op("&")(bindparam("job_days")) != 0,
    _W.settlement.in_(bindparam("settlements", expanding=True)),
    or_(_W.pay_unit.is_(None), and_(_W.pay_unit == bindparam("pay_unit"), _W.pay_min <= bindparam("pay_amount"))),
    _W.birth_date.between(bindparam("earliest"), bindparam("latest")))


def _bands(near: list[tuple[str, float]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, reach in enumerate(REACHES):
        low = REACHES[i - 1] if i else -1.0
        params[f"band{i}"] = [sid for sid, d in near if low < d <= reach + 1e-9]
        params[f"reach{i}"] = reach - 1e-9
    return params


class Best(NamedTuple):
    """One of a job's best registrations: what a new match row needs."""

    registration_id: str
    county: str
    station_id: str
    distance_km: float
    walk_minutes: int
    score: float
    sms: bool


@dataclass
class Found:
    """A job's matches: the best MAX_PER_JOB in full, and every fitting registration's
    (distance km, walk minutes, score) to keep, drop or refresh the existing ones."""

    best: list[Best]
    fitting: dict[str, tuple[float, int, float]]

    @classmethod
    def of(cls, ranked: list[Candidate]) -> Found:
        return cls([Best(c.registration_id, c.county, c.station_id, c.fit.distance_km, c.fit.walk_minutes,
                         c.fit.score, c.sms) for c in ranked[:MAX_PER_JOB]],
                   {c.registration_id: (c.fit.distance_km, c.fit.walk_minutes, c.fit.score) for c in ranked})


def job_candidates(session: Session, job: JobFacts, at: datetime,
                   stations: list[tuple[str, float]] | None = None) -> list[Candidate]:
    """Every open registration `job` fits, best first (one indexed query; rules in SQL)."""
    today = china_today(at)
    jmask = job_days_mask(job.start_date, job.end_date, today)
    if job.status != "open" or job.valid_through < today or not jmask:
        return []
    near = _stations_near(session, job.lat, job.lng) if stations is None else stations
    if not near:
        return []
    earliest, latest = birth_range(job.age_min, job.age_max, first_day(job.start_date, today))
    rows = session.execute(_CANDIDATES, {
        "categories": [job.category, ""], **_bands(near), "job_days": jmask,
        "settlements": ["any", job.settlement], "pay_unit": job.pay_unit, "pay_amount": job.pay_amount,
        "earliest": earliest, "latest": latest}).all()
    dist = dict(near)
    out = []
    for reg_id, category, county, station_id, reach, mask, pay_min, created, sms in rows:
        d = dist[station_id]
        age_days = (at - as_utc(created)).total_seconds() / 86400
        fit = Fit(round(d, 3), walk_minutes(d), score(d, reach, category != "", mask != ANY_DAY,
                                                      job.pay_amount, pay_min, age_days))
        out.append(Candidate(reg_id, county, station_id, fit, sms))
    out.sort(key=lambda c: (-c.fit.score, c.registration_id))
    return out


class BulkIndex:
    """The open registrations' matching rows in numpy arrays, for matching many jobs in one go
    (one query, and the rules applied to all jobs' candidate rows at once instead of job by
    job). Same rules as job_candidates.

    The rows are sorted by (category, station, reach descending), so the rows of a category at
    a station that reach at least d km away are the first ones of that block: a job reads only
    those, for the stations within MAX_REACH_KM (`_pairs`)."""

    CHUNK = 1000  # jobs per vectorised pass: bounds the (job, row) pairs; the first are written early

    def __init__(self, session: Session) -> None:
        W = RegistrationWant
        session.flush()  # as session.execute would (autoflush)
        rows = session.connection().execute(select(  # Core rows: the ORM's per-row work costs 1 s here
            W.registration_id, W.category, W.county, W.station_id, W.reach_km, W.days_mask, W.settlement,
            W.pay_unit, W.pay_min, W.birth_date, W.created_at, W.sms)).all()
        stations = session.execute(select(Station.id, Station.lat, Station.lng).order_by(Station.id)).all()
        self.station_ids = [s[0] for s in stations]
        pos = {sid: i for i, sid in enumerate(self.station_ids)}
        self.s_lat = np.radians(np.array([s[1] for s in stations], dtype=np.float64))
        self.s_lng = np.radians(np.array([s[2] for s in stations], dtype=np.float64))
        self.units = {"hour": 1, "day": 2, "piece": 3, "order": 4}
        self.settle = {"any": 0, "daily": 1, "weekly": 2, "on_completion": 3}
        ids, cats, counties, sts, reach, days, settle, unit, pay_min, birth, created, sms = (
            zip(*rows, strict=True) if rows else ((),) * 12)
        # Registration ids once each, sorted (their rank breaks ties in the ranking as the ids do;
        # sorted() of str: numpy's sort of an object array takes 10 times as long).
        uniq = sorted(set(ids))
        rank = {r: i for i, r in enumerate(uniq)}
        self.reg_ids = np.array(uniq, dtype=object)
        reg = np.array([rank[x] for x in ids], dtype=np.int64)
        self.categories = sorted(set(cats))
        self.cat_pos = {c: i for i, c in enumerate(self.categories)}
        cat = np.array([self.cat_pos[c] for c in cats], dtype=np.int64)
        station = np.array([pos.get(s, 0) for s in sts], dtype=np.int64)
        r = np.array(reach, dtype=np.float64)
        order = np.lexsort((-r, station, cat))
        n_st = max(len(stations), 1)
        self.block = (cat * n_st + station)[order]  # (category, station) block of each row
        self.n_st = n_st
        self.reach = r[order]
        self.max_reach = float(max(MAX_REACH_KM, self.reach.max(initial=0.0))) + 1.0
        # Ascending: by block, then by reach descending (see _pairs).
        self.key = self.block * (2 * self.max_reach) + (self.max_reach - self.reach)
        self.block_start = np.searchsorted(self.block, np.arange(len(self.categories) * n_st + 1))
        self.reg = reg[order]
        self.station = station[order]
        self.days = np.array(days, dtype=np.int16)[order]
        self.settles = np.array([self.settle[x] for x in settle], dtype=np.int8)[order]
        self.unit = np.array([self.units.get(x, 0) for x in unit], dtype=np.int8)[order]
        self.pay_min = np.array([x if x is not None else 0.0 for x in pay_min], dtype=np.float64)[order]
        self.birth = np.array([x.toordinal() for x in birth], dtype=np.int32)[order]
        self.created = np.array([as_utc(x).timestamp() for x in created], dtype=np.float64)[order]
        self.named = (cat != self.cat_pos.get("", -1))[order]
        self.county = np.array(counties, dtype=object)[order]
        self.sms = np.array(sms, dtype=bool)[order]
        self.buckets = {c: int(n) for c, n in zip(self.categories, np.bincount(cat, minlength=len(
            self.categories)).tolist(), strict=True)}  # rows per category ("" = any)

    def _pairs(self, jobs: Sequence[JobFacts], at: datetime) -> dict[str, Any]:
        """Every (job, registration row) that fits, as arrays: job (index into `jobs`), row,
        km, walk minutes, score."""
        today = china_today(at)
        n = len(jobs)
        ok_job = np.zeros(n, dtype=bool)
        jmask, lo, hi = np.zeros(n, np.int16), np.zeros(n, np.int64), np.zeros(n, np.int64)
        unit, settle, pay = np.zeros(n, np.int8), np.zeros(n, np.int8), np.zeros(n, np.float64)
        jlat, jlng = np.zeros(n, np.float64), np.zeros(n, np.float64)
        cat, any_cat = np.full(n, -1, np.int64), self.cat_pos.get("", -1)
        for k, job in enumerate(jobs):
            mask = job_days_mask(job.start_date, job.end_date, today)
            if job.status != "open" or job.valid_through < today or not mask:
                continue
            ok_job[k] = True
            jmask[k], cat[k] = mask, self.cat_pos.get(job.category, -1)
            earliest, latest = birth_range(job.age_min, job.age_max, first_day(job.start_date, today))
            lo[k] = earliest.toordinal() if earliest != date.min else 0
            hi[k] = latest.toordinal() if latest != date.max else 2**31 - 1
            unit[k], settle[k], pay[k] = self.units[job.pay_unit], self.settle[job.settlement], job.pay_amount
            jlat[k], jlng[k] = math.radians(job.lat), math.radians(job.lng)
        empty = {"job": np.zeros(0, np.int64), "row": np.zeros(0, np.int64), "km": np.zeros(0),
                 "walk": np.zeros(0, np.int64), "score": np.zeros(0)}
        if not self.station_ids or not len(self.reach) or not ok_job.any():
            return empty
        # Station distances of every job (haversine, as haversine_km).
        p1, l1 = jlat[:, None], jlng[:, None]
        a = (np.sin((self.s_lat[None, :] - p1) / 2) ** 2
             + np.cos(p1) * np.cos(self.s_lat)[None, :] * np.sin((self.s_lng[None, :] - l1) / 2) ** 2)
        sd = 2 * EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        pj, ps = np.nonzero((sd <= MAX_REACH_KM + 1e-9) & ok_job[:, None])
        pd = sd[pj, ps]
        # Each near station's block of the job's category and of "any category".
        blocks, bj, bd = [], [], []
        for c in (cat[pj], np.full(len(pj), any_cat)):
            has = c >= 0
            blocks.append(c[has] * self.n_st + ps[has])
            bj.append(pj[has])
            bd.append(pd[has])
        blk, bj_, bd_ = np.concatenate(blocks), np.concatenate(bj), np.concatenate(bd)
        start = self.block_start[blk]
        # The block's rows with reach >= d (a superset by 1e-6; the exact test follows).
        end = np.searchsorted(self.key, blk * (2 * self.max_reach) + (self.max_reach - bd_) + 1e-6, side="right")
        length = np.maximum(end - start, 0)
        total = int(length.sum())
        if not total:
            return empty
        first = np.cumsum(length) - length
        row = np.arange(total, dtype=np.int64) + np.repeat(start - first, length)
        job = np.repeat(bj_, length)
        d = np.repeat(bd_, length)
        reach, days, pm, punit = self.reach[row], self.days[row], self.pay_min[row], self.unit[row]
        ok = ((d <= reach + 1e-9) & ((days & jmask[job]) != 0)
              & ((self.settles[row] == 0) | (self.settles[row] == settle[job]))
              & ((punit == 0) | ((punit == unit[job]) & (pm <= pay[job])))
              & (self.birth[row] >= lo[job]) & (self.birth[row] <= hi[job]))
        sel = np.flatnonzero(ok)
        row, job, d, reach, days, pm, punit = row[sel], job[sel], d[sel], reach[sel], days[sel], pm[sel], punit[sel]
        jpay = pay[job]
        # The score of central.matching.score, on arrays.
        pay_fit = np.where((punit == 0) | (pm <= 0), 0.5,
                           np.minimum(1.0, 0.5 + 2.5 * (jpay / np.where(pm > 0, pm, 1.0) - 1)))
        fit = (np.where(self.named[row], 1.0, 0.5) + np.where(days != ANY_DAY, 1.0, 0.5) + pay_fit) / 3
        age = np.clip((at.timestamp() - self.created[row]) / 86400, 0.0, 30.0) / 30
        scores = np.round(50 * np.maximum(0.0, 1 - d / reach) + 30 * fit + 20 * age, 3)
        walks = np.ceil(ROUTE_FACTOR * d / WALK_KMH * 60 - 1e-9).astype(np.int64)
        return {"job": job, "row": row, "km": np.round(d, 3), "walk": walks, "score": scores}

    def _ranked(self, p: dict[str, Any]) -> np.ndarray:
        """Positions in `p` by job, then best first (score, then registration id)."""
        return np.lexsort((self.reg[p["row"]], -p["score"], p["job"]))

    def candidates(self, job: JobFacts, at: datetime) -> list[Candidate]:
        """Every registration `job` fits, best first (as job_candidates)."""
        p = self._pairs([job], at)
        o = self._ranked(p)
        row = p["row"][o]
        return [Candidate(i, c, self.station_ids[st], Fit(d, w, sc), sm) for i, c, st, d, w, sc, sm in zip(
            self.reg_ids[self.reg[row]].tolist(), self.county[row].tolist(), self.station[row].tolist(),
            p["km"][o].tolist(), p["walk"][o].tolist(), p["score"][o].tolist(), self.sms[row].tolist(),
            strict=True)]

    def found(self, jobs: Sequence[JobFacts], at: datetime, existing: dict[str, dict[str, Any]]) -> dict[str, Found]:
        """Found of each job: `best` the MAX_PER_JOB best; `fitting` only the registrations the
        job already has a match with (`existing`, from _existing: _apply looks up no others)."""
        return {job_id: f for part in self.found_chunks(jobs, at, existing) for job_id, f in part.items()}

    def found_chunks(self, jobs: Sequence[JobFacts], at: datetime,
                     existing: dict[str, dict[str, Any]]) -> Iterator[dict[str, Found]]:
        """As `found`, CHUNK jobs at a time (their matches can be written while the next are found)."""
        for i in range(0, len(jobs), self.CHUNK):
            out: dict[str, Found] = {}
            chunk = jobs[i:i + self.CHUNK]
            p = self._pairs(chunk, at)
            o = self._ranked(p)
            job = p["job"][o]
            starts = np.searchsorted(job, np.arange(len(chunk) + 1))
            keep = o[np.arange(len(o)) - starts[job] < MAX_PER_JOB]  # the best of each job
            row = p["row"][keep]
            best = zip(p["job"][keep].tolist(), self.reg_ids[self.reg[row]].tolist(), self.county[row].tolist(),
                       self.station[row].tolist(), p["km"][keep].tolist(), p["walk"][keep].tolist(),
                       p["score"][keep].tolist(), self.sms[row].tolist(), strict=True)
            names = self.station_ids
            lists: list[list[Best]] = [[] for _ in chunk]
            for k, reg_id, county, st, d, w, sc, sm in best:
                lists[k].append(Best(reg_id, county, names[st], d, w, sc, sm))
            # The fits of the existing matches: (job, registration rank) keys looked up.
            n_reg = max(len(self.reg_ids), 1)
            have_job, have_reg = [], []
            for k, f in enumerate(chunk):
                for reg_id in existing.get(f.id, ()):
                    have_job.append(k)
                    have_reg.append(reg_id)
            fitting: list[dict[str, tuple[float, int, float]]] = [{} for _ in chunk]
            if have_reg and len(self.reg_ids):
                rank = np.searchsorted(self.reg_ids, np.array(have_reg, dtype=object))
                rank = np.minimum(rank, len(self.reg_ids) - 1)
                known = self.reg_ids[rank] == np.array(have_reg, dtype=object)
                want = np.array(have_job, dtype=np.int64) * n_reg + rank
                keys = p["job"] * n_reg + self.reg[p["row"]]
                korder = np.argsort(keys, kind="stable")
                at_k = np.minimum(np.searchsorted(keys[korder], want), max(len(keys) - 1, 0))
                hit = known & (len(keys) > 0)
                if len(keys):
                    hit &= keys[korder][at_k] == want
                ts = np.flatnonzero(hit)
                q = korder[at_k[ts]]
                for t, d, w, sc in zip(ts.tolist(), p["km"][q].tolist(), p["walk"][q].tolist(), p["score"][q].tolist(),
                                       strict=True):
                    fitting[have_job[t]][have_reg[t]] = (d, w, sc)
            for k, f in enumerate(chunk):
                out[f.id] = Found(lists[k], fitting[k])
            yield out


def _existing(session: Session, job_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The jobs' matches: job id -> registration id -> row."""
    existing: dict[str, dict[str, Any]] = {}
    session.flush()  # as session.execute would (autoflush); Core rows below: 200k at a time
    for i in range(0, len(job_ids), 500):
        chunk = list(job_ids[i:i + 500])
        for row in session.connection().execute(select(Match.id, Match.job_id, Match.registration_id, Match.status,
                                                       Match.referred_at, Match.distance_km).where(
                Match.job_id.in_(chunk))):
            existing.setdefault(row.job_id, {})[row.registration_id] = row
    return existing


def _diff(job_ids: Iterable[str], found: dict[str, Found], at: datetime, existing: dict[str, dict[str, Any]],
          dropped: list[str], moved: list[dict[str, Any]]) -> list[tuple]:
    """The new match rows (as _ROW) of these jobs; appends the ids of matches to drop and the
    refreshed ones to `dropped` and `moved` (see _apply)."""
    added = []
    empty = Found([], {})
    for job_id in job_ids:
        f = found.get(job_id, empty)
        have = existing.get(job_id, {})
        kept = 0
        for reg_id, row in have.items():
            now_fit = f.fitting.get(reg_id)
            if now_fit is None:
                if row.status == "new" and row.referred_at is None:
                    dropped.append(row.id)
                continue
            kept += 1
            if abs(now_fit[0] - row.distance_km) > 1e-6:
                moved.append({"id": row.id, "distance_km": now_fit[0], "walk_minutes": now_fit[1],
                              "score": now_fit[2]})
        room = MAX_PER_JOB - kept
        for c in f.best:
            if room <= 0:
                break
            if c.registration_id in have:
                continue
            added.append((c.county, c.registration_id, job_id, c.station_id, c.score, c.distance_km,
                          c.walk_minutes, "new", 0, "pending" if c.sms else "none", at))
            room -= 1
    return added


def _apply(session: Session, job_ids: Sequence[str], founds: Iterable[dict[str, Found]], at: datetime,
           existing: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Brings the matches of these jobs (`existing`, from _existing) in line with `founds` (the
    jobs' Found, in one or more parts): the best new ones are added up to MAX_PER_JOB per job;
    still-'new' (unreferred) matches that no longer fit go; distance and score of the ones that
    stay are refreshed when the job moved. The new ones are written while the next part is
    found (_NewMatches): `founds` must not use the session."""
    dropped: list[str] = []
    moved: list[dict[str, Any]] = []
    seen: set[str] = set()
    with _NewMatches(session) as new:
        for found in founds:
            seen.update(found)
            new.add(_diff(found, found, at, existing, dropped, moved))
        new.add(_diff([j for j in job_ids if j not in seen], {}, at, existing, dropped, moved))
    for i in range(0, len(dropped), 500):
        chunk = dropped[i:i + 500]
        session.execute(delete(MatchEvent).where(MatchEvent.match_id.in_(chunk)))
        session.execute(delete(Match).where(Match.id.in_(chunk)), execution_options={"synchronize_session": False})
    if moved:
        session.execute(update(Match), moved)
    if new.count + len(dropped) >= COPY_FROM:
        _analyze(session)
    return {"added": new.count, "dropped": len(dropped), "moved": len(moved)}


# New match rows: (county, registration_id, job_id, station_id, score, distance_km, walk_minutes,
# status, attempts, sms_state, created_at); _NewMatches adds the id.
_ROW = ("county", "registration_id", "job_id", "station_id", "score", "distance_km", "walk_minutes", "status",
        "attempts", "sms_state", "created_at")
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _uuids(n: int) -> list[str]:
    """n random (version 4) UUIDs: one read of the random source instead of one per id."""
    raw = os.urandom(16 * n)
    return [str(uuid.UUID(bytes=raw[i:i + 16], version=4)) for i in range(0, 16 * n, 16)]


def _copy_text(ids: list[str], rows: list[tuple]) -> str:
    """The rows in COPY's text format, strings escaped (these rows hold no NULLs)."""
    esc = _COPY_ESCAPE
    stamps: dict[datetime, str] = {}
    out = []
    for i, (county, reg, job, st, sc, d, w, status, attempts, sms, created) in zip(ids, rows, strict=True):
        stamp = stamps.get(created) or stamps.setdefault(created, created.isoformat())
        out.append(f"{i}\t{county.translate(esc)}\t{reg.translate(esc)}\t{job.translate(esc)}\t{st.translate(esc)}"
                   f"\t{sc}\t{d}\t{w}\t{status.translate(esc)}\t{attempts}\t{sms.translate(esc)}\t{stamp}\n")
    return "".join(out)


class _NewMatches:
    """Writes new match rows (tuples as _ROW) as they are added. On PostgreSQL, from COPY_FROM
    rows on, by COPY statements from a second thread: the server inserts them (and checks their
    foreign keys, at the end of each statement) while this thread finds the next ones. Fewer
    rows, or SQLite: Core inserts at the end."""

    def __init__(self, session: Session) -> None:
        self.session, self.pending, self.count = session, [], 0
        self.pg = session.get_bind().dialect.name == "postgresql"
        self.queue: queue.Queue[str | None] | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def __enter__(self) -> _NewMatches:
        return self

    def add(self, rows: list[tuple]) -> None:
        self.pending += rows
        self.count += len(rows)
        if self.error is not None:
            raise self.error
        if self.pg and self.queue is None and len(self.pending) >= COPY_FROM:
            raw = self.session.connection().connection.driver_connection  # psycopg, in this transaction
            self.queue = queue.Queue(maxsize=8)
            self.thread = threading.Thread(target=self._copy, args=(raw, self.queue), daemon=True)
            self.thread.start()
        if self.queue is not None and self.pending:
            self.queue.put(_copy_text(_uuids(len(self.pending)), self.pending))
            self.pending = []

    def _copy(self, raw: Any, todo: queue.Queue[str | None]) -> None:
        try:
            with raw.cursor() as cur:
                while (data := todo.get()) is not None:
                    with cur.copy(f"COPY matches (id, {', '.join(_ROW)}) FROM STDIN") as copy:
                        copy.write(data)
        except BaseException as exc:  # noqa: BLE001 - handed to the adding thread
            self.error = exc
            while todo.get() is not None:  # the adding thread must not block on a full queue
                pass

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self.queue is not None and self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            if self.error is not None and exc_type is None:
                raise self.error
            return
        if exc_type is None and self.pending:
            rows, ids = self.pending, _uuids(len(self.pending))
            for i in range(0, len(rows), 2000):
                self.session.execute(insert(Match.__table__), [
                    {"id": k, **dict(zip(_ROW, r, strict=True))}
                    for k, r in zip(ids[i:i + 2000], rows[i:i + 2000], strict=True)])  # Core: no ORM bookkeeping


def _analyze(session: Session) -> None:
    """Fresh planner statistics for `matches` after a bulk write (PostgreSQL): with stale ones
    (an empty table before an import) reading the jobs' matches back once took a sequential
    scan per chunk, 80 s of backend CPU instead of 0.1 s. Within this transaction, and a no-op
    with a warning for a role that does not own the table."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE matches"))


_JOB_FACTS = (Job.id, Job.category, Job.lat, Job.lng, Job.pay_amount, Job.pay_unit, Job.settlement, Job.start_date,
              Job.end_date, Job.valid_through, Job.status, Job.requirements)


def job_facts(session: Session, job_ids: Sequence[str]) -> list[JobFacts]:
    """The jobs' facts from their columns (no ORM objects: an import passes thousands)."""
    out: list[JobFacts] = []
    for i in range(0, len(job_ids), 1000):
        for *cols, req in session.execute(select(*_JOB_FACTS).where(Job.id.in_(job_ids[i:i + 1000]))):
            req = req or {}
            out.append(JobFacts(*cols, req.get("age_min"), req.get("age_max")))
    return out


def changed_jobs(before: dict[str, JobFacts], after: Iterable[JobFacts]) -> list[str]:
    """Ids of the jobs in `after` that are new or whose matching facts differ from `before`
    (an import re-sends unchanged rows: re-matching them would write nothing)."""
    return [f.id for f in after if before.get(f.id) != f]


def match_jobs(session: Session, job_ids: Sequence[str], at: datetime | None = None) -> dict[str, int]:
    """Matches new or changed jobs against the open registrations (the caller commits).
    Closed or expired jobs lose their still-'new' matches."""
    at = at or now()
    job_ids = list(dict.fromkeys(job_ids))
    if not job_ids:
        return {"added": 0, "dropped": 0, "moved": 0}
    jobs = job_facts(session, job_ids)
    existing = _existing(session, job_ids)
    if len(jobs) >= BULK_FROM:
        founds: Iterable[dict[str, Found]] = BulkIndex(session).found_chunks(jobs, at, existing)
    else:
        founds = [{j.id: Found.of(job_candidates(session, j, at)) for j in jobs}]
    return _apply(session, job_ids, founds, at, existing)


def reg_facts(reg: Registration) -> RegFacts:
    w = reg.wants
    pay = w.get("min_pay") or {}
    return RegFacts(reg.id, reg.lat, reg.lng, tuple(w.get("categories") or ()), reg.reach_km,
                    w["reach"].get("minutes") is not None, days_mask(w.get("days") or []),
                    w.get("settlement") or "any", pay.get("unit"), pay.get("amount"), reg.birth_date,
                    reg.created_at)


def match_registration(session: Session, reg: Registration, at: datetime | None = None) -> dict[str, int]:
    """Matches a new or renewed registration against the open jobs near its station (a
    bounding box on the jobs' lat/lng index); its still-'new' matches that no longer fit go
    (a renewal may change the wants). A closed registration only loses its matches."""
    at = at or now()
    have = {row.job_id: row for row in session.execute(
        select(Match.id, Match.job_id, Match.status, Match.referred_at).where(Match.registration_id == reg.id))}
    found: dict[str, Fit] = {}
    if reg.status == "open" and reg.birth_date is not None:
        facts = reg_facts(reg)
        dlat = reg.reach_km / KM_PER_DEG_LAT
        dlng = reg.reach_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(reg.lat)), 0.01))
        q = select(Job).where(Job.status == "open", Job.valid_through >= china_today(at),
                              Job.lat.between(reg.lat - dlat, reg.lat + dlat),
                              Job.lng.between(reg.lng - dlng, reg.lng + dlng))
        if facts.categories:
            q = q.where(Job.category.in_(facts.categories))
        for job in session.scalars(q):
            fit = fits(JobFacts.of(job), facts, at)
            if fit is not None:
                found[job.id] = fit
    dropped = [r.id for j, r in have.items() if j not in found and r.status == "new" and r.referred_at is None]
    if dropped:
        session.execute(delete(MatchEvent).where(MatchEvent.match_id.in_(dropped)))
        session.execute(delete(Match).where(Match.id.in_(dropped)), execution_options={"synchronize_session": False})
    added = [(reg.county, reg.id, job_id, reg.station_id, fit.score, fit.distance_km, fit.walk_minutes, "new", 0,
              "pending" if reg.sms else "none", at) for job_id, fit in found.items() if job_id not in have]
    with _NewMatches(session) as new:
        new.add(added)
    return {"added": len(added), "dropped": len(dropped)}


def reindex(session: Session, reg: Registration) -> None:
    """Rewrites the registration's rows in registration_wants (none unless open)."""
    session.execute(delete(RegistrationWant).where(RegistrationWant.registration_id == reg.id))
    if reg.status == "open" and reg.birth_date is not None:
        session.execute(insert(RegistrationWant), index_rows(reg))
