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
the open registrations once into numpy arrays per category instead (`BulkIndex`); an import
passes only new jobs and jobs whose matching facts changed (`changed_jobs`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
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


@dataclass
class Found:
    """A job's matches: the best MAX_PER_JOB in full, and every fitting registration's
    (distance km, walk minutes, score) to keep, drop or refresh the existing ones."""

    best: list[Candidate]
    fitting: dict[str, tuple[float, int, float]]

    @classmethod
    def of(cls, ranked: list[Candidate]) -> Found:
        return cls(ranked[:MAX_PER_JOB], {c.registration_id: (c.fit.distance_km, c.fit.walk_minutes, c.fit.score)
                                          for c in ranked})


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
    """The open registrations' matching rows in numpy arrays per category, for matching many
    jobs in one go (one query instead of one per job). Same rules as job_candidates."""

    def __init__(self, session: Session) -> None:
        W = RegistrationWant
        rows = session.execute(select(
            W.registration_id, W.category, W.county, W.station_id, W.reach_km, W.days_mask, W.settlement,
            W.pay_unit, W.pay_min, W.birth_date, W.created_at, W.sms)).all()
        stations = session.execute(select(Station.id, Station.lat, Station.lng).order_by(Station.id)).all()
        self.station_ids = [s[0] for s in stations]
        pos = {sid: i for i, sid in enumerate(self.station_ids)}
        self.s_lat = np.radians(np.array([s[1] for s in stations], dtype=np.float64))
        self.s_lng = np.radians(np.array([s[2] for s in stations], dtype=np.float64))
        groups: dict[str, list[Any]] = {}
        for r in rows:
            groups.setdefault(r[1], []).append(r)
        units = {"hour": 1, "day": 2, "piece": 3, "order": 4}
        settle = {"any": 0, "daily": 1, "weekly": 2, "on_completion": 3}
        self.units, self.settle = units, settle
        self.buckets: dict[str, dict[str, Any]] = {}
        for category, rs in groups.items():
            rs.sort(key=lambda r: pos.get(r[3], 0))  # by station: a job reads only nearby ones
            at_station = np.array([pos.get(r[3], 0) for r in rs], dtype=np.int32)
            starts = np.searchsorted(at_station, np.arange(len(stations) + 1))
            self.buckets[category] = {
                "at": [np.arange(starts[i], starts[i + 1]) for i in range(len(stations))],  # rows per station
                "id": np.array([r[0] for r in rs], dtype=object),
                "county": np.array([r[2] for r in rs], dtype=object), "sms": np.array([bool(r[11]) for r in rs]),
                "station": np.array([pos.get(r[3], 0) for r in rs], dtype=np.int32),
                "reach": np.array([r[4] for r in rs], dtype=np.float64),
                "days": np.array([r[5] for r in rs], dtype=np.int16),
                "settle": np.array([settle[r[6]] for r in rs], dtype=np.int8),
                "unit": np.array([units.get(r[7], 0) for r in rs], dtype=np.int8),
                "pay_min": np.array([r[8] if r[8] is not None else 0.0 for r in rs], dtype=np.float64),
                "birth": np.array([r[9].toordinal() for r in rs], dtype=np.int32),
                "created": np.array([as_utc(r[10]).timestamp() for r in rs], dtype=np.float64),
            }

    def station_km(self, lat: float, lng: float) -> np.ndarray:
        p1, l1 = math.radians(lat), math.radians(lng)
        a = np.sin((self.s_lat - p1) / 2) ** 2 + math.cos(p1) * np.cos(self.s_lat) * np.sin((self.s_lng - l1) / 2) ** 2
        return 2 * EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))

    def _arrays(self, job: JobFacts, at: datetime) -> tuple[list[str], list[str], Any, Any, Any, Any, Any] | None:
        """(ids, counties, station index, km, walk minutes, score, sms) of every registration
        `job` fits (unordered), or None."""
        today = china_today(at)
        jmask = job_days_mask(job.start_date, job.end_date, today)
        if job.status != "open" or job.valid_through < today or not jmask or not self.station_ids:
            return None
        sd = self.station_km(job.lat, job.lng)
        near = np.flatnonzero(sd <= MAX_REACH_KM + 1e-9).tolist()
        if not near:
            return None
        earliest, latest = birth_range(job.age_min, job.age_max, first_day(job.start_date, today))
        lo = earliest.toordinal() if earliest != date.min else 0
        hi = latest.toordinal() if latest != date.max else 2**31 - 1
        unit, settle = self.units[job.pay_unit], self.settle[job.settlement]
        t = at.timestamp()
        parts = []
        for category in {job.category, ""}:
            b = self.buckets.get(category)
            if b is None:
                continue
            at_station = b["at"]
            rows = np.concatenate([at_station[i] for i in near])
            if not len(rows):
                continue
            station, reach, days = b["station"][rows], b["reach"][rows], b["days"][rows]
            pay_unit, pm = b["unit"][rows], b["pay_min"][rows]
            d = sd[station]
            ok = ((d <= reach + 1e-9) & ((days & jmask) != 0)
                  & ((b["settle"][rows] == 0) | (b["settle"][rows] == settle))
                  & ((pay_unit == 0) | ((pay_unit == unit) & (pm <= job.pay_amount)))
                  & (b["birth"][rows] >= lo) & (b["birth"][rows] <= hi))
            sel = np.flatnonzero(ok)
            if not len(sel):
                continue
            rows, d, reach, days, pay_unit, pm = rows[sel], d[sel], reach[sel], days[sel], pay_unit[sel], pm[sel]
            # The score of central.matching.score, on arrays.
            pay_fit = np.where((pay_unit == 0) | (pm <= 0), 0.5,
                               np.minimum(1.0, 0.5 + 2.5 * (job.pay_amount / np.where(pm > 0, pm, 1.0) - 1)))
            fit = ((1.0 if category else 0.5) + np.where(days != ANY_DAY, 1.0, 0.5) + pay_fit) / 3
            age = np.clip((t - b["created"][rows]) / 86400, 0.0, 30.0) / 30
            scores = np.round(50 * np.maximum(0.0, 1 - d / reach) + 30 * fit + 20 * age, 3)
            walks = np.ceil(ROUTE_FACTOR * d / WALK_KMH * 60 - 1e-9).astype(np.int64)
            parts.append((b["id"][rows], b["county"][rows], b["station"][rows], np.round(d, 3), walks, scores,
                          b["sms"][rows]))
        if not parts:
            return None
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(7))

    def _candidates(self, arrays: tuple, picked: Any) -> list[Candidate]:
        ids, counties, station, d, walks, scores, sms = (a[picked].tolist() for a in arrays)
        names = self.station_ids
        return [Candidate(i, c, names[st], Fit(dd, w, sc), sm)
                for i, c, st, dd, w, sc, sm in zip(ids, counties, station, d, walks, scores, sms, strict=True)]

    def candidates(self, job: JobFacts, at: datetime) -> list[Candidate]:
        """Every registration `job` fits, best first (as job_candidates)."""
        arrays = self._arrays(job, at)
        if arrays is None:
            return []
        out = self._candidates(arrays, slice(None))
        out.sort(key=lambda c: (-c.fit.score, c.registration_id))
        return out

    def found(self, job: JobFacts, at: datetime, have: Iterable[str] | None = None) -> Found:
        """As Found.of(self.candidates(...)), without making a Candidate of every fitting one.
        With `have` (the job's matched registration ids), `fitting` holds only those: _apply
        looks up no others, and an import's jobs have many fitting ones each."""
        arrays = self._arrays(job, at)
        if arrays is None:
            return Found([], {})
        ids, _, _, d, walks, scores, _ = arrays
        top = np.argsort(-scores, kind="stable")[:MAX_PER_JOB * 2]  # ties by id sorted below
        top_scores, top_ids = scores[top].tolist(), ids[top].tolist()
        order = sorted(range(len(top_ids)), key=lambda k: (-top_scores[k], top_ids[k]))[:MAX_PER_JOB]
        best = self._candidates(arrays, top[order])  # Candidates of the kept ones only
        if have is not None:
            keep = list(have)
            if not keep:
                return Found(best, {})
            sel = np.isin(ids, np.array(keep, dtype=object))
            ids, d, walks, scores = ids[sel], d[sel], walks[sel], scores[sel]
        return Found(best, dict(zip(ids.tolist(), zip(d.tolist(), walks.tolist(), scores.tolist(), strict=True),
                                    strict=True)))


