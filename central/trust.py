"""Trust on every job (issue 16): verified employers, the county's guidance wages, and the
seekers' "report this job" with its review queue.

Stations read trust with the job itself: `jobs.employer_verified` and `jobs.guidance_amount`
are denormalised, so the delta stays one query per page. Whatever changes them (a
verification, a new guidance wage, a hidden or re-shown job) gives the affected jobs new change
sequence numbers, so every station picks the change up on its next poll.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from central.models import Counter, County, Employer, GuidanceWage, Job, JobReport, Station
from central.services import Conflict, NotFound, as_utc, iso, now, rematch_jobs
from central.text import has_bad_characters

REASONS = ("fee", "false_info", "unpaid_wages", "other")
DECISIONS = ("uphold", "dismiss")
PAY_UNITS = ("hour", "day", "piece", "order")
DEFAULT_THRESHOLD = 3
# Below this share of the guidance wage (same pay unit) the kiosk says the pay is low.
LOW_PAY_SHARE = 0.8


class BadUscc(ValueError):
    """Not a valid 统一社会信用代码; the message says why, in both languages."""


def check_uscc(code: str) -> str:
    """The compact form of a valid USCC, else BadUscc with a message for staff."""
    try:
        return uscc.validate(code)
    except StdnumError as exc:
        raise BadUscc(f"not a valid unified social credit code ({exc}) / "
                      "统一社会信用代码无效：请核对营业执照上的18位代码") from None


# -- change sequence -----------------------------------------------------------------------------


def _restamp(session: Session, job_ids: list[str]) -> None:
    """Gives `job_ids` new consecutive change sequence numbers (one counter bump) and
    recomputes their trust columns, so the stations' next delta carries them."""
    if not job_ids:
        return
    top = session.execute(update(Counter).where(Counter.name == "jobs")
                          .values(value=Counter.value + len(job_ids)).returning(Counter.value)).scalar_one()
    at = now()
    session.execute(update(Job), [{"id": j, "seq": top - len(job_ids) + 1 + i, "updated_at": at}
                                  for i, j in enumerate(job_ids)])
    refresh(session, job_ids)


def refresh(session: Session, job_ids: Iterable[str]) -> None:
    """Recomputes employer_verified and guidance_amount of the jobs, in one UPDATE per 1,000
    jobs (correlated subqueries: the same SQL on SQLite and PostgreSQL). No seq bump."""
    ids = list(job_ids)
    verified = (select(Employer.verified_at.is_not(None)).where(Employer.id == Job.employer_id)
                .scalar_subquery())
    wage = select(GuidanceWage.amount).where(
        GuidanceWage.county == Job.county, GuidanceWage.category == Job.category,
        GuidanceWage.pay_unit == Job.pay_unit).scalar_subquery()
    for start in range(0, len(ids), 1000):
        session.execute(update(Job).where(Job.id.in_(ids[start:start + 1000]))
                        .values(employer_verified=func.coalesce(verified, False), guidance_amount=wage)
                        .execution_options(synchronize_session=False))
    for job in session.identity_map.values():  # loaded rows read the new values again
        if isinstance(job, Job) and job.id in ids:
            session.expire(job)


def stamp(session: Session, job: Job) -> None:
    """Sets one job's trust columns (after save_job changed its category or pay unit)."""
    employer = session.get(Employer, job.employer_id) if job.employer_id else None
    job.employer_verified = bool(employer and employer.verified_at is not None)
    wage = session.get(GuidanceWage, (job.county, job.category, job.pay_unit))
    job.guidance_amount = wage.amount if wage else None


def _live_ids(session: Session, *where: Any) -> list[str]:
    # Closed jobs are gone from the stations already: no need to send them again.
    return list(session.scalars(select(Job.id).where(Job.status != "closed", *where).order_by(Job.id)))


# -- employers -----------------------------------------------------------------------------------


def employer_dict(e: Employer, jobs: int = 0) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "uscc": e.uscc, "licence_seen": e.licence_seen,
            "verified": e.verified_at is not None, "verified_by": e.verified_by,
            "verified_at": iso(e.verified_at) if e.verified_at else None, "jobs": jobs}


def employers(session: Session, county: str) -> list[dict[str, Any]]:
    counts = dict(session.execute(select(Job.employer_id, func.count()).where(
        Job.county == county, Job.employer_id.is_not(None)).group_by(Job.employer_id)).all())
    rows = session.scalars(select(Employer).where(Employer.county == county).order_by(Employer.name))
    return [employer_dict(e, counts.get(e.id, 0)) for e in rows]


