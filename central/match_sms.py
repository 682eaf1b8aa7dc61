"""Tells a seeker who opted in about a new match by SMS (issue 16): the glue between the
matcher, which marks a match `sms_state = 'pending'` when its registration has SMS consent,
and `central.sms.delivery.deliver`, which applies the daily cap, quiet hours and language.

Which pending matches become a message (periodic job `match_sms`, once across instances):
- made when the registration was made or renewed (within AT_KIOSK): the seeker saw those jobs
  on the kiosk's screen a moment ago → 'at_kiosk', no message;
- the registration is no longer open or lost its SMS consent → 'none';
- several new matches of one registration in one run → one message, about the best scored
  job; the others → 'grouped' (staff still see and call them all).
What `deliver` did is copied back (sent | held | refused | failed); a held message is sent
later by the `sms` job, and its final status is copied back on a later run of this job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central import registrations, station_config
from central.models import County, Job, Match, Registration, SmsLog, Station
from central.security import DataCipher
from central.services import as_utc
from central.sms.delivery import deliver
from central.sms.message import Notifier, SmsRequest
from central.sms.policy import SmsPolicy

AT_KIOSK = timedelta(minutes=2)
BATCH = 500
_UNIT_ZH = {"hour": "小时", "day": "天", "piece": "件", "order": "单"}


def pay_text(amount: float, unit: str, lang: str) -> str:
    """'180元/天' or '180 yuan/day', as the kiosk shows pay."""
    n = f"{amount:g}"
    return f"{n} yuan/{unit}" if lang == "en" else f"{n}元/{_UNIT_ZH.get(unit, unit)}"


def ref(match_id: str) -> str:
    return f"match:{match_id}"


def _help_phone(county: County | None) -> str:
    doc = station_config.effective(county.config if county else {}, {})
    return doc.get("complaint_phone") or doc.get("help_phone") or ""


def _requests(session: Session, cipher: DataCipher, now: datetime) -> list[tuple[str, SmsRequest]]:
    """Decides every pending match of this batch; returns (match id, request) to send."""
    rows = session.execute(
        select(Match, Registration, Job, Station)
        .join(Registration, Registration.id == Match.registration_id)
        .join(Job, Job.id == Match.job_id)
        .join(Station, Station.id == Match.station_id)
        .where(Match.sms_state == "pending")
        .order_by(Match.registration_id, Match.score.desc(), Match.id).limit(BATCH)).all()
    out: list[tuple[str, SmsRequest]] = []
    told: set[str] = set()
    counties: dict[str, str] = {}
    for match, reg, job, station in rows:
        if reg.status != "open" or not reg.sms or reg.erased_at is not None:
            match.sms_state = "none"
        elif as_utc(match.created_at) <= as_utc(reg.updated_at) + AT_KIOSK:
            match.sms_state = "at_kiosk"
        elif reg.id in told:
            match.sms_state = "grouped"
        else:
            person = registrations.seeker(cipher, reg)
            if person is None:
                match.sms_state = "none"
                continue
            told.add(reg.id)
            if reg.county not in counties:
                counties[reg.county] = _help_phone(session.get(County, reg.county))
            out.append((match.id, SmsRequest(
                county=reg.county, person=reg.seeker_hash or "", phone=person["phone"], lang=reg.lang,
                job_title=job.title, pay=pay_text(job.pay_amount, job.pay_unit, reg.lang),
                station_name=station.name, help_phone=counties[reg.county], ref=ref(match.id))))
    session.commit()
    return out


def _copy_back_held(session: Session) -> int:
    """Held messages the `sms` job has settled since: their final status onto the match."""
    held = session.scalars(select(Match).where(Match.sms_state == "held").limit(BATCH)).all()
    if not held:
        return 0
    logs = {row.ref: row.status for row in session.scalars(
        select(SmsLog).where(SmsLog.ref.in_([ref(m.id) for m in held])))}
    n = 0
    for m in held:
        status = logs.get(ref(m.id))
        if status is not None and status not in ("held", "sending"):
            m.sms_state, n = status, n + 1
    session.commit()
    return n


def run(engine: Engine, now: datetime, notifier: Notifier | None, cipher: DataCipher,
        policy: SmsPolicy | None = None) -> dict[str, Any]:
    with Session(engine) as s:
        todo = _requests(s, cipher, now)
    states: dict[str, int] = {}
    if todo:
        with Session(engine) as s:  # deliver commits per message: a session of its own
            outcomes = deliver(s, [r for _, r in todo], notifier, now, cipher=cipher, policy=policy)
        with Session(engine) as s:
            for (match_id, _), o in zip(todo, outcomes, strict=True):
                s.execute(update(Match).where(Match.id == match_id).values(sms_state=o.status))
                states[o.status] = states.get(o.status, 0) + 1
            s.commit()
    with Session(engine) as s:
        settled = _copy_back_held(s)
    return {"messages": states, "held_settled": settled}


def run_periodic(engine: Engine, now: datetime) -> dict[str, Any]:
    """central.periodic's entry: the data key and the SMS settings from the environment."""
    import os

    from central.app import DATA_KEY_ENV
    from central.security import decode_key
    from central.sms.config import notifier_from_env, policy_from_env

    if not os.environ.get(DATA_KEY_ENV):
        return {"skipped": "no data key in the environment"}
    cipher = DataCipher(decode_key(os.environ[DATA_KEY_ENV]))
    return run(engine, now, notifier_from_env(), cipher, policy_from_env())
