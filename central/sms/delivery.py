"""`deliver` applies the policy to SMS requests and sends them; `send_due` (the periodic job)
sends what was held. Every message is one `sms_log` row.

Daily cap, across instances: the row is inserted first and the person's rows for that day
counted after, in one transaction; a row over the cap becomes "refused". On PostgreSQL a
transaction-scoped advisory lock on the person's hash comes before the insert (two READ
COMMITTED transactions would not see each other's uncommitted rows); on SQLite the insert
itself takes the database's single write lock, so the count after it sees every other
writer's committed rows and no new ones until commit. Nothing is held while sending.

Statuses: sending (claimed, being sent) → sent | held (quiet hours, or the provider said
"later") | refused (policy, cap, provider refusal, not configured) | failed (given up, or the
outcome is unknown: never resent, see central.sms.aliyun).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.models import SmsLog
from central.security import DataCipher
from central.services import as_utc
from central.sms.message import Notifier, Outcome, SendResult, SmsMessage, SmsRequest
from central.sms.policy import SmsPolicy, UnsafeParam, valid_phone

MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=1)
GIVE_UP = timedelta(hours=24)  # news of a job is stale after a day
CLAIM = timedelta(minutes=5)  # a "sending" row older than this: its sender died mid-send
BATCH = 200
LOCK_SPACE = 0x534D53  # pg_advisory_xact_lock(space, key): "SMS", apart from other locks
NOT_CONFIGURED = "sms not configured"


def _aad(log_id: str) -> bytes:
    return b"sms:" + log_id.encode("ascii")


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def outcome(row: SmsLog) -> Outcome:
    return Outcome(row.status, row.id, row.detail, row.provider_id)  # type: ignore[arg-type]


def _lock_person(session: Session, person: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(person.encode()).digest()[:4], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, key)))


def _counted(session: Session, row: SmsLog) -> int:
    """The person's messages on the row's day that use up the cap (all but refusals)."""
    return session.scalar(select(func.count()).select_from(SmsLog).where(
        SmsLog.person_hash == row.person_hash, SmsLog.day == row.day, SmsLog.status != "refused"))


def _refusal(request: SmsRequest, notifier: Notifier | None, policy: SmsPolicy
             ) -> tuple[str | None, str, str, dict[str, str]]:
    """(refusal or None, language, template code, params)."""
    chosen = policy.template_for(request.lang)
    lang, template = chosen or (request.lang[:8], "")
    try:
        params = policy.params(request)
    except UnsafeParam as exc:
        return f"unsafe template parameter: {exc}", lang, template, {}
    if notifier is None:
        return NOT_CONFIGURED, lang, template, params
    if chosen is None:
        return f"no template for language {request.lang!r}", lang, template, params
    if not valid_phone(request.phone):
        return "not a mainland mobile number", lang, template, params
    return None, lang, template, params


def _existing(session: Session, request: SmsRequest) -> SmsLog | None:
    if not request.ref:
        return None
    return session.scalar(select(SmsLog).where(SmsLog.county == request.county, SmsLog.ref == request.ref))


def settle(row: SmsLog, result: SendResult, now: datetime, policy: SmsPolicy) -> None:
    """Records what the provider said; the phone number goes unless the message waits."""
    row.attempts += 1
    row.request_id = result.request_id[:64]
    reason = f"{result.code}: {result.detail}" if result.detail else result.code
    if result.kind == "sent":
        row.status, row.sent_at, row.provider_id, row.detail = "sent", now, result.provider_id[:64], result.code
    elif result.kind == "refused":
        row.status, row.detail = "refused", reason[:200]
    elif result.kind == "unknown":
        row.status, row.detail = "failed", f"outcome unknown, not resent ({reason})"[:200]
    elif row.attempts >= MAX_ATTEMPTS or now - as_utc(row.created_at) >= GIVE_UP:
        row.status, row.detail = "failed", f"gave up after {row.attempts} attempts ({reason})"[:200]
    else:
        later = now + backoff(row.attempts)
        row.status, row.detail = "held", f"retry later ({reason})"[:200]
        row.next_attempt_at = policy.quiet_until(later) or later
    if row.status != "held":
        row.phone_enc, row.next_attempt_at = None, None


def _deliver_one(session: Session, request: SmsRequest, notifier: Notifier | None, now: datetime,
                 cipher: DataCipher, policy: SmsPolicy) -> Outcome:
    if (row := _existing(session, request)) is not None:
        return outcome(row)
    refusal, lang, template, params = _refusal(request, notifier, policy)
    quiet = policy.quiet_until(now)
    log_id = uuid.uuid4().hex
    row = SmsLog(id=log_id, county=request.county, person_hash=request.person, ref=request.ref or None,
                 kind=request.kind[:16], lang=lang, template=template, params=params, detail="",
                 day=policy.local_day(quiet or now), attempts=0, provider_id="", request_id="",
                 created_at=now)
    if refusal:
        row.status, row.detail = "refused", refusal[:200]
    else:
        _lock_person(session, request.person)
        row.phone_enc = cipher.encrypt(request.phone.encode("ascii"), _aad(log_id))
        row.status = "held" if quiet else "sending"
        row.next_attempt_at = quiet or now + CLAIM
        row.detail = "quiet hours" if quiet else ""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same (county, ref) committed meanwhile by another instance
        session.rollback()
        existing = _existing(session, request)
        if existing is None:
            raise
        return outcome(existing)
    if not refusal and _counted(session, row) > policy.daily_cap:
        row.status, row.detail, row.phone_enc, row.next_attempt_at = "refused", "daily cap reached", None, None
    session.commit()  # the claim is visible (and counted) before anything is sent
    if row.status != "sending":
        return outcome(row)
    assert notifier is not None
    result = notifier.send(SmsMessage(request.phone, template, params, out_id=log_id))
    settle(row, result, now, policy)
    session.commit()
    return outcome(row)


def deliver(session: Session, requests: Iterable[SmsRequest], notifier: Notifier | None, now: datetime,
            *, cipher: DataCipher, policy: SmsPolicy | None = None) -> list[Outcome]:
    """Applies `policy` to each request, records it in sms_log and sends what may go now:
    one Outcome per request, in order. `notifier` None: SMS is not configured and every
    request is recorded as refused (never as sent). COMMITS `session` once or twice per
    request (the claim before sending, the result after), so pass a session with no other
    pending work."""
    policy = policy or SmsPolicy()
    return [_deliver_one(session, r, notifier, now, cipher, policy) for r in requests]


def cancel_for_person(session: Session, person: str, reason: str = "cancelled", *,
                      commit: bool = True) -> int:
    """Held messages to `person` will not go (e.g. their registration ended: its personal
    data is erased, so is the waiting phone number here). Returns how many; commits unless
    told not to (inside a request's transaction)."""
    n = session.execute(update(SmsLog).where(SmsLog.person_hash == person, SmsLog.status == "held")
                        .values(status="refused", detail=reason[:200], phone_enc=None,
                                next_attempt_at=None)).rowcount
    if commit:
        session.commit()
    return n


def _claim_due(engine: Engine, now: datetime) -> list[str]:
    with Session(engine) as s:
        q = (select(SmsLog).where(SmsLog.status == "held", SmsLog.next_attempt_at <= now)
             .order_by(SmsLog.next_attempt_at, SmsLog.id).limit(BATCH))
        if engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = s.scalars(q).all()
        for row in rows:
            row.status, row.next_attempt_at = "sending", now + CLAIM
        s.commit()
        return [r.id for r in rows]


def _abandon_stale(engine: Engine, now: datetime) -> int:
    """"sending" rows whose sender died: the request may have gone out, so not resent."""
    with Session(engine) as s:
        n = s.execute(update(SmsLog).where(SmsLog.status == "sending", SmsLog.next_attempt_at <= now)
                      .values(status="failed", detail="outcome unknown, sender stopped; not resent",
                              phone_enc=None, next_attempt_at=None)).rowcount
        s.commit()
    return n


def _forget_people(engine: Engine, now: datetime, policy: SmsPolicy) -> int:
    """Empties person hashes of days before yesterday: the cap no longer needs them."""
    cut = policy.local_day(now) - timedelta(days=1)
    with Session(engine) as s:
        n = s.execute(update(SmsLog).where(SmsLog.day < cut, SmsLog.person_hash.is_not(None))
                      .values(person_hash=None)).rowcount
        s.commit()
    return n


def send_due(engine: Engine, notifier: Notifier | None, cipher: DataCipher, now: datetime,
             policy: SmsPolicy | None = None) -> dict[str, int]:
    """Sends held messages whose time has come (after quiet hours, after a "retry later")."""
    policy = policy or SmsPolicy()
    summary = {"sent": 0, "held": 0, "refused": 0, "failed": 0}
    summary["abandoned"] = _abandon_stale(engine, now)
    for log_id in _claim_due(engine, now):
        with Session(engine) as s:
            row = s.get(SmsLog, log_id)
            if row is None or row.status != "sending":
                continue
            quiet = policy.quiet_until(now)
            if notifier is None:
                row.status, row.detail, row.phone_enc, row.next_attempt_at = "refused", NOT_CONFIGURED, None, None
            elif quiet is not None:  # quiet hours changed since it was held
                row.status, row.next_attempt_at = "held", quiet
            elif not row.phone_enc:  # emptied meanwhile (cannot happen through this module)
                row.status, row.detail, row.next_attempt_at = "failed", "no phone number", None
            else:
                phone = cipher.decrypt(row.phone_enc or b"", _aad(row.id)).decode("ascii")
                settle(row, notifier.send(SmsMessage(phone, row.template, dict(row.params), out_id=row.id)),
                       now, policy)
            summary[row.status] += 1
            s.commit()
    summary["forgotten"] = _forget_people(engine, now, policy)
    return summary


def run_periodic(engine: Engine, now: datetime) -> dict[str, int | str]:
    """central.periodic's entry: configuration and the data key from the environment
    (`gig-central serve` puts the data key there for its workers)."""
    import os

    from central.app import DATA_KEY_ENV
    from central.security import decode_key
    from central.sms.config import notifier_from_env, policy_from_env

    if not os.environ.get(DATA_KEY_ENV):
        return {"skipped": "no data key in the environment"}
    cipher = DataCipher(decode_key(os.environ[DATA_KEY_ENV]))
    return send_due(engine, notifier_from_env(), cipher, now, policy_from_env())
