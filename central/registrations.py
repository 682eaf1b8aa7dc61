"""Standing registrations (求职登记, issue 16): a seeker's wanted work, kept open until the
consent's own expiry, renewed by laying the card again, ended by the seeker (erased at once).
Used by central.registrations_api; like central.services, leaves committing to the caller.

Personal data (ID number, name, phone, card type) is encrypted as in `applications`
(AAD "registration:<id>"); the person is found by DataCipher.seeker_hash. The birth date is
kept in clear while the registration lives, because central.matching needs the age; it is
erased with the rest.
"""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from central import db, matching
from central.followup import FINAL
from central.models import (
    County,
    Match,
    MatchEvent,
    Registration,
    RegistrationRequest,
    RegistrationWant,
    Station,
)
from central.registration_schemas import RegistrationIn
from central.security import DataCipher, canonical_json
from central.services import Conflict, NotFound, as_utc, iso, now
from central.text import has_bad_characters


def _aad(reg_id: str) -> bytes:
    return b"registration:" + reg_id.encode()


def seeker(cipher: DataCipher, reg: Registration) -> dict[str, str] | None:
    """{card_type, id_number, name, phone}, or None once erased."""
    if reg.erased_at is not None or not reg.seeker_enc:
        return None
    return json.loads(cipher.decrypt(bytes(reg.seeker_enc), _aad(reg.id)))


def _answer(reg: Registration, renewed: bool) -> dict[str, Any]:
    return {"id": reg.id, "reference": reg.reference, "status": "open",
            "expires_at": iso(reg.expires_at), "renewed": renewed}


def register(session: Session, cipher: DataCipher, station: Station, key: str,
             body: RegistrationIn) -> tuple[int, str, Registration | None]:
    """Creates (201) or renews (200) the person's open registration in the station's county.
    Returns (status code, response JSON, the registration if this call changed it: None for
    a replay). A replayed Idempotency-Key answers the first answer again; the same key with
    another body is a Conflict."""
    request_hash = cipher.keyed_hash("registration", canonical_json(body.model_dump(mode="json")))
    seen = session.get(RegistrationRequest, (station.id, key))
    if seen is not None:
        if not hmac.compare_digest(seen.request_hash, request_hash):
            raise Conflict("Idempotency-Key already used with a different request")
        return seen.status_code, seen.response, None
    at = now()
    person = cipher.seeker_hash(body.seeker.id_number)
    reg = session.scalars(select(Registration).where(
        Registration.county == station.county, Registration.seeker_hash == person,
        Registration.status == "open")).first()
    if reg is not None and as_utc(reg.expires_at) <= at:
        close(session, [reg.id], "expired", at)  # the periodic job had not come round yet
        reg = None
    renewed = reg is not None
    if reg is None:
        reg = Registration(id=str(uuid.uuid4()), county=station.county, station_id=station.id,
                           lat=station.lat, lng=station.lng, status="open", created_at=at)
        session.add(reg)
    wants = body.wants.model_dump(mode="json")
    reg.reference, reg.lang = body.reference, body.lang
    reg.seeker_hash, reg.card_type, reg.birth_date = person, body.seeker.card_type, body.seeker.birth_date
    clear = body.seeker.model_dump(mode="json", include={"card_type", "id_number", "name", "phone"})
    reg.seeker_enc = cipher.encrypt(canonical_json(clear), _aad(reg.id))
    reg.wants, reg.reach_km, reg.sms = wants, matching.reach_km(wants), body.consent.sms
    reg.consent_version, reg.consent_at = body.consent.version, body.consent.at
    reg.consent_days = body.consent.days
    reg.expires_at = as_utc(body.consent.at) + timedelta(days=body.consent.days)
    reg.updated_at = at
    session.flush()
    matching.reindex(session, reg)
    matching.match_registration(session, reg, at)
    code = 200 if renewed else 201
    response = json.dumps(_answer(reg, renewed))
    session.add(RegistrationRequest(station_id=station.id, idempotency_key=key, request_hash=request_hash,
                                    status_code=code, response=response, registration_id=reg.id,
                                    created_at=at))
    session.flush()
    return code, response, reg


def mine(session: Session, county: str, cipher: DataCipher, id_number: str) -> list[dict[str, Any]]:
    """The person's registrations in the county (erased ones cannot be found), newest first."""
    rows = session.scalars(select(Registration).where(
        Registration.county == county, Registration.seeker_hash == cipher.seeker_hash(id_number))
        .order_by(Registration.created_at.desc(), Registration.id)).all()
    return [{"id": r.id, "reference": r.reference, "status": r.status, "wants": r.wants, "sms": r.sms,
             "created_at": iso(r.created_at), "expires_at": iso(r.expires_at)} for r in rows]