def _existing(session: Session, job_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The jobs' matches: job id -> registration id -> row."""
    existing: dict[str, dict[str, Any]] = {}
    for i in range(0, len(job_ids), 500):
        chunk = list(job_ids[i:i + 500])
        for row in session.execute(select(Match.id, Match.job_id, Match.registration_id, Match.status,
                                          Match.referred_at, Match.distance_km).where(Match.job_id.in_(chunk))):
            existing.setdefault(row.job_id, {})[row.registration_id] = row
    return existing


def _apply(session: Session, job_ids: Sequence[str], found: dict[str, Found], at: datetime,
           existing: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Brings the matches of these jobs (`existing`, from _existing) in line with `found`: the
    best new ones are added up to MAX_PER_JOB per job; still-'new' (unreferred) matches that no
    longer fit go; distance and score of the ones that stay are refreshed when the job moved."""
    added, dropped, moved = [], [], []
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
            added.append({"id": str(uuid.uuid4()), "county": c.county, "registration_id": c.registration_id,
                          "job_id": job_id, "station_id": c.station_id, "score": c.fit.score,
                          "distance_km": c.fit.distance_km, "walk_minutes": c.fit.walk_minutes,
                          "status": "new", "attempts": 0, "sms_state": "pending" if c.sms else "none",
                          "created_at": at})
            room -= 1
    for i in range(0, len(dropped), 500):
        chunk = dropped[i:i + 500]
        session.execute(delete(MatchEvent).where(MatchEvent.match_id.in_(chunk)))
        session.execute(delete(Match).where(Match.id.in_(chunk)), execution_options={"synchronize_session": False})
    if moved:
        session.execute(update(Match), moved)
    _insert(session, added)
    return {"added": len(added), "dropped": len(dropped), "moved": len(moved)}


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """New matches: COPY on PostgreSQL when there are many (an import), else a Core insert."""
    if not rows:
        return
    if len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        columns = list(rows[0])
        raw = session.connection().connection.driver_connection  # psycopg, in this transaction
        with raw.cursor() as cur, cur.copy(f"COPY matches ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in columns])
        return
    for i in range(0, len(rows), 2000):
        session.execute(insert(Match.__table__), rows[i:i + 2000])  # Core: no ORM bookkeeping


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
        index = BulkIndex(session)
        found = {j.id: index.found(j, at, existing.get(j.id, {})) for j in jobs}
    else:
        found = {j.id: Found.of(job_candidates(session, j, at)) for j in jobs}
    return _apply(session, job_ids, found, at, existing)


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
    added = [{"id": str(uuid.uuid4()), "county": reg.county, "registration_id": reg.id, "job_id": job_id,
              "station_id": reg.station_id, "score": fit.score, "distance_km": fit.distance_km,
              "walk_minutes": fit.walk_minutes, "status": "new", "attempts": 0,
              "sms_state": "pending" if reg.sms else "none", "created_at": at}
             for job_id, fit in found.items() if job_id not in have]
    _insert(session, added)
    return {"added": len(added), "dropped": len(dropped)}


def reindex(session: Session, reg: Registration) -> None:
    """Rewrites the registration's rows in registration_wants (none unless open)."""
    session.execute(delete(RegistrationWant).where(RegistrationWant.registration_id == reg.id))
    if reg.status == "open" and reg.birth_date is not None:
        session.execute(insert(RegistrationWant), index_rows(reg))
