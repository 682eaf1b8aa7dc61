"""Follow-up of applications (issue 12): the county's inbox, revealing a seeker's contact
(every reveal logged), the outcome workflow, the kiosk's "my registrations" and withdrawal,
and erasing personal data. Used by the JSON API (central.followup_api) and the admin pages
(central.admin.inbox); like central.services, every function leaves committing to the caller.

Personal data stays encrypted in `applications.seeker_enc`; it is decrypted only to show it
masked, or in clear to a role that may reveal it, and then an `access_log` row says who,
when and why. Erasing replaces the ciphertext and nulls every hash that identifies the
person; the row and its status stay, so counts survive.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.models import AccessLog, Application, ApplicationCount, ApplicationEvent, Job, Station
from central.security import DataCipher
from central.services import Conflict, Gone, NotFound, as_utc, iso, now
from central.text import has_bad_characters

STATUSES = ("new", "contacted", "no_answer", "hired", "not_hired", "withdrawn")
FINAL = frozenset({"hired", "not_hired", "withdrawn"})
# Where each status may go next. no_answer → no_answer is another unanswered call (attempts
# + 1); giving up after unanswered calls is not_hired. "referred" is a mark, not a status.
NEXT: dict[str, frozenset[str]] = {
    "new": frozenset({"contacted", "no_answer", "withdrawn"}),
    "no_answer": frozenset({"no_answer", "contacted", "not_hired", "withdrawn"}),
    "contacted": frozenset({"hired", "not_hired", "withdrawn"}),
    "hired": frozenset(), "not_hired": frozenset(), "withdrawn": frozenset(),
}
REFERRED = "referred"
OUTCOMES = (*STATUSES[1:], REFERRED)
LABELS = {"new": "新报名 New", "contacted": "已联系 Contacted", "no_answer": "未接通 No answer",
          "hired": "已上岗 Hired", "not_hired": "未录用 Not hired", "withdrawn": "已撤回 Withdrawn",
          REFERRED: "已推荐给用工单位 Referred to employer"}
# Why a contact was revealed (the access log's reason chip).
REASONS = {
    "follow_up": "回访联系 Follow-up call",
    "referral": "推荐给用工单位 Employer referral",
    "seeker_request": "本人要求 Seeker's request",
    "data_check": "核对信息 Checking details",
}
# Days in the inbox and on the call list are Chinese days (UTC+8, no daylight saving).
CHINA = timezone(timedelta(hours=8))
KIOSK_STATUSES = ("new", "contacted", "no_answer", "hired", "not_hired")


# -- masking ------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """'张三' → '张*', '李小梅' → '李*梅' (as the kiosk shows names)."""
    v = name.strip()
    if len(v) <= 2:
        return v[:1] + "*" * (len(v) - 1)
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


def seeker(cipher: DataCipher, app: Application) -> dict[str, str] | None:
    """The decrypted seeker {id_number, name, phone}, or None once erased. Callers mask it
    or log it (reveal)."""
    if app.erased_at is not None or not app.seeker_enc:
        return None
    return json.loads(cipher.decrypt(bytes(app.seeker_enc), b"application:" + app.id.encode()))


def masked(person: dict[str, str] | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": mask_name(person["name"]), "phone": mask_phone(person["phone"]),
            "id_number": mask_id_number(person["id_number"])}


# -- the inbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    station_id: str | None = None
    job_id: str | None = None
    day: date | None = None


def day_range(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a Chinese calendar day starts and ends."""
    start = datetime.combine(day, time(), CHINA).astimezone(UTC)
    return start, start + timedelta(days=1)


def china_today(at: datetime | None = None) -> date:
    return (at or now()).astimezone(CHINA).date()


def _conditions(county: str, f: Filters, with_status: bool = True) -> list[Any]:
    where: list[Any] = [Application.county == county]
    if with_status and f.status:
        where.append(Application.status == f.status)
    if f.station_id:
        where.append(Application.station_id == f.station_id)
    if f.job_id:
        where.append(Application.job_id == f.job_id)
    if f.day:
        start, end = day_range(f.day)
        where += [Application.created_at >= start, Application.created_at < end]
    return where


