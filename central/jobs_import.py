"""Jobs from a county's spreadsheet (CSV or XLSX): validate every row, then write in bulk.

Headers are the API's job field names (`id,title,...,requirements.age_min`) or the admin form's
Chinese labels. Each row is all-or-nothing (validated with the API's JobIn); the `id` column is
the county's own job id, so importing the same file again updates the jobs instead of adding
copies. Ids are county-namespaced: an id without the "<county>-" prefix gets it (reported as
`prefixed`). Row numbers are the spreadsheet's: the header is row 1.

Writes are bulk: one query for the existing ids, one counter bump for the whole batch, one
executemany insert and one for updates — not one transaction per row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from central import matching, services, trust
from central.admin.forms import errors_by_field
from central.models import Counter, Job
from central.schemas import JobIn

# English field name -> accepted header spellings (besides the name itself).
LABELS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "编号（可留空）", "岗位编号"),
    "title": ("岗位名称",),
    "category": ("类别",),
    "employer": ("用工单位",),
    "headcount": ("招聘人数",),
    "pay_amount": ("薪酬金额（元）", "薪酬金额"),
    "pay_unit": ("计薪单位",),
    "settlement": ("结算方式",),
    "start_date": ("开始日期",),
    "end_date": ("结束日期",),
    "daily_hours": ("每日工作时间",),
    "valid_through": ("招聘截止",),
    "address": ("工作地址",),
    "district": ("街道/乡镇",),
    "directions": ("交通指引",),
    "lat": ("纬度",),
    "lng": ("经度",),
    "contact": ("联系人及电话",),
    "requirements.age_min": ("最低年龄", "age_min"),
    "requirements.age_max": ("最高年龄", "age_max"),
    "requirements.notes": ("其他要求", "notes"),
    # Optional: links the job to the employer (central.trust); an unknown code adds the
    # employer, unverified, for staff to verify.
    "employer_uscc": ("统一社会信用代码", "用工单位统一社会信用代码"),
}
# The admin form's option labels, so a sheet may say 按天 / 日结 instead of day / daily.
CHOICES: dict[str, dict[str, str]] = {
    "pay_unit": {"按小时": "hour", "小时": "hour", "按天": "day", "天": "day", "按件": "piece",
                 "件": "piece", "按单": "order", "单": "order"},
    "settlement": {"日结": "daily", "周结": "weekly", "完工结": "on_completion"},
}
_HEADERS = {h.strip().lower(): name for name, extra in LABELS.items() for h in (name, *extra)}
MAX_ROWS = 50_000


class ImportError_(ValueError):
    """The file as a whole cannot be read (format, headers): one line for the user."""


@dataclass
class Rejected:
    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class Result:
    imported: int = 0
    updated: int = 0
    prefixed: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    dry_run: bool = False
    headers: list[str] = field(default_factory=list)
    raw_rows: dict[int, list[Any]] = field(default_factory=dict)  # rejected rows, as read

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"imported": self.imported, "updated": self.updated,
                               "rejected": [r.as_dict() for r in self.rejected]}
        if self.prefixed:
            out["prefixed"] = self.prefixed
            out["note"] = (f"ids without the county prefix were stored with it (job ids are "
                           f"county-namespaced): {self.prefixed} row(s)")
        if self.dry_run:
            out["dry_run"] = True
        return out

    def rejected_csv(self) -> str:
        """The rejected rows as read, plus the reasons: fix them and import this file again."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["row", *self.headers, "error"])
        reasons: dict[int, list[str]] = {}
        for r in self.rejected:
            reasons.setdefault(r.row, []).append(f"{r.field}: {r.reason}")
        for row, cells in sorted(self.raw_rows.items()):
            w.writerow([row, *["" if c is None else c for c in cells], "; ".join(reasons.get(row, []))])
        return buf.getvalue()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[Any]]]:
    """(header cells, data rows) from CSV (UTF-8, with or without BOM; or GB18030) or XLSX."""
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportError_(f"{filename}: not a readable .xlsx file ({type(exc).__name__})") from None
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    elif name.endswith((".csv", ".txt")) or not name:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportError_(f"{filename}: not UTF-8 or GB18030 text")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise ImportError_(f"{filename}: only .csv and .xlsx files can be imported")
    while rows and all(c in (None, "") for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportError_(f"{filename}: the file is empty")
    if len(rows) - 1 > MAX_ROWS:
        raise ImportError_(f"{filename}: at most {MAX_ROWS} rows per file")
    return ["" if h is None else str(h) for h in rows[0]], rows[1:]


def map_headers(headers: list[str]) -> list[str | None]:
    """Field name per column (None: an empty header). Unknown or repeated headers are errors,
    so a misspelt column is never silently dropped."""
    out: list[str | None] = []
    seen: set[str] = set()
    for h in headers:
        key = h.strip().lower()
        if not key:
            out.append(None)
            continue
        name = _HEADERS.get(key)
        if name is None:
            raise ImportError_(f"unknown column {h!r}: use the job field names "
                               "(id,title,category,...) or the admin form's labels (编号,岗位名称,...)")
        if name in seen:
            raise ImportError_(f"column {h!r} appears twice")
        seen.add(name)
        out.append(name)
    if "id" not in seen:
        raise ImportError_("an id column (编号) is required: it is what makes a re-import update "
                           "instead of duplicate")
    return out


def _cell(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        value = value.strip()
        if name in CHOICES:
            value = CHOICES[name].get(value, value.split(" ")[0] if " " in value else value)
    if isinstance(value, float) and value.is_integer() and name in ("headcount", "requirements.age_min",
                                                                     "requirements.age_max"):
        return int(value)
    if name == "id" and isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet turns 0012 into 12.0
    if name == "id" and isinstance(value, int):
        return str(value)
    return value


def _row_dict(columns: list[str | None], cells: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    req: dict[str, Any] = {}
    for name, value in zip(columns, cells, strict=False):
        if name is None or value is None or value == "":
            continue
        value = _cell(name, value)
        if name.startswith("requirements."):
            req[name.split(".", 1)[1]] = value
        else:
            data[name] = value
    if req:
        data["requirements"] = req
    return data


def _values(job: JobIn) -> dict[str, Any]:
    data = job.model_dump(exclude={"id"})
    data["requirements"] = job.requirements.model_dump(exclude_none=True)
    return data


def import_jobs(session: Session, county: str, headers: list[str], rows: list[list[Any]],
                dry_run: bool = False) -> Result:
    """Validates every row, then inserts new ids and replaces existing ones of `county`.

    Leaves committing to the caller (nothing is written with `dry_run`)."""
    columns = map_headers(headers)
    result = Result(dry_run=dry_run, headers=headers)
    prefix = f"{county}-"
    good: dict[str, tuple[int, JobIn]] = {}
    codes: dict[str, str] = {}  # job id -> the employer's compact USCC
    prefixed: set[str] = set()
    for i, cells in enumerate(rows, start=2):
        if all(c in (None, "") for c in cells):
            continue
        data = _row_dict(columns, cells)
        problems: list[Rejected] = []
        raw_id = str(data.get("id", "")).strip()
        if not raw_id:
            problems.append(Rejected(i, "id", "required: the county's own job id"))
        else:
            job_id = raw_id if raw_id.startswith(prefix) else prefix + raw_id
            data["id"] = job_id
        code = str(data.pop("employer_uscc", "") or "")
        if code:
            try:
                code = trust.check_uscc(code)
            except trust.BadUscc as exc:
                problems.append(Rejected(i, "employer_uscc", str(exc)))
        try:
            job = JobIn.model_validate(data)
        except ValidationError as exc:
            problems += [Rejected(i, f, msg) for f, msg in errors_by_field(exc).items()]
            job = None
        if not problems and job is not None:
            if job.id in good:
                problems.append(Rejected(i, "id", f"duplicate of row {good[job.id][0]} in this file"))
            else:
                good[job.id] = (i, job)
                if code:
                    codes[job.id] = code
                if raw_id != job.id:
                    prefixed.add(job.id)
        if problems:
            result.rejected += problems
            result.raw_rows[i] = list(cells)
    existing: dict[str, str] = {}
    ids = list(good)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        existing.update(session.execute(select(Job.id, Job.county).where(Job.id.in_(chunk))).all())
    for job_id, owner in list(existing.items()):
        if owner != county:
            row, _ = good.pop(job_id)
            result.rejected.append(Rejected(row, "id", "this id belongs to another county's job"))
            result.raw_rows[row] = list(rows[row - 2])
    result.prefixed = len(prefixed & good.keys())
    result.rejected.sort(key=lambda r: r.row)
    new = [(i, j) for job_id, (i, j) in good.items() if job_id not in existing]
    old = [(i, j) for job_id, (i, j) in good.items() if job_id in existing]
    result.imported, result.updated = len(new), len(old)
    if dry_run or not good:
        return result
    # The matching facts of the jobs being replaced: unchanged ones need no re-matching.
    before = {f.id: f for f in matching.job_facts(session, [job.id for _, job in old])}
    # One bump for the whole batch: the rows take the consecutive values ending at the new one.
    top = session.execute(update(Counter).where(Counter.name == "jobs")
                          .values(value=Counter.value + len(good)).returning(Counter.value)).scalar_one()
    seq = iter(range(top - len(good) + 1, top + 1))
    at = services.now()
    if new:
        session.execute(insert(Job), [{**_values(j), "id": j.id, "county": county, "status": "open",
                                       "seq": next(seq), "updated_at": at} for _, j in new])
    if old:
        session.execute(update(Job), [{**_values(j), "id": j.id, "seq": next(seq), "updated_at": at}
                                      for _, j in old])
    _link_employers(session, county, {k: v for k, v in codes.items() if k in good}, good)
    trust.refresh(session, list(good))
    # Standing registrations (issue 16): new jobs and the ones whose matching facts changed.
    services.rematch_jobs(session, matching.changed_jobs(before, matching.job_facts(session, list(good))))
    return result


def _link_employers(session: Session, county: str, codes: dict[str, str],
                    good: dict[str, tuple[int, JobIn]]) -> None:
    """Rows with a USCC point at that employer (added unverified if new). Rows without one
    keep the link staff made."""
    if not codes:
        return
    ids = trust.employers_by_uscc(session, county, {c: good[j][1].employer for j, c in codes.items()})
    session.execute(update(Job), [{"id": j, "employer_id": ids[c]} for j, c in codes.items()])


def import_file(session: Session, county: str, data: bytes, filename: str, dry_run: bool = False) -> Result:
    headers, rows = read_table(data, filename)
    return import_jobs(session, county, headers, rows, dry_run=dry_run)