def get(session: Session, reg_id: str, county: str) -> Registration:
    reg = session.get(Registration, reg_id) if len(reg_id) <= 36 and not has_bad_characters(reg_id) else None
    if reg is None or reg.county != county:
        raise NotFound("no such registration in your county")
    return reg


def end(session: Session, cipher: DataCipher, reg_id: str, county: str, id_number: str,
        station_id: str) -> dict[str, str]:
    """The seeker ends the registration: closed and erased at once. A repeat (or one already
    erased) answers the same; another person's number is NotFound, like another county's."""
    reg = get(session, reg_id, county)
    if reg.status == "ended" or reg.erased_at is not None:
        return {"id": reg.id, "status": "ended"}
    if not reg.seeker_hash or not hmac.compare_digest(reg.seeker_hash, cipher.seeker_hash(id_number)):
        raise NotFound("no such registration in your county")
    close(session, [reg.id], "ended", now(), by=f"station:{station_id}")
    return {"id": reg.id, "status": "ended"}


def close(session: Session, reg_ids: list[str], status: str, at: datetime, by: str = "system") -> int:
    """Closes open registrations (expired, or ended: ended ones are erased too). Their rows
    leave the matching index; matches nobody acted on yet go, the others are withdrawn from
    the follow-up (their history stays, notes emptied on erasure)."""
    if not reg_ids:
        return 0
    done = session.execute(update(Registration).where(
        Registration.id.in_(reg_ids), Registration.status == "open").values(
        status=status, closed_at=at, updated_at=at), execution_options={"synchronize_session": "fetch"}).rowcount
    session.execute(delete(RegistrationWant).where(RegistrationWant.registration_id.in_(reg_ids)))
    _drop_matches(session, reg_ids, at, by)
    if status == "ended":
        erase(session, reg_ids, at)
    return done


def _drop_matches(session: Session, reg_ids: list[str], at: datetime, by: str) -> None:
    new = select(Match.id).where(Match.registration_id.in_(reg_ids), Match.status == "new")
    session.execute(delete(MatchEvent).where(MatchEvent.match_id.in_(new)))
    session.execute(delete(Match).where(Match.registration_id.in_(reg_ids), Match.status == "new"),
                    execution_options={"synchronize_session": False})
    live = session.scalars(select(Match.id).where(Match.registration_id.in_(reg_ids),
                                                  Match.status.not_in(FINAL))).all()
    if live:
        session.execute(update(Match).where(Match.id.in_(live)).values(
            status="withdrawn", status_at=at, status_by=by), execution_options={"synchronize_session": False})
        session.add_all([MatchEvent(match_id=m, at=at, by=by, status="withdrawn", note="") for m in live])


def erase(session: Session, reg_ids: list[str], at: datetime) -> int:
    """Replaces the ciphertext, nulls the hash and the birth date, empties the follow-up
    notes and the keyed hashes of the requests (their answers hold only id, reference,
    expiry, so they stay for replays)."""
    done = session.execute(update(Registration).where(Registration.id.in_(reg_ids)).values(
        seeker_enc=b"", seeker_hash=None, birth_date=None, erased_at=at),
        execution_options={"synchronize_session": "fetch"}).rowcount
    ids = select(Match.id).where(Match.registration_id.in_(reg_ids))
    session.execute(update(MatchEvent).where(MatchEvent.match_id.in_(ids)).values(note=""),
                    execution_options={"synchronize_session": False})
    session.execute(update(RegistrationRequest).where(RegistrationRequest.registration_id.in_(reg_ids))
                    .values(request_hash=""), execution_options={"synchronize_session": False})
    return done


# -- the periodic job: expiry and retention ------------------------------------------------------

CHUNK = 500


def run_expiry(engine: Engine, at: datetime) -> dict[str, int]:
    """Closes registrations whose consent ran out, and erases closed ones past the county's
    retention (retention_final_days after closing, as for applications in a final status).
    Open registrations live at most 90 days (their consent), so nothing else waits longer."""
    expired = erased = 0
    with db.session_factory(engine)() as s:
        while ids := s.scalars(select(Registration.id).where(
                Registration.status == "open", Registration.expires_at <= at).limit(CHUNK)).all():
            expired += close(s, list(ids), "expired", at)
            s.commit()
        for county in s.scalars(select(County)).all():
            cut = at - timedelta(days=county.retention_final_days)
            ids = s.scalars(select(Registration.id).where(
                Registration.county == county.code, Registration.erased_at.is_(None),
                Registration.status != "open", Registration.closed_at <= cut)).all()
            for i in range(0, len(ids), CHUNK):
                erased += erase(s, list(ids[i:i + CHUNK]), at)
        s.commit()
        still_open = s.execute(select(func.count()).select_from(Registration)
                               .where(Registration.status == "open")).scalar_one()
    if erased:
        from central.retention import scrub

        scrub(engine)
    return {"expired": expired, "erased": erased, "open": int(still_open)}
