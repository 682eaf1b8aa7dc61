"""Re-matching many jobs at once on PostgreSQL, set-based (issue 16; the rules and the score of
central.matching, which calls this from `match_jobs`).

Per chunk of jobs, one statement finds every registration each job fits and ranks them: the
chunk's jobs and their nearby stations (with the straight-line km and the reach band computed
here, as the per-job path does) go in as arrays, are joined with `registration_wants` on its
index (category, station, reach), the other rules and the score are SQL expressions, and
`row_number() over (partition by job …)` keeps the best MAX_PER_JOB plus the pairs that already
have a match. That result (a temporary table) is then diffed against `matches` in the database:
still-'new' unreferred matches that no longer fit are deleted, moved ones refreshed, and the
best new ones inserted up to MAX_PER_JOB per job. Rows that did not change are not written, so
re-matching unchanged jobs writes nothing. Python only computes the job-station distances.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from central import matching as m
from central.models import Station

CHUNK = 2500  # jobs per statement: bounds the window sort's memory

_FIT = text("""
CREATE TEMPORARY TABLE match_fit AS
WITH n AS (
  SELECT * FROM unnest(CAST(:n_job AS text[]), CAST(:n_cat AS text[]), CAST(:n_station AS text[]),
                       CAST(:n_km AS float8[]), CAST(:n_km3 AS float8[]), CAST(:n_walk AS int[]),
                       CAST(:n_band AS float8[]), CAST(:n_mask AS int[]), CAST(:n_settle AS text[]),
                       CAST(:n_unit AS text[]), CAST(:n_pay AS float8[]), CAST(:n_earliest AS date[]),
                       CAST(:n_latest AS date[]))
    AS n(job_id, category, station_id, km, km3, walk, band, mask, settlement, pay_unit, pay_amount,
         earliest, latest)
), fit AS (
  SELECT n.job_id, w.registration_id, w.county, w.station_id, w.sms, n.km3, n.walk,
         CAST(round(CAST(
           50 * greatest(0.0, 1 - n.km / w.reach_km)
           + 30 * ((CASE WHEN w.category <> '' THEN 1.0 ELSE 0.5 END)
                   + (CASE WHEN w.days_mask <> :any_day THEN 1.0 ELSE 0.5 END)
                   + (CASE WHEN coalesce(w.pay_min, 0) = 0 THEN 0.5
                           ELSE least(1.0, 0.5 + 2.5 * (n.pay_amount / w.pay_min - 1)) END)) / 3
           + 20 * least(1.0, greatest(0.0, (:at_epoch - date_part('epoch', w.created_at)) / 86400) / 30)
           AS numeric), 3) AS float8) AS score
  FROM n JOIN registration_wants w
    ON w.category = n.category AND w.station_id = n.station_id AND w.reach_km >= n.band
  WHERE (w.days_mask & n.mask) <> 0 AND w.settlement IN ('any', n.settlement)
    AND (w.pay_unit IS NULL OR (w.pay_unit = n.pay_unit AND w.pay_min <= n.pay_amount))
    AND w.birth_date BETWEEN n.earliest AND n.latest
), ranked AS (
  SELECT fit.*, row_number() OVER (PARTITION BY fit.job_id
                                   ORDER BY fit.score DESC, fit.registration_id COLLATE "C") AS rn
  FROM fit
), have AS (
  SELECT id, job_id, registration_id FROM matches WHERE job_id = ANY(CAST(:j_all AS text[]))
)
SELECT r.*, h.id AS match_id
FROM ranked r LEFT JOIN have h ON h.job_id = r.job_id AND h.registration_id = r.registration_id
WHERE r.rn <= :top OR h.id IS NOT NULL
""")

# Stale 'new' matches: the conditions on `matches` itself plus an index probe into match_fit, no
# self-join (with statistics of an empty `matches` right after a big import, a self-join was
# planned as a nested loop over both: minutes).
_GONE = """h.job_id = ANY(CAST(:j_all AS text[])) AND h.status = 'new' AND h.referred_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM match_fit f WHERE f.match_id = h.id)"""
_DROP_EVENTS = text(f"DELETE FROM match_events e WHERE EXISTS (SELECT 1 FROM matches h WHERE h.id = e.match_id AND {_GONE})")
_DROP = text(f"DELETE FROM matches h WHERE {_GONE}")
_MOVE = text("""UPDATE matches x SET distance_km = f.km3, walk_minutes = f.walk, score = f.score
FROM match_fit f WHERE f.match_id = x.id AND abs(f.km3 - x.distance_km) > 1e-6""")
_ADD = text("""
INSERT INTO matches (id, county, registration_id, job_id, station_id, score, distance_km, walk_minutes,
                     status, attempts, sms_state, created_at)
SELECT CAST(gen_random_uuid() AS text), a.county, a.registration_id, a.job_id, a.station_id, a.score, a.km3,
       a.walk, 'new', 0, CASE WHEN a.sms THEN 'pending' ELSE 'none' END, CAST(:at AS timestamptz)