def bump_count(session: Session, county: str, status: str, delta: int) -> None:
    """Adds `delta` to the county's count of `status` (an upsert: the row appears on first use).
    Called in the same transaction as the change it counts."""
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    stmt = insert(ApplicationCount).values(county=county, status=status, n=delta)
    session.execute(stmt.on_conflict_do_update(index_elements=["county", "status"],
                                               set_={"n": ApplicationCount.n + delta}))


def counts(session: Session, county: str, f: Filters) -> dict[str, int]:
    """Applications per status under every filter but the status itself. Without a filter
    they come from application_counts (a few rows, whatever the history's size)."""
    if not (f.station_id or f.job_id or f.day):
        rows = session.execute(select(ApplicationCount.status, ApplicationCount.n)
                               .where(ApplicationCount.county == county)).all()
    else:
        rows = session.execute(select(Application.status, func.count()).where(
            *_conditions(county, f, with_status=False)).group_by(Application.status)).all()
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in STATUSES}


def item(cipher: DataCipher, app: Application, job_title: str, station_name: str) -> dict[str, Any]:
    """One application as staff see it in a list: the seeker masked."""
    return {
        "id": app.id, "job_id": app.job_id, "job_title": job_title, "station_id": app.station_id,
        "station_name": station_name, "created_at": iso(app.created_at), "status": app.status,
        "status_at": iso(app.status_at) if app.status_at else None, "status_by": app.status_by,
        "attempts": app.attempts, "referred": app.referred_at is not None,
        "erased": app.erased_at is not None, "seeker": masked(seeker(cipher, app)),
    }


def inbox(session: Session, cipher: DataCipher, county: str, f: Filters, limit: int = 50,
          offset: int = 0) -> dict[str, Any]:
    """One page of the county's applications, newest first, with counts per status."""
    rows = session.execute(
        select(Application, Job.title, Station.name)
        .join(Job, Job.id == Application.job_id).join(Station, Station.id == Application.station_id)
        .where(*_conditions(county, f))
        .order_by(Application.created_at.desc(), Application.id.desc()).limit(limit).offset(offset)
    ).all()
    per_status = counts(session, county, f)
    total = per_status.get(f.status, 0) if f.status else sum(per_status.values())
    return {"applications": [item(cipher, a, title, name) for a, title, name in rows],
            "counts": per_status, "total": total, "limit": limit, "offset": offset}


def get(session: Session, app_id: str, county: str) -> Application:
    """The application if it belongs to `county`, else NotFound (another county's looks unknown)."""
    # Ids with control characters are unknown (PostgreSQL refuses NUL with an error, not a miss).
    app = session.get(Application, app_id) if len(app_id) <= 36 and not has_bad_characters(app_id) else None
    if app is None or app.county != county:
        raise NotFound("no such application in your county")
    return app


def detail(session: Session, cipher: DataCipher, app: Application) -> dict[str, Any]:
    """item() plus the follow-up history and the employer's contact (from the job)."""
    job = session.get(Job, app.job_id)
    station = session.get(Station, app.station_id)
    events = session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                             .order_by(ApplicationEvent.id)).all()
    return {**item(cipher, app, job.title, station.name), "employer": job.employer,
            "employer_contact": job.contact, "next": sorted(NEXT[app.status]),
            "events": [{"at": iso(e.at), "by": e.by, "status": e.status, "note": e.note} for e in events]}


# -- reveal and access log ----------------------------------------------------------------------


def log_access(session: Session, app: Application, by: str, reason: str, action: str,
               at: datetime | None = None) -> None:
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    session.add(AccessLog(county=app.county, at=at or now(), by=by, application_id=app.id,
                          reason=reason, action=action))


def reveal(session: Session, cipher: DataCipher, app: Application, by: str, reason: str) -> dict[str, Any]:
    """Name and phone in clear (the ID number stays masked), logged. Gone once erased."""
    person = seeker(cipher, app)
    if person is None:
        raise Gone("the personal data of this application has been erased")
    log_access(session, app, by, reason, "reveal")
    session.flush()
    return {"id": app.id, "name": person["name"], "phone": person["phone"],
            "id_number": mask_id_number(person["id_number"]), "reason": reason}


