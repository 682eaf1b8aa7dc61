"""Jobs import from a county spreadsheet: 10,000 rows, first import (inserts) and re-import
(updates), from CSV and from XLSX, on SQLite and PostgreSQL. Goal (the onboarding issue):
<= 10 s on PostgreSQL. Baseline in the same run: the row-at-a-time way (services.save_job and a
commit per row, as the admin form does), timed on a sample and scaled to 10,000 rows.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.run import Row

GOAL_S = 10.0


def _rows(n: int, prefix: str = "") -> tuple[list[str], list[list[object]]]:
    start = date.today() + timedelta(days=1)
    headers = ["id", "title", "category", "employer", "headcount", "pay_amount", "pay_unit", "settlement",
               "start_date", "end_date", "daily_hours", "address", "lat", "lng", "contact", "valid_through",
               "requirements.age_min", "requirements.notes"]
    rows = [[f"{prefix}{i:05d}", f"岗位{i}", "搬运", "示例公司", 1 + i % 9, 100 + i % 80, "day", "daily",
             start.isoformat(), (start + timedelta(days=2)).isoformat(), "08:00-17:00", f"示例路{i}号",
             30 + (i % 100) / 1000, 117 + (i % 97) / 1000, "王 139", (start + timedelta(days=2)).isoformat(),
             18, ""] for i in range(n)]
    return headers, rows


def _csv(headers: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _xlsx(headers: list[str], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(sessions, county: str, data: bytes, name: str) -> tuple[float, dict]:  # noqa: ANN001
    from central import jobs_import

    t0 = time.perf_counter()
    with sessions() as s:
        result = jobs_import.import_file(s, county, data, name)
        s.commit()
    return time.perf_counter() - t0, result.as_dict()


def _row_at_a_time(sessions, county: str, n: int) -> float:  # noqa: ANN001
    from central import services
    from central.schemas import JobIn

    headers, rows = _rows(n, prefix="one-")
    jobs = [JobIn.model_validate({**{h: v for h, v in zip(headers, r, strict=True) if "." not in h},
                                  "id": f"{county}-{r[0]}"}) for r in rows]
    t0 = time.perf_counter()
    for job in jobs:
        with sessions() as s:
            services.save_job(s, county, job, job.id)
            s.commit()
    return (time.perf_counter() - t0) / n


def run(quick: bool) -> list[Row]:
    from bench.bench_central import _backends
    from central import db, onboarding, services
    from central.security import DataCipher, new_data_key

    n = 10_000
    sample = 100 if quick else 300
    headers, rows = _rows(n)
    files = {"csv": _csv(headers, rows), "xlsx": _xlsx(headers, rows)}
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for name, make_url, stop in _backends(Path(tmp)):
            try:
                engine = db.make_engine(make_url("jobs_import"))
                db.migrate(engine)
                sessions = db.session_factory(engine)
                with sessions() as s:
                    keyring = services.Keyring(DataCipher(new_data_key()))
                    for kind in files:
                        onboarding.add_county(s, keyring, kind, kind, kind)
                    onboarding.add_county(s, keyring, "base", "base", "base")
                    s.commit()
                per_row = _row_at_a_time(sessions, "base", sample)
                out.append(Row("jobs_import", f"{name}: baseline, one save_job+commit per row ({sample} rows)",
                               per_row * n, "s / 10k rows"))
                for kind, data in files.items():
                    first, r1 = _import(sessions, kind, data, f"jobs.{kind}")
                    again, r2 = _import(sessions, kind, data, f"jobs.{kind}")
                    assert (r1["imported"], r2["updated"], r1["rejected"]) == (n, n, []), (r1, r2)
                    for label, secs in (("first import", first), ("re-import (updates)", again)):
                        goal_ok = secs <= GOAL_S if name == "postgres" else None
                        out.append(Row("jobs_import", f"{name}: {kind} {label}, {n} rows", secs, "s",
                                       f"<= {GOAL_S:g} s" if name == "postgres" else "", goal_ok))
                    # XLSX time is mostly openpyxl reading the sheet, so only CSV has a ratio goal.
                    ratio = per_row * n / first
                    out.append(Row("jobs_import", f"{name}: {kind} first import vs baseline", ratio, "x faster",
                                   ">= 5x" if kind == "csv" else "", ratio >= 5 if kind == "csv" else None))
                engine.dispose()
            except Exception as exc:  # noqa: BLE001 - report, and still stop the cluster
                print(f"bench_jobs_import: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                out.append(Row("jobs_import", f"{name}: FAILED {type(exc).__name__}: {exc}", 0, "", ok=False))
            finally:
                if stop:
                    stop()
    return out
