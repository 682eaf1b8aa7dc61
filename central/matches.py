"""The county's match list (issue 16): who to call for which job, ranked by score; outcomes
through the applications' follow-up workflow (central.followup.NEXT); reveal logged in
access_log. Used by central.matches_api and central.admin.matches; leaves committing to the
caller.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from central import registrations
from central.followup import (
    FINAL,
    NEXT,
    REASONS,
    REFERRED,
    STATUSES,
    mask_id_number,
    mask_name,
    mask_phone,
)
from central.models import AccessLog, Job, Match, MatchEvent, Registration
from central.security import DataCipher
from central.services import Conflict, Gone, NotFound, as_utc, iso, now
from central.text import has_bad_characters


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    station_id: str | None = None
    job_id: str | None = None


def _where(county: str, f: Filters, with_status: bool = True) -> list[Any]:
    where: list[Any] = [Match.county == county]
    if with_status and f.status:
        where.append(Match.status == f.status)
    if f.station_id:
        where.append(Match.station_id == f.station_id)
    if f.job_id:
        where.append(Match.job_id == f.job_id)
    return where


def encode_cursor(score: float, match_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([score, match_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """ValueError for anything we did not hand out."""
    try:
        score, match_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(score, int | float) or not isinstance(match_id, str) or len(match_id) > 36:
        raise ValueError("invalid cursor")
    return float(score), match_id


def counts(session: Session, county: str, f: Filters) -> dict[str, int]:
    rows = dict(session.execute(select(Match.status, func.count()).where(*_where(county, f, with_status=False))
                                .group_by(Match.status)).all())
    return {s: int(rows.get(s, 0)) for s in STATUSES}


def masked(person: dict[str, str] | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": mask_name(person["name"]), "phone": mask_phone(person["phone"])}


def item(cipher: DataCipher, m: Match, title: str, reg: Registration, at: datetime) -> dict[str, Any]:
    return {
        "id": m.id, "job_id": m.job_id, "job_title": title, "registration_id": m.registration_id,
        "station_id": m.station_id, "seeker": masked(registrations.seeker(cipher, reg)),
        "distance_km": m.distance_km, "walk_minutes": m.walk_minutes, "score": m.score,
        "registration_age_days": max(0, (at - as_utc(reg.created_at)).days), "status": m.status,
        "attempts": m.attempts, "referred": m.referred_at is not None, "sms_state": m.sms_state,
        "created_at": iso(m.created_at),
    }


def listing(session: Session, cipher: DataCipher, county: str, f: Filters, limit: int = 50,
            cursor: str | None = None) -> dict[str, Any]:
    """One page of the county's matches, best score first; `cursor` continues after a page."""
    q = (select(Match, Job.title, Registration).join(Job, Job.id == Match.job_id)
         .join(Registration, Registration.id == Match.registration_id).where(*_where(county, f)))
    if cursor:
        score, last = decode_cursor(cursor)
        q = q.where(or_(Match.score < score, (Match.score == score) & (Match.id > last)))
    rows = session.execute(q.order_by(Match.score.desc(), Match.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    at = now()
    return {"matches": [item(cipher, m, title, reg, at) for m, title, reg in rows],
            "counts": counts(session, county, f),
            "cursor": encode_cursor(rows[-1][0].score, rows[-1][0].id) if more else None}


def get(session: Session, match_id: str, county: str) -> Match:
    m = session.get(Match, match_id) if len(match_id) <= 36 and not has_bad_characters(match_id) else None
    if m is None or m.county != county:
        raise NotFound("no such match in your county")
    return m


def by_job(session: Session, cipher: DataCipher, county: str, job_id: str | None = None,
           status: str | None = None) -> list[tuple[Job, list[dict[str, Any]]]]:
    """The call list per job (the admin page): jobs with matches to work on, each with its
    matches best first."""
    where = _where(county, Filters(status=status, job_id=job_id))
    if not status:
        where.append(Match.status.not_in(FINAL))
    rows = session.execute(select(Match, Job, Registration).join(Job, Job.id == Match.job_id)
                           .join(Registration, Registration.id == Match.registration_id).where(*where)
                           .order_by(Job.id, Match.score.desc(), Match.id).limit(2000)).all()
    at = now()
    out: dict[str, tuple[Job, list[dict[str, Any]]]] = {}
    for m, job, reg in rows:
        out.setdefault(job.id, (job, []))[1].append(item(cipher, m, job.title, reg, at))
    return list(out.values())


def detail(session: Session, m: Match) -> dict[str, Any]:
    events = session.scalars(select(MatchEvent).where(MatchEvent.match_id == m.id).order_by(MatchEvent.id)).all()
    return {"next": sorted(NEXT[m.status]),
            "events": [{"at": iso(e.at), "by": e.by, "status": e.status, "note": e.note} for e in events]}


def reveal(session: Session, cipher: DataCipher, m: Match, by: str, reason: str) -> dict[str, Any]:
    """Name and phone in clear (the ID number masked), logged in access_log; Gone once erased."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    person = registrations.seeker(cipher, session.get(Registration, m.registration_id))
    if person is None:
        raise Gone("the personal data of this registration has been erased")
    session.add(AccessLog(county=m.county, at=now(), by=by, match_id=m.id, reason=reason, action="reveal"))
    session.flush()
    return {"id": m.id, "name": person["name"], "phone": person["phone"],
            "id_number": mask_id_number(person["id_number"]), "reason": reason}


def set_outcome(session: Session, m: Match, status: str, note: str, by: str) -> Match:
    """Moves the match along followup.NEXT (else Conflict), or sets the "referred" mark once."""
    at = now()
    if status == REFERRED:
        if m.referred_at is not None or m.status in FINAL:
            raise Conflict("already referred" if m.referred_at else f"the match is {m.status}")
        m.referred_at, m.referred_by = at, by
    else:
        if status not in NEXT[m.status]:
            raise Conflict(f"cannot go from {m.status} to {status}")
        # Claim the row as read: a second click or a concurrent caller is a Conflict, not a
        # double count (as followup._claim).
        got = session.execute(update(Match).where(Match.id == m.id, Match.status == m.status,
                                                  Match.attempts == m.attempts).values(status=Match.status),
                              execution_options={"synchronize_session": False}).rowcount
        if got != 1:
            session.refresh(m)
            raise Conflict(f"the match changed meanwhile; it is {m.status}")
        if status == "no_answer":
            m.attempts += 1
        m.status, m.status_at, m.status_by = status, at, by
    session.add(MatchEvent(match_id=m.id, at=at, by=by, status=status, note=note))
    session.flush()
    return m


def for_sms(session: Session, limit: int = 500) -> list[tuple[Match, Registration, Job]]:
    """Matches waiting for their SMS (sms_state 'pending') whose registration is still open
    and not erased, oldest first: what the SMS glue sends, then sets sms_state on."""
    return [tuple(r) for r in session.execute(
        select(Match, Registration, Job).join(Registration, Registration.id == Match.registration_id)
        .join(Job, Job.id == Match.job_id)
        .where(Match.sms_state == "pending", Registration.status == "open", Registration.erased_at.is_(None))
        .order_by(Match.created_at, Match.id).limit(limit)).all()]