def access_log(session: Session, county: str, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    rows = session.scalars(select(AccessLog).where(AccessLog.county == county)
                           .order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit).offset(offset)).all()
    return [{"at": iso(r.at), "by": r.by, "application_id": r.application_id, "match_id": r.match_id,
             "reason": r.reason, "action": r.action} for r in rows]


# -- outcomes -------------------------------------------------------------------------------------


def set_outcome(session: Session, app: Application, status: str, note: str, by: str,
                at: datetime | None = None) -> Application:
    """Moves the application along NEXT (else Conflict), or sets the "referred" mark once.
    Withdrawn erases the personal data at once."""
    at = at or now()
    if status == REFERRED:
        if app.referred_at is not None or app.status in FINAL:
            raise Conflict("already referred" if app.referred_at else f"the application is {app.status}")
        app.referred_at, app.referred_by = at, by
    else:
        if status not in NEXT[app.status]:
            raise Conflict(f"cannot go from {app.status} to {status}")
        if not _claim(session, app):
            raise Conflict(f"the application changed meanwhile; it is {app.status}")
        if status == "no_answer":
            app.attempts += 1
        if status != app.status:
            bump_count(session, app.county, app.status, -1)
            bump_count(session, app.county, status, 1)
        app.status, app.status_at, app.status_by = status, at, by
        if status == "withdrawn":
            app.withdrawn = True
    session.add(ApplicationEvent(application_id=app.id, at=at, by=by, status=status, note=note))
    session.flush()
    if status == "withdrawn":
        erase(session, [app.id], at)
    return app


def _claim(session: Session, app: Application, unerased: bool = False) -> bool:
    """Locks the application's row if it is still as `app` was read (status, attempts; not
    erased if `unerased`), else reloads `app` and returns False. Reads run outside the write
    transaction (SQLite) or under READ COMMITTED (PostgreSQL), so without this a kiosk's
    resend racing its first request, or a second click, took effect and was counted twice."""
    where = [Application.id == app.id, Application.status == app.status, Application.attempts == app.attempts]
    if unerased:
        where.append(Application.erased_at.is_(None))
    got = session.execute(update(Application).where(*where).values(status=Application.status),
                          execution_options={"synchronize_session": False}).rowcount
    if got != 1:
        session.refresh(app)
    return got == 1


# -- erasing --------------------------------------------------------------------------------------


def erase(session: Session, app_ids: list[str], at: datetime) -> int:
    """Erases the personal data of these applications: the ciphertext is replaced (not just
    flagged), the hashes that could tell who applied are nulled, notes emptied. Status,
    dates, job and station stay, so every count survives."""
    if not app_ids:
        return 0
    done = session.execute(update(Application).where(Application.id.in_(app_ids)).values(
        seeker_enc=b"", seeker_hash=None, person_hash=None, request_hash="", erased_at=at),
        execution_options={"synchronize_session": "fetch"}).rowcount
    session.execute(update(ApplicationEvent).where(ApplicationEvent.application_id.in_(app_ids))
                    .values(note=""), execution_options={"synchronize_session": False})
    return done


# -- the kiosk: my registrations, withdrawal -----------------------------------------------------


