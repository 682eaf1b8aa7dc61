"""Follow-up inbox (issue 12): the first page of a county's applications (50 rows, newest
first, seekers decrypted and masked, counts per status) over 100,000 applications on SQLite.
Goal: p95 <= 50 ms. Baseline in the same run: the same page with the inbox indexes dropped
(what migration 0007's indexes buy).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.run import Row

GOAL_MS = 50.0
STATUSES = ("new", "new", "new", "contacted", "no_answer", "hired", "not_hired", "withdrawn")


def _fill(engine, cipher, n: int) -> str:  # noqa: ANN001 - returns the county code
    from sqlalchemy import insert, select, text

    from central import db, seed
    from central.models import Application, Job, Station
    from central.services import Keyring, now

    with db.session_factory(engine)() as s:
        seed.seed(s, Keyring(cipher))
        station = s.scalars(select(Station).order_by(Station.id)).first()
        county = station.county
        stations = s.scalars(select(Station.id).where(Station.county == county)).all()
        jobs = s.scalars(select(Job.id).where(Job.county == county)).all()
    t0 = now() - timedelta(days=60)
    rows = []
    for i in range(n):
        app_id = str(uuid.uuid4())
        person = json.dumps({"id_number": f"11010519900101{i % 10000:04d}", "name": "张测试",
                             "phone": f"138{i:08d}"}).encode()
        rows.append({
            "id": app_id, "station_id": stations[i % len(stations)], "county": county,
            "job_id": jobs[i % len(jobs)], "idempotency_key": app_id, "request_hash": "",
            "person_hash": None, "seeker_hash": cipher.seeker_hash(f"{i:018d}"), "response": "{}",
            "seeker_enc": cipher.encrypt(person, b"application:" + app_id.encode()),
            "consent_version": "2026-01", "consent_at": t0, "created_at": t0 + timedelta(seconds=50 * i),
            "withdrawn": False, "status": STATUSES[i % len(STATUSES)], "attempts": 0,
        })
    with engine.begin() as conn:
        for i in range(0, n, 5000):
            conn.execute(insert(Application), rows[i:i + 5000])
        # what followup.bump_count keeps as applications come in (migration 0007 does the same)
        conn.execute(text("INSERT INTO application_counts (county, status, n) "
                          "SELECT county, status, count(*) FROM applications GROUP BY county, status"))
    return county


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] * 1000


def _time_page(engine, cipher, county: str, runs: int, **filters) -> list[float]:  # noqa: ANN001, ANN003
    from central import db, followup

    f = followup.Filters(**filters)
    out = []
    with db.session_factory(engine)() as s:
        followup.inbox(s, cipher, county, f)  # warm the page cache
        for _ in range(runs):
            t = time.perf_counter()
            page = followup.inbox(s, cipher, county, f)
            out.append(time.perf_counter() - t)
            s.rollback()
    assert len(page["applications"]) == 50 and page["total"] > 50
    return out


def run(quick: bool) -> list[Row]:
    from sqlalchemy import text

    from central import db
    from central.security import DataCipher, new_data_key

    n = 10_000 if quick else 100_000
    runs = 30 if quick else 200
    cipher = DataCipher(new_data_key())
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'inbox.db'}")
        db.migrate(engine)
        county = _fill(engine, cipher, n)
        first = _time_page(engine, cipher, county, runs)
        new = _time_page(engine, cipher, county, runs, status="new")
        p95 = _p(first, 95)
        rows.append(Row("inbox", f"first page of {n:,} applications, p95", p95, "ms",
                        f"<= {GOAL_MS:g} ms", p95 <= GOAL_MS))
        rows.append(Row("inbox", "first page, p50", _p(first, 50), "ms"))
        rows.append(Row("inbox", "first page filtered status=new, p95", _p(new, 95), "ms",
                        f"<= {GOAL_MS:g} ms", _p(new, 95) <= GOAL_MS))
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_applications_county_status_created"))
            conn.execute(text("DROP INDEX ix_applications_county_created"))
        with db.session_factory(engine)() as s:
            grouped = []
            for _ in range(max(10, runs // 10)):
                t = time.perf_counter()
                s.execute(text("SELECT status, count(*) FROM applications WHERE county = :c GROUP BY status"),
                              {"c": county}).all()
                grouped.append(time.perf_counter() - t)
        rows.append(Row("inbox", "for comparison: counting per status by GROUP BY, p95", _p(grouped, 95), "ms"))
        base = _time_page(engine, cipher, county, max(10, runs // 10))
        rows.append(Row("inbox", "baseline: first page without the inbox indexes, p95", _p(base, 95), "ms"))
        rows.append(Row("inbox", "speed-up from the indexes (baseline p95 / p95)", _p(base, 95) / p95, "x"))
        engine.dispose()
    return rows
