"""A county sets itself up: counties, staff with one-time passwords, stations that enrol by code.

Shared by `gig-central county add | staff add | station add`, the admin pages and
`POST /v1/enrol`. No long-lived secret leaves this module in clear except the station token,
once, to the kiosk that redeems its enrolment code. Functions take an open Session and leave
committing to the caller.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central import services
from central.models import AdminSession, County, Staff, Station
from central.roles import ROLES
from central.security import hash_password, hash_token, new_token

ENROL_TTL = timedelta(hours=24)
# No I, O, 0, 1: a maintainer may have to type the code. 12 characters = 60 bits, and the
# endpoint is rate-limited per address, so guessing is hopeless.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
QR_PREFIX = "enrol:"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
STATION_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class Invalid(ValueError):
    """Bad input: one line for the user, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Exists(Invalid):
    pass


class EnrolRefused(Exception):
    """`status` is the HTTP status; the message never names a station."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- counties ------------------------------------------------------------------------------------


def public_key_b64(county: County) -> str:
    return base64.b64encode(county.public_key).decode("ascii")


def county_dict(county: County) -> dict[str, Any]:
    return {"code": county.code, "key_id": county.key_id, "public_key": public_key_b64(county)}


def add_county(session: Session, keyring: services.Keyring, code: str, name: str, name_en: str) -> tuple[County, bool]:
    """(county, created). The same code and name again is a no-op (idempotent); the same code
    with another name is an error rather than a silent rename."""
    if not CODE_RE.match(code or ""):
        raise Invalid("code", "lowercase letters, digits and '-', at most 16, e.g. 'east'")
    if not name.strip():
        raise Invalid("name", "the county's name is required")
    existing = session.get(County, code)
    if existing is not None:
        if existing.name != name or (name_en and existing.name_en != name_en):
            raise Exists("code", f"county {code!r} already exists with another name ({existing.name})")
        return existing, False
    return services.create_county(session, keyring, code, name.strip(), name_en.strip()), True


def _county(session: Session, code: str) -> County:
    county = session.get(County, code)
    if county is None:
        raise Invalid("county", f"no county {code!r} (add it first: gig-central county add)")
    return county


# -- staff ----------------------------------------------------------------------------------------


PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I


def one_time_password() -> str:
    """14 characters (80 bits) that read aloud or copy without 0/O or 1/l confusion; shown
    once, changed at first login."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(14))


def add_staff(session: Session, county_code: str, username: str, role: str,
              display_name: str = "") -> tuple[Staff, str]:
    """(staff, one-time password). The account must change the password at first login; its
    API token is random and never shown (staff get API tokens separately)."""
    _county(session, county_code)
    if not USERNAME_RE.match(username or ""):
        raise Invalid("username", "letters, digits and ._@- only, at most 64")
    if role not in ROLES:
        raise Invalid("role", f"one of {', '.join(ROLES)}")
    if session.scalars(select(Staff.id).where(Staff.username == username)).first() is not None:
        raise Exists("username", f"{username!r} is already taken (reset its password instead)")
    password = one_time_password()
    staff = Staff(county=county_code, username=username, display_name=display_name.strip()[:100],
                  password_hash=hash_password(password), token_hash=hash_token(new_token()),
                  role=role, disabled=False, must_change_password=True)
    session.add(staff)
    session.flush()
    return staff, password


def reset_password(session: Session, staff: Staff) -> str:
    """A new one-time password; the account's open admin sessions end."""
    password = one_time_password()
    staff.password_hash = hash_password(password)
    staff.must_change_password = True
    session.execute(AdminSession.__table__.delete().where(AdminSession.staff_id == staff.id))
    return password


def set_staff_disabled(session: Session, staff: Staff, disabled: bool) -> str:
    """Returns the token hash to drop from the token cache (either way: the cache also
    remembers refusals for a few seconds)."""
    staff.disabled = disabled
    if disabled:
        session.execute(AdminSession.__table__.delete().where(AdminSession.staff_id == staff.id))
    return staff.token_hash


MIN_PASSWORD = 10