FROM (SELECT f.*, row_number() OVER (PARTITION BY f.job_id ORDER BY f.rn) AS k
      FROM match_fit f WHERE f.match_id IS NULL AND f.rn <= :top) a
LEFT JOIN (SELECT job_id, count(*) AS n FROM match_fit WHERE match_id IS NOT NULL GROUP BY job_id) kept
  ON kept.job_id = a.job_id
WHERE a.k <= :top - coalesce(kept.n, 0)
""")


def _station_arrays(session: Session) -> tuple[list[str], np.ndarray, np.ndarray]:
    rows = session.execute(select(Station.id, Station.lat, Station.lng).order_by(Station.id)).all()
    return ([r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.float64),
            np.array([r[2] for r in rows], dtype=np.float64))


def _params(jobs: Sequence[m.JobFacts], stations: tuple[list[str], np.ndarray, np.ndarray],
            at: datetime) -> dict[str, Any]:
    """The statement's arrays: the jobs that can match at all, and their stations within
    MAX_REACH_KM with km, km rounded as stored, walk minutes and the reach band's threshold
    (as central.matching._bands: the smallest reach chip >= km)."""
    today = m.china_today(at)
    names, s_lat, s_lng = stations
    p: dict[str, list[Any]] = {k: [] for k in ("n_job", "n_cat", "n_station", "n_km", "n_km3", "n_walk", "n_band",
                                               "n_mask", "n_settle", "n_unit", "n_pay", "n_earliest",
                                               "n_latest")}
    reaches = np.array(m.REACHES)
    bands = reaches + 1e-9
    lat1, lng1 = np.radians(s_lat), np.radians(s_lng)
    for job in jobs:
        mask = m.job_days_mask(job.start_date, job.end_date, today)
        if job.status != "open" or job.valid_through < today or not mask or not names:
            continue
        p1, l1 = np.radians(job.lat), np.radians(job.lng)
        a = np.sin((lat1 - p1) / 2) ** 2 + np.cos(p1) * np.cos(lat1) * np.sin((lng1 - l1) / 2) ** 2
        km = 2 * m.EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        near = np.flatnonzero(km <= m.MAX_REACH_KM)
        if not len(near):
            continue
        earliest, latest = m.birth_range(job.age_min, job.age_max, m.first_day(job.start_date, today))
        # PostgreSQL dates stop short of date.min / date.max
        rules = (mask, job.settlement, job.pay_unit, job.pay_amount, max(earliest, date(1, 1, 2)),
                 min(latest, date(9999, 12, 30)))
        d = km[near]
        station, d3 = [names[i] for i in near], np.round(d, 3).tolist()
        walk = np.ceil(m.ROUTE_FACTOR * d / m.WALK_KMH * 60 - 1e-9).astype(np.int64).tolist()
        band = (reaches[np.searchsorted(bands, d)] - 1e-9).tolist()
        for category in (job.category, ""):  # its own category and "any": equality on the index
            p["n_job"] += [job.id] * len(near)
            p["n_cat"] += [category] * len(near)
            p["n_station"] += station
            p["n_km"] += d.tolist()
            p["n_km3"] += d3
            p["n_walk"] += walk
            p["n_band"] += band
            for key, value in zip(("n_mask", "n_settle", "n_unit", "n_pay", "n_earliest", "n_latest"), rules,
                                  strict=True):
                p[key] += [value] * len(near)
    return p


def match_jobs(session: Session, jobs: Sequence[m.JobFacts], job_ids: Sequence[str], at: datetime) -> dict[str, int]:
    """As central.matching.match_jobs (whose caller has loaded `jobs`), in the database."""
    stations = _station_arrays(session)
    facts = {j.id: j for j in jobs}
    out = {"added": 0, "dropped": 0, "moved": 0}
    # The ranking sorts ~300,000 rows per chunk: in memory, for this transaction only.
    work_mem = session.execute(text("SELECT current_setting('work_mem')")).scalar_one()
    session.execute(text("SELECT set_config('work_mem', '64MB', true)"))
    for i in range(0, len(job_ids), CHUNK):
        chunk = list(job_ids[i:i + CHUNK])
        params = {**_params([facts[j] for j in chunk if j in facts], stations, at), "j_all": chunk, "at": at,
                  "top": m.MAX_PER_JOB, "any_day": m.ANY_DAY, "at_epoch": at.timestamp()}
        session.execute(_FIT, params)  # (a failure rolls the temporary table back with the rest)
        # The diff's anti-join probes it by match id: indexed, it stays fast whatever plan the
        # statistics of `matches` (stale right after an import wrote 200,000 rows) lead to.
        session.execute(text("CREATE INDEX ON match_fit (match_id)"))
        session.execute(text("ANALYZE match_fit"))
        session.execute(_DROP_EVENTS, params)
        out["dropped"] += session.execute(_DROP, params).rowcount
        out["moved"] += session.execute(_MOVE, params).rowcount
        out["added"] += session.execute(_ADD, params).rowcount
        session.execute(text("DROP TABLE match_fit"))
    session.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": work_mem})
    return out