def my_applications(session: Session, cipher: DataCipher, county: str, id_number: str,
                    at: datetime | None = None) -> list[dict[str, Any]]:
    """A person's live applications in `county`, found by seeker_hash only, newest first."""
    today = china_today(at)
    rows = session.execute(
        select(Application, Job.title, Job.status, Job.valid_through)
        .join(Job, Job.id == Application.job_id)
        .where(Application.seeker_hash == cipher.seeker_hash(id_number), Application.county == county,
               Application.erased_at.is_(None), Application.status.in_(KIOSK_STATUSES))
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    return [{"id": a.id, "job_id": a.job_id, "job_title": title, "created_at": iso(a.created_at),
             "status": a.status, "job_open": job_status == "open" and valid >= today}
            for a, title, job_status, valid in rows]


def withdraw(session: Session, cipher: DataCipher, app_id: str, county: str, id_number: str,
             station_id: str) -> dict[str, str]:
    """The seeker withdraws at a kiosk of the county: erased at once. A repeat (or a row
    already withdrawn or erased) answers the same; an ID number that does not match is
    NotFound. A hired / not hired application keeps its outcome (counts, as the retention
    purge keeps it); its personal data goes now all the same."""
    app = get(session, app_id, county)
    if app.status == "withdrawn" or app.erased_at is not None:
        return {"id": app.id, "status": "withdrawn"}
    if not app.seeker_hash or not hmac.compare_digest(app.seeker_hash, cipher.seeker_hash(id_number)):
        raise NotFound("no such application in your county")
    by = f"station:{station_id}"
    for _ in range(3):  # staff may move the row meanwhile (contacted…): withdraw from there
        if app.status == "withdrawn" or app.erased_at is not None:
            break  # a concurrent resend did it
        if app.status not in FINAL:
            try:
                set_outcome(session, app, "withdrawn", "", by)
                break
            except Conflict:
                continue
        if _claim(session, app, unerased=True):
            at = now()
            app.withdrawn = True
            session.add(ApplicationEvent(application_id=app.id, at=at, by=by, status="withdrawn", note=""))
            session.flush()
            erase(session, [app.id], at)
            break
    else:
        raise Conflict("the application keeps changing; try again")
    return {"id": app.id, "status": "withdrawn"}


def backfill_seeker_hashes(session: Session, cipher: DataCipher, batch: int = 1000) -> int:
    """Sets seeker_hash on live applications stored before it existed (migration 0007), so
    the kiosk's lookup finds them too; returns how many. Needs the data key, so the server
    runs it at start (`gig-central serve`), not the migration."""
    done, last = 0, ""
    while True:
        rows = session.scalars(select(Application).where(
            Application.seeker_hash.is_(None), Application.erased_at.is_(None),
            Application.status != "withdrawn", Application.id > last)
            .order_by(Application.id).limit(batch)).all()
        if not rows:
            return done
        for app in rows:
            person = seeker(cipher, app)
            if person is not None:
                app.seeker_hash = cipher.seeker_hash(person["id_number"])
                done += 1
        last = rows[-1].id
        session.flush()


# -- the day's call list --------------------------------------------------------------------------


CALL_COLUMNS = ("报名时间 Applied", "岗位 Job", "用工单位联系人 Employer contact", "驿站 Station",
                "姓名 Name", "电话 Phone", "状态 Status", "未接次数 Attempts", "编号 Id")


def call_list(session: Session, cipher: DataCipher, county: str, day: date, clear: bool,
              by: str = "", reason: str = "") -> list[tuple[str, ...]]:
    """Who still needs a call at the end of `day` (new or no answer, data not erased), oldest
    first. `clear`: names and phones in clear, each logged as a call_list access with
    `reason`; otherwise masked (a role that may not reveal)."""
    _, end = day_range(day)
    rows = session.execute(
        select(Application, Job.title, Job.contact, Station.name)
        .join(Job, Job.id == Application.job_id).join(Station, Station.id == Application.station_id)
        .where(Application.county == county, Application.status.in_(("new", "no_answer")),
               Application.erased_at.is_(None), Application.created_at < end)
        .order_by(Application.created_at, Application.id)
    ).all()
    at = now()
    out = []
    for app, title, contact, station in rows:
        person = seeker(cipher, app)
        if person is None:
            continue
        if clear:
            log_access(session, app, by, reason, "call_list", at)
            name, phone = person["name"], person["phone"]
        else:
            name, phone = mask_name(person["name"]), mask_phone(person["phone"])
        applied = as_utc(app.created_at).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        out.append((applied, title, contact, station, name, phone, LABELS[app.status],
                    str(app.attempts), app.id))
    session.flush()
    return out