def change_password(staff: Staff, new: str, repeat: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise Invalid("new", f"at least {MIN_PASSWORD} characters / 至少 {MIN_PASSWORD} 位")
    if new != repeat:
        raise Invalid("repeat", "the two entries differ / 两次输入不一致")
    staff.password_hash = hash_password(new)
    staff.must_change_password = False


# -- stations and enrolment ----------------------------------------------------------------------


def normalise_code(text: str) -> str:
    """What the user typed or scanned → the bare code: no prefix, spaces, dashes; upper case."""
    text = (text or "").strip()
    if text.lower().startswith(QR_PREFIX):
        text = text[len(QR_PREFIX):]
    return re.sub(r"[\s-]", "", text).upper()


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class Enrolment:
    station_id: str
    code: str  # grouped for typing, e.g. ABCD-EFGH-JKMN
    expires_at: datetime

    @property
    def qr_text(self) -> str:
        return QR_PREFIX + self.code

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.station_id, "enrol_code": self.code,
                "enrol_expires_at": services.iso(self.expires_at)}


def new_enrolment(station: Station, ttl: timedelta = ENROL_TTL) -> Enrolment:
    """A fresh one-time code for `station`; any earlier unused code stops working."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    station.enrol_code_hash = hash_token(code)
    station.enrol_expires_at = services.now() + ttl
    station.enrol_used_at = None
    return Enrolment(station.id, format_code(code), station.enrol_expires_at)


def add_station(session: Session, keyring: services.Keyring, county_code: str,
                fields: dict[str, Any]) -> tuple[Station, Enrolment]:
    county = _county(session, county_code)
    sid = str(fields.get("id") or "")
    if not STATION_ID_RE.match(sid):
        raise Invalid("id", "letters, digits and ._- only, at most 64")
    if not str(fields.get("name") or "").strip():
        raise Invalid("name", "the station's name is required")
    for axis, limit in (("lat", 90), ("lng", 180)):
        try:
            value = float(fields.get(axis))
        except (TypeError, ValueError):
            raise Invalid(axis, "a number in degrees is required") from None
        if not -limit <= value <= limit:
            raise Invalid(axis, f"must be between -{limit} and {limit}")
    if session.get(Station, sid) is not None:
        raise Exists("id", f"station {sid!r} already exists (issue a new enrolment code on its admin page)")
    # The token nobody knows: the station gets a usable one only by redeeming its code.
    station = services.create_station(session, keyring, county, {**fields, "id": sid}, new_token())
    return station, new_enrolment(station)


def revoke_token(station: Station) -> str:
    """Replaces the station's token with one nobody knows; returns the old hash to forget."""
    old = station.token_hash
    station.token_hash = hash_token(new_token())
    return old


def set_station_disabled(station: Station, disabled: bool) -> str:
    """Returns the token hash to drop from the token cache."""
    station.disabled = disabled
    if disabled:
        station.enrol_code_hash = station.enrol_expires_at = station.enrol_used_at = None
    return station.token_hash


def redeem(session: Session, code_text: str, station_id: str | None = None) -> tuple[dict[str, Any], str]:
    """Exchanges a one-time code for the station's new token: (response body, old token hash).

    Refusals say what is wrong with the code, never which stations exist. A `station_id` the
    kiosk expects that differs from the code's station is refused *without* using the code up.
    """
    code = normalise_code(code_text)
    if not code or len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise EnrolRefused(400, f"an enrolment code is {CODE_LENGTH} letters and digits, e.g. ABCD-EFGH-JKMN")
    digest = hash_token(code)
    station = session.scalars(select(Station).where(Station.enrol_code_hash == digest)
                              .with_for_update()).first()
    if station is None or station.disabled:
        raise EnrolRefused(404, "unknown enrolment code: check it, or ask for a new one")
    if station.enrol_used_at is not None:
        raise EnrolRefused(410, "this enrolment code was already used: ask the county for a new one")
    if services.as_utc(station.enrol_expires_at) <= services.now():
        raise EnrolRefused(410, "this enrolment code has expired: ask the county for a new one")
    if station_id and station_id != station.id:
        raise EnrolRefused(409, f"this code is not for station {station_id!r} (the id in the kiosk's "
                                "settings); the code was not used up")
    token = new_token()
    old = station.token_hash
    # Conditional update: of two concurrent redemptions, exactly one wins.
    done = session.execute(update(Station).where(Station.id == station.id, Station.enrol_used_at.is_(None))
                           .values(token_hash=hash_token(token), enrol_used_at=services.now()))
    if done.rowcount != 1:
        raise EnrolRefused(410, "this enrolment code was already used: ask the county for a new one")
    county = session.get(County, station.county)
    body = {"station_id": station.id, "token": token, "county": county.code,
            "public_key": public_key_b64(county), "key_id": county.key_id}
    return body, old