def add_employer(session: Session, county: str, name: str, code: str) -> Employer:
    """A new (unverified) employer; BadUscc or Conflict (the code is registered already)."""
    compact = check_uscc(code)
    if session.scalars(select(Employer).where(Employer.county == county, Employer.uscc == compact)).first():
        raise Conflict("an employer with this code is registered already / 该统一社会信用代码已登记")
    employer = Employer(county=county, name=name.strip(), uscc=compact, created_at=now())
    session.add(employer)
    session.flush()
    return employer


def get_employer(session: Session, county: str, employer_id: int) -> Employer:
    employer = session.get(Employer, employer_id)
    if employer is None or employer.county != county:
        raise NotFound("no such employer in your county")
    return employer


def verify(session: Session, employer: Employer, by: str, licence_seen: bool) -> None:
    """Verified = licence seen by staff (the code was checked when the employer was added).
    Without the licence the verification is withdrawn."""
    employer.licence_seen = licence_seen
    employer.verified_by = by if licence_seen else None
    employer.verified_at = now() if licence_seen else None
    session.flush()
    _restamp(session, _live_ids(session, Job.employer_id == employer.id))


def link_by_name(session: Session, employer: Employer) -> int:
    """Links the county's jobs whose employer text is exactly this employer's name; returns
    how many changed."""
    ids = _live_ids(session, Job.county == employer.county, Job.employer == employer.name,
                    (Job.employer_id.is_(None)) | (Job.employer_id != employer.id))
    for start in range(0, len(ids), 1000):
        session.execute(update(Job).where(Job.id.in_(ids[start:start + 1000]))
                        .values(employer_id=employer.id).execution_options(synchronize_session=False))
    _restamp(session, ids)
    return len(ids)


def employers_by_uscc(session: Session, county: str, codes: dict[str, str]) -> dict[str, int]:
    """{compact code: employer id} for a jobs import; codes not yet known are added, unverified,
    under the name given with them (`codes`: compact code -> employer name)."""
    found = dict(session.execute(select(Employer.uscc, Employer.id).where(
        Employer.county == county, Employer.uscc.in_(list(codes)))).all()) if codes else {}
    for code, name in codes.items():
        if code not in found:
            employer = Employer(county=county, name=name, uscc=code, created_at=now())
            session.add(employer)
            session.flush()
            found[code] = employer.id
    return found


# -- guidance wages ------------------------------------------------------------------------------


def wages(session: Session, county: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(GuidanceWage).where(GuidanceWage.county == county)
                           .order_by(GuidanceWage.category, GuidanceWage.pay_unit))
    return [{"category": w.category, "pay_unit": w.pay_unit, "amount": w.amount,
             "updated_by": w.updated_by, "updated_at": iso(w.updated_at)} for w in rows]


def set_wage(session: Session, county: str, category: str, pay_unit: str, amount: float | None,
             by: str) -> None:
    """Sets (or with None removes) a guidance wage; the jobs it applies to are re-sent."""
    wage = session.get(GuidanceWage, (county, category, pay_unit))
    if amount is None:
        if wage is not None:
            session.delete(wage)
    elif wage is None:
        session.add(GuidanceWage(county=county, category=category, pay_unit=pay_unit, amount=amount,
                                 updated_by=by, updated_at=now()))
    else:
        wage.amount, wage.updated_by, wage.updated_at = amount, by, now()
    session.flush()
    _restamp(session, _live_ids(session, Job.county == county, Job.category == category,
                                Job.pay_unit == pay_unit))


def below_guidance(pay_amount: float, guidance: float | None) -> bool:
    """The kiosk's rule, mirrored for staff pages: pay below 80 % of the guidance wage."""
    return guidance is not None and pay_amount < LOW_PAY_SHARE * guidance


# -- reports -------------------------------------------------------------------------------------


def report(session: Session, station: Station, key: str, request_hash: str, job_id: str,
           reason: str, visit: str, at: datetime) -> tuple[str, bool]:
    """Records a report; returns (response JSON, created). A repeated Idempotency-Key replays
    the first answer (Conflict if the body differs). Once open reports come from
    `report_threshold` different visits, an open job goes to review: hidden from stations."""
    earlier = session.scalars(select(JobReport).where(JobReport.station_id == station.id,
                                                      JobReport.idempotency_key == key)).first()
    if earlier is not None:
        if earlier.request_hash != request_hash:
            raise Conflict("Idempotency-Key already used with a different request")
        return _response(earlier), False
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None or job.county != station.county:
        raise NotFound("no such job")
    row = JobReport(id=str(uuid.uuid4()), county=station.county, job_id=job.id, station_id=station.id,
                    reason=reason, visit=visit, idempotency_key=key, request_hash=request_hash,
                    reported_at=at, created_at=now(), status="open")
    session.add(row)
    session.flush()
    if job.status == "open" and open_visits(session, job.id) >= threshold(session, station.county):
        job.status = "review"
        _restamp(session, [job.id])
        rematch_jobs(session, [job.id])  # no one is called about a job under review
    return _response(row), True


