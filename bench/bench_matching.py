"""Standing registrations (issue 16): matching jobs against open registrations, on SQLite and
PostgreSQL (a throwaway cluster, central.pgcluster).

World: one county of 60 × 60 km with 200 stations; 100,000 open registrations (30
categories, 1-3 wanted or any; reach 1/3/5/10 km or 15 minutes; some weekdays, settlement,
minimum pay; birth dates 1960-2005) and 10,000 jobs at random places.
- one new job matched against all open registrations (central.matching.match_jobs with one
  id: the indexed SQL path, matches written), p95 over 200 jobs, each rolled back.
  Goal p95 <= 20 ms.
- 10,000 changed jobs re-matched at once (an import: the in-memory numpy index), matches
  written and committed, then the same again with nothing changed. Goal <= 10 s on PostgreSQL.
Baseline in the same run: the rules (central.matching.fits) applied to every registration
for one job, without any index (what the indexes and the SQL prefilter buy).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.run import Row

GOAL_ONE_MS = 20.0
GOAL_BULK_S = 10.0
CATEGORIES = [f"工种{i:02d}" for i in range(30)]
LAT0, LNG0 = 31.0, 117.0
SPAN_LAT, SPAN_LNG = 60 / 111.2, 60 / (111.2 * 0.857)  # 60 km each way at 31°N


def _wants(rnd: random.Random) -> dict[str, Any]:
    cats = [] if rnd.random() < 0.15 else rnd.sample(CATEGORIES, rnd.choice((1, 1, 2, 3)))
    reach = rnd.choices([{"km": 1}, {"km": 3}, {"km": 5}, {"km": 10}, {"minutes": 15}], [15, 35, 25, 10, 15])[0]
    days = [] if rnd.random() < 0.5 else sorted(rnd.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                                           rnd.randint(1, 5)))
    settlement = rnd.choices(["any", "daily", "weekly"], [60, 30, 10])[0]
    pay = rnd.random()
    min_pay = (None if pay < 0.5 else {"amount": float(rnd.randrange(150, 250, 10)), "unit": "day"} if pay < 0.85
               else {"amount": float(rnd.randrange(20, 30)), "unit": "hour"})
    return {"categories": cats, "reach": reach, "days": days, "settlement": settlement, "min_pay": min_pay}


def _fill(url: str, n_regs: int, n_jobs: int, n_stations: int) -> tuple[Any, list[str]]:
    from sqlalchemy import insert

    from central import db, matching
    from central.models import Job, Registration, RegistrationWant
    from central.security import DataCipher, new_data_key
    from central.services import Keyring, create_county, create_station

    rnd = random.Random(16)
    engine = db.make_engine(url)
    db.migrate(engine)
    keyring = Keyring(DataCipher(new_data_key()))
    stations = []
    with db.session_factory(engine)() as s:
        county = create_county(s, keyring, "bench", "测试县", "Bench", id_prefix="b")
        side = int(n_stations ** 0.5)
        for i in range(n_stations):
            lat = LAT0 + SPAN_LAT * ((i // side) + rnd.random()) / side
            lng = LNG0 + SPAN_LNG * ((i % side) + rnd.random()) / side
            st = create_station(s, keyring, county, {"id": f"b-s{i:03d}", "name": f"站{i}", "lat": lat, "lng": lng},
                                token=uuid.uuid4().hex)
            stations.append((st.id, lat, lng))
        s.commit()
    at = datetime.now(UTC)
    regs, wants = [], []
    for i in range(n_regs):
        sid, lat, lng = rnd.choice(stations)
        w = _wants(rnd)
        r = Registration(id=str(uuid.uuid4()), county="bench", station_id=sid, reference="K7QD-3M9X", lang="zh",
                         seeker_hash=f"{i:064d}", seeker_enc=b"\0" * 120, card_type="resident",
                         birth_date=date(1960 + rnd.randrange(45), 1 + rnd.randrange(12), 1 + rnd.randrange(28)),
                         wants=w, lat=lat, lng=lng, reach_km=matching.reach_km(w), sms=rnd.random() < 0.6,
                         consent_version="v", consent_at=at, consent_days=30, status="open",
                         created_at=at - timedelta(days=rnd.randrange(60)), updated_at=at,
                         expires_at=at + timedelta(days=30))
        regs.append({c.key: getattr(r, c.key) for c in Registration.__table__.columns})
        wants += matching.index_rows(r)
    today = matching.china_today(at)
    jobs = []
    for i in range(n_jobs):
        start = today + timedelta(days=rnd.randrange(0, 10))
        end = start + timedelta(days=rnd.choice((0, 0, 1, 2, 6, 30)))
        unit = rnd.choices(["day", "hour", "piece"], [60, 30, 10])[0]
        jobs.append({"id": f"b-j{i:05d}", "county": "bench", "seq": i + 1, "title": "岗位", "employer": "单位",
                     "category": rnd.choice(CATEGORIES), "headcount": 3,
                     "pay_amount": float(rnd.randrange(120, 300, 10) if unit == "day" else rnd.randrange(15, 40)),
                     "pay_unit": unit, "settlement": rnd.choices(["daily", "weekly", "on_completion"], [60, 25, 15])[0],
                     "start_date": start, "end_date": end, "daily_hours": "08:00-17:00", "address": "路",
                     "district": "", "directions": "", "lat": LAT0 + SPAN_LAT * rnd.random(),
                     "lng": LNG0 + SPAN_LNG * rnd.random(), "contact": "c",
                     "requirements": rnd.choice([{}, {"age_min": 18, "age_max": 50}, {"age_min": 18, "age_max": 60}]),
                     "valid_through": end, "status": "open", "updated_at": at})
    with engine.begin() as conn:
        for i in range(0, len(regs), 5000):
            conn.execute(insert(Registration), regs[i:i + 5000])
        for i in range(0, len(wants), 5000):
            conn.execute(insert(RegistrationWant), wants[i:i + 5000])
        for i in range(0, len(jobs), 5000):
            conn.execute(insert(Job), jobs[i:i + 5000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return engine, [j["id"] for j in jobs]


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] * 1000


def _backend_cpu(session: Any) -> Any:
    """A function giving the CPU seconds used so far by the session's PostgreSQL backend (a
    local cluster: its /proc), or nan on SQLite (it runs in this process)."""
    import os

    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return lambda: float("nan")
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    return cpu


def _measure(url: str, quick: bool) -> dict[str, float]:
    from sqlalchemy import delete, func, select

    from central import db, matching
    from central.models import Job, Match, Registration

    n_regs, n_jobs = (10_000, 1_000) if quick else (100_000, 10_000)
    engine, job_ids = _fill(url, n_regs, n_jobs, 200)
    sessions = db.session_factory(engine)
    out: dict[str, float] = {"regs": n_regs, "jobs": n_jobs}
    try:
        one, cpu, found = [], [], []
        with sessions() as s:
            matching.match_jobs(s, [job_ids[-1]])  # warm caches
            s.rollback()
            for job_id in job_ids[:200]:
                t, c = time.perf_counter(), time.process_time()
                got = matching.match_jobs(s, [job_id])
                one.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                found.append(got["added"])
                s.rollback()
        out["one_p95"], out["one_p50"], out["one_cpu_p95"] = _p(one, 95), _p(one, 50), _p(cpu, 95)
        out["per_job"] = statistics.mean(found)
        # Baseline: every registration through the pure rules (no index, no SQL prefilter).
        with sessions() as s:
            facts = [matching.reg_facts(r) for r in s.scalars(select(Registration))]
            jobs = [matching.JobFacts.of(j) for j in s.scalars(select(Job).where(Job.id.in_(job_ids[:5])))]
        at = datetime.now(UTC)
        base = []
        for j in jobs:
            t = time.perf_counter()
            sum(1 for r in facts if matching.fits(j, r, at) is not None)
            base.append(time.perf_counter() - t)
        out["baseline_ms"] = statistics.median(base) * 1000
        # All jobs at once (an import), twice: first every match is new, then nothing changed.
        for label in ("bulk_first", "bulk_again"):
            with sessions() as s:
                backend = _backend_cpu(s)
                t, c, b = time.perf_counter(), time.process_time(), backend()
                got = matching.match_jobs(s, job_ids)
                s.commit()
                out[label] = time.perf_counter() - t
                out[label + "_cpu"] = time.process_time() - c
                out[label + "_backend_cpu"] = backend() - b
            out[label + "_added"] = got["added"]
        # The import's way with unchanged rows: compare the matching facts, re-match none.
        with sessions() as s:
            t = time.perf_counter()
            before = {f.id: f for f in matching.job_facts(s, job_ids)}
            matching.match_jobs(s, matching.changed_jobs(before, matching.job_facts(s, job_ids)))
            s.commit()
            out["import_unchanged"] = time.perf_counter() - t
        with sessions() as s:
            out["matches"] = s.execute(select(func.count()).select_from(Match)).scalar_one()
            s.execute(delete(Match))
            s.commit()
    finally:
        engine.dispose()
    return out


def _backends(tmp: Path) -> list[tuple[str, str, Any]]:
    from central.pgcluster import PostgresUnavailable, create_database, start_cluster

    out: list[tuple[str, str, Any]] = [("sqlite", f"sqlite:///{tmp}/matching.db", None)]
    try:
        admin, stop = start_cluster()
        out.append(("postgres", create_database(admin, "bench_matching"), stop))
    except PostgresUnavailable as exc:
        print(f"bench_matching: PostgreSQL skipped: {exc}", file=sys.stderr)
    return out


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        for name, url, stop in _backends(Path(tmp)):
            try:
                m = _measure(url, quick)
            finally:
                if stop:
                    stop()
            regs, jobs = f"{m['regs']:,.0f}", f"{m['jobs']:,.0f}"
            rows += [
                Row("matching", f"{name}: one new job against {regs} open registrations, p95", m["one_p95"], "ms",
                    f"<= {GOAL_ONE_MS:g} ms", m["one_p95"] <= GOAL_ONE_MS),
                Row("matching", f"{name}: one new job, p50", m["one_p50"], "ms"),
                Row("matching", f"{name}: one new job, CPU of this process, p95", m["one_cpu_p95"], "ms"),
                Row("matching", f"{name}: matches written per job (mean, at most "
                                f"{__import__('central.matching').matching.MAX_PER_JOB})", m["per_job"], "matches"),
                Row("matching", f"{name}: baseline: the rules over every registration for one job (no index)",
                    m["baseline_ms"], "ms"),
                Row("matching", f"{name}: speed-up of one job over the baseline (baseline / p50)",
                    m["baseline_ms"] / m["one_p50"], "x"),
                Row("matching", f"{name}: re-matching {jobs} changed jobs against {regs} registrations "
                                f"({m['bulk_first_added']:,.0f} matches written)", m["bulk_first"], "s",
                    f"<= {GOAL_BULK_S:g} s" if name == "postgres" else "", m["bulk_first"] <= GOAL_BULK_S
                    if name == "postgres" else None),
                Row("matching", f"{name}: re-matching {jobs} jobs, CPU of this process", m["bulk_first_cpu"], "s"),
                *([Row("matching", f"{name}: re-matching {jobs} jobs, CPU of the PostgreSQL backend",
                       m["bulk_first_backend_cpu"], "s"),
                   Row("matching", f"{name}: the same again, CPU of this process", m["bulk_again_cpu"], "s"),
                   Row("matching", f"{name}: the same again, CPU of the PostgreSQL backend",
                       m["bulk_again_backend_cpu"], "s")]
                  if name == "postgres" else []),
                Row("matching", f"{name}: the same {jobs} jobs again (nothing changed)", m["bulk_again"], "s",
                    f"<= {GOAL_BULK_S:g} s" if name == "postgres" else "", m["bulk_again"] <= GOAL_BULK_S
                    if name == "postgres" else None),
                Row("matching", f"{name}: the same {jobs} jobs re-imported unchanged (facts compared, none "
                                f"re-matched)", m["import_unchanged"], "s"),
            ]
    return rows


if __name__ == "__main__":
    from bench.run import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