def _response(r: JobReport) -> str:
    return json.dumps({"id": r.id, "job_id": r.job_id, "status": "received",
                       "created_at": iso(r.created_at)})


def open_visits(session: Session, job_id: str) -> int:
    return session.execute(select(func.count(distinct(JobReport.visit))).where(
        JobReport.job_id == job_id, JobReport.status == "open")).scalar_one()


def threshold(session: Session, county: str) -> int:
    value = session.execute(select(County.report_threshold).where(County.code == county)).scalar()
    return value or DEFAULT_THRESHOLD


def set_threshold(session: Session, county: str, value: int) -> None:
    session.execute(update(County).where(County.code == county).values(report_threshold=value))


def queue(session: Session, county: str, status: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    """Reports grouped by job, most-reported first: distinct visits, reports per reason."""
    rows = session.execute(
        select(JobReport.job_id, JobReport.reason, func.count(), func.count(distinct(JobReport.visit)),
               func.min(JobReport.created_at), func.max(JobReport.created_at), func.min(JobReport.id))
        .where(JobReport.county == county, JobReport.status == status)
        .group_by(JobReport.job_id, JobReport.reason)).all()
    groups: dict[str, dict[str, Any]] = {}
    for job_id, reason, n, _, first, last, some_id in rows:
        g = groups.setdefault(job_id, {"job_id": job_id, "reasons": {}, "reports": 0,
                                       "first_at": first, "last_at": last, "report_id": some_id})
        g["reasons"][reason] = n
        g["reports"] += n
        g["first_at"], g["last_at"] = min(g["first_at"], first), max(g["last_at"], last)
        g["report_id"] = min(g["report_id"], some_id)
    if not groups:
        return []
    visits = dict(session.execute(select(JobReport.job_id, func.count(distinct(JobReport.visit))).where(
        JobReport.county == county, JobReport.status == status, JobReport.job_id.in_(list(groups)))
        .group_by(JobReport.job_id)).all())
    jobs = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(list(groups))))}
    out = []
    for g in groups.values():
        job = jobs[g["job_id"]]
        out.append({**g, "visits": visits.get(g["job_id"], 0), "job_title": job.title,
                    "employer": job.employer, "job_status": job.status,
                    "first_at": iso(as_utc(g["first_at"])), "last_at": iso(as_utc(g["last_at"]))})
    out.sort(key=lambda g: (-g["visits"], g["last_at"]))
    return out[:limit]


def get_report(session: Session, county: str, report_id: str) -> JobReport:
    row = session.get(JobReport, report_id)
    if row is None or row.county != county:
        raise NotFound("no such report in your county")
    return row


def resolve(session: Session, county: str, job_id: str, decision: str, by: str) -> dict[str, Any]:
    """Decides every open report of the job. uphold: the job is closed for good (stations drop
    it); dismiss: a job under review is shown again, and counting starts afresh."""
    if has_bad_characters(job_id):  # PostgreSQL refuses NUL with an error, not a miss
        raise NotFound("no such job in your county")
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None or job.county != county:
        raise NotFound("no such job in your county")
    at = now()
    n = session.execute(update(JobReport).where(JobReport.job_id == job.id, JobReport.status == "open")
                        .values(status="upheld" if decision == "uphold" else "dismissed",
                                resolved_by=by, resolved_at=at)
                        .execution_options(synchronize_session=False)).rowcount
    if decision == "uphold" and job.status != "closed":
        job.status = "closed"
        _restamp(session, [job.id])
        rematch_jobs(session, [job.id])
    elif decision == "dismiss" and job.status == "review":
        job.status = "open"
        _restamp(session, [job.id])
        rematch_jobs(session, [job.id])  # matched again: the registrations waited meanwhile
    session.flush()
    session.refresh(job)
    return {"job_id": job.id, "job_status": job.status, "resolved": n, "decision": decision}


# -- demo ----------------------------------------------------------------------------------------


def seed_demo(session: Session, doc: dict[str, Any], by: str = "seed-demo") -> None:
    """assets/demo/trust.json: employers (verified when licence_seen) linked to the jobs that
    carry their name, and guidance wages."""
    for county, data in doc.get("counties", {}).items():
        for e in data.get("employers", []):
            employer = add_employer(session, county, e["name"], e["uscc"])
            link_by_name(session, employer)
            if e.get("licence_seen"):
                verify(session, employer, by, True)
        for w in data.get("guidance_wages", []):
            set_wage(session, county, w["category"], w["pay_unit"], float(w["amount"]), by)
