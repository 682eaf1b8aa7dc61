"""Domain operations shared by the JSON API, the admin pages and the demo seed.

Every function takes an open Session and leaves committing to the caller, so one request is
one transaction.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from central import station_config
from central.models import (
    Application,
    Counter,
    County,
    CountyConfigVersion,
    Job,
    Policy,
    Staff,
    Station,
    StationConfigVersion,
)
from central.schemas import ApplicationIn, Heartbeat, JobFields, PolicyIn, stored_devices
from central.security import DataCipher, SigningKey, canonical_json, hash_token, sign_document
from central.text import has_bad_characters

KM_PER_DEG_LAT = 111.32


class DomainError(Exception):
    """A refusal the caller can act on. Its message is the client-facing detail; central.app
    maps each kind to one HTTP status in one handler, so routes need no try/except."""

    headers: dict[str, str] | None = None


class Conflict(DomainError):
    """Same idempotency key, different request."""


class Gone(DomainError):
    """The job exists but is closed."""


class NotFound(DomainError):
    """Unknown, or another county's (the two look the same to the caller)."""


class BadId(DomainError, ValueError):
    """A client-chosen id outside the caller's county namespace; `loc` names the field."""

    def __init__(self, message: str, loc: tuple[str, ...] = ("body", "id")) -> None:
        super().__init__(message)
        self.loc = loc


class ForeignId(BadId):
    """The id lies in another county's namespace (a PUT answers it like an unknown id)."""


class Taken(DomainError):
    """A client-chosen id, inside the caller's namespace, that is already in use."""


_WHAT = {County: "no such county for you", Station: "no such station in your county",
         Job: "no such job in your county", Policy: "no such policy in your county",
         Staff: "no such staff member in your county"}
M = TypeVar("M", County, Station, Job, Policy, Staff)


def not_found(model: type) -> NotFound:
    """What in_county raises for `model`: another county's rows look exactly like unknown ones."""
    return NotFound(_WHAT[model])


def in_county(session: Session, model: type[M], key: str | int, county: str) -> M:
    """The row `key` of `model` if it belongs to `county`, else NotFound: another county's
    rows look exactly like unknown ones. Ids with control characters are unknown (PostgreSQL
    refuses NUL with an error, not a miss)."""
    row = None if isinstance(key, str) and has_bad_characters(key) else session.get(model, key)
    owner = None if row is None else row.code if isinstance(row, County) else row.county
    if row is None or owner != county:
        raise NotFound(_WHAT[model])
    return row


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


# -- change sequence and cursors -------------------------------------------------------------


def bump(session: Session, name: str) -> int:
    """Next value of a change sequence; the row stays locked until the caller commits."""
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
    return session.execute(stmt.returning(Counter.value)).scalar_one()


def current(session: Session, name: str) -> int:
    return session.execute(select(Counter.value).where(Counter.name == name)).scalar_one()


def encode_cursor(kind: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int:
    """0 for no cursor; ValueError for anything we did not hand out."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, number = raw.partition(":")
        seq = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("invalid cursor") from exc
    if prefix != kind or seq < 0 or not number.isdigit():
        raise ValueError("invalid cursor")
    return seq


# -- keys --------------------------------------------------------------------------------------


class Keyring:
    """Decrypts county signing keys once and keeps them in memory."""

    def __init__(self, cipher: DataCipher) -> None:
        self.cipher = cipher
        self._keys: dict[str, SigningKey] = {}

    def for_county(self, county: County) -> SigningKey:
        key = self._keys.get(county.code)
        if key is None:
            raw = self.cipher.decrypt(county.private_key_enc, b"county-key:" + county.code.encode())
            key = self._keys[county.code] = SigningKey.from_raw(raw)
        return key

    def new_county_key(self, code: str) -> tuple[SigningKey, bytes]:
        key = SigningKey.generate()
        self._keys[code] = key
        return key, self.cipher.encrypt(key.private_raw(), b"county-key:" + code.encode())


# -- counties, stations, config ----------------------------------------------------------------


_NAMESPACE = re.compile(r"^[A-Za-z0-9]{1,16}$")


def create_county(session: Session, keyring: Keyring, code: str, name: str, name_en: str,
                  id_prefix: str | None = None) -> County:
    """`id_prefix`: a short alias of `code` for job and policy ids (see id_namespaces)."""
    wanted = [n for n in (code, id_prefix) if n]
    if not all(_NAMESPACE.fullmatch(n) for n in wanted):
        raise ValueError("county code and id prefix: 1-16 letters or digits")
    for other in session.scalars(select(County)).all():
        if set(wanted) & set(id_namespaces(other)):
            raise ValueError(f"id namespace already used by county {other.code}")
    key, enc = keyring.new_county_key(code)
    county = County(
        code=code, id_prefix=id_prefix, name=name, name_en=name_en, key_id=key.key_id,
        public_key=key.public_raw, private_key_enc=enc, config={}, config_version=0,
    )
    session.add(county)
    session.flush()
    return county


def create_station(
    session: Session, keyring: Keyring, county: County, fields: dict[str, Any], token: str
) -> Station:
    station = Station(
        id=fields["id"], county=county.code, name=fields["name"],
        name_en=fields.get("name_en", ""), kind=fields.get("kind", ""),
        lat=float(fields["lat"]), lng=float(fields["lng"]), address=fields.get("address", ""),
        token_hash=hash_token(token), config={}, config_version=0,
    )
    session.add(station)
    session.flush()
    publish_config(session, keyring, station, county, reason="initial", by="system")
    return station


# Config versions never repeat, even after the database is restored from a backup (stations
# refuse a version below the newest they know, and a reused number with other content): a
# new version is at least the seconds since VERSION_EPOCH, so it is above every version issued
# before the restore unless those ran ahead of the clock (more than one publish per second for
# a station, sustained longer than the restore took). It fits the int32 the kiosks accept
# until 2092; below the clock, previous + 1 keeps versions strictly increasing.
VERSION_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
# A fetched document older than this is signed again (same config, new version and
# issued_at), so a station never receives a document near its maximum age (kiosk: 180 days).
REISSUE_AFTER_S = 30 * 24 * 3600


def next_config_version(previous: int, at: datetime) -> int:
    return max(previous + 1, int(at.timestamp()) - VERSION_EPOCH)


def publish_config(
    session: Session, keyring: Keyring, station: Station, county: County, reason: str, by: str
) -> StationConfigVersion:
    """Signs the station's effective config as a new version and makes it current."""
    at = now()
    version = next_config_version(station.config_version, at)
    payload = {
        "station_id": station.id,
        "county": county.code,
        "version": version,
        "issued_at": iso(at),
        "config": station_config.effective(county.config or {}, station.config or {}),
    }
    document = sign_document(payload, keyring.for_county(county))
    row = StationConfigVersion(
        station_id=station.id, version=version, reason=reason, created_by=by, created_at=at,
        document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
    )
    station.config_version = version
    session.add(row)
    session.flush()
    return row


def set_station_config(
    session: Session, keyring: Keyring, station: Station, overrides: dict[str, Any], by: str
) -> StationConfigVersion:
    county = session.get(County, station.county)
    station.config = overrides
    return publish_config(session, keyring, station, county, reason="station", by=by)


def set_county_config(
    session: Session, keyring: Keyring, county: County, overrides: dict[str, Any], by: str
) -> int:
    county.config = overrides
    county.config_version += 1
    session.add(CountyConfigVersion(
        county=county.code, version=county.config_version, config=overrides, created_at=now(),
        created_by=by,
    ))
    stations = session.scalars(select(Station).where(Station.county == county.code)).all()
    for station in stations:
        publish_config(session, keyring, station, county, reason="county", by=by)
    return county.config_version


def current_config_document(session: Session, station: Station) -> str:
    return session.execute(
        select(StationConfigVersion.document).where(
            StationConfigVersion.station_id == station.id,
            StationConfigVersion.version == station.config_version,
        )
    ).scalar_one()


def fresh_config_document(session: Session, keyring: Keyring, station: Station) -> tuple[str, bool]:
    """(the current document, whether it was just re-signed because it was older than
    REISSUE_AFTER_S). The caller commits when re-signed."""
    document, created = session.execute(
        select(StationConfigVersion.document, StationConfigVersion.created_at).where(
            StationConfigVersion.station_id == station.id,
            StationConfigVersion.version == station.config_version,
        )
    ).one()
    if config_is_fresh(created):
        return document, False
    county = session.get(County, station.county)
    row = publish_config(session, keyring, station, county, reason="refresh", by="system")
    return row.document, True


def config_is_fresh(created: datetime) -> bool:
    """Whether a config version created at `created` may still be served as it is (else
    fresh_config_document signs it again)."""
    return (now() - as_utc(created)).total_seconds() <= REISSUE_AFTER_S


def config_etag(station_id: str, version: int) -> str:
    return f'"{station_id}.v{version}"'


# (station id, version) -> its config. A version's document never changes once committed
# (a change is a new version), so this holds across instances; it spares the fleet's jobs
# polls a query and a JSON parse each (bench_scale: CPU per request).
_CONFIGS: dict[tuple[str, int], dict[str, Any]] = {}
_CONFIGS_MAX = 50_000


def effective_config(session: Session, station: Station) -> dict[str, Any]:
    """The station's current config (a copy: callers may change it)."""
    key = (station.id, station.config_version)
    config = _CONFIGS.get(key)
    if config is None:
        config = json.loads(current_config_document(session, station))["config"]
        if len(_CONFIGS) >= _CONFIGS_MAX:
            _CONFIGS.clear()
        _CONFIGS[key] = config
    return dict(config)


# -- jobs ---------------------------------------------------------------------------------------


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "county": job.county, "title": job.title, "category": job.category,
        "employer": job.employer, "headcount": job.headcount, "pay_amount": job.pay_amount,
        "pay_unit": job.pay_unit, "settlement": job.settlement,
        "start_date": job.start_date.isoformat(), "end_date": job.end_date.isoformat(),
        "daily_hours": job.daily_hours, "address": job.address, "district": job.district,
        "directions": job.directions, "lat": job.lat, "lng": job.lng,
        "contact": job.contact, "requirements": job.requirements or {},
        "valid_through": job.valid_through.isoformat(), "status": job.status,
        "updated_at": iso(job.updated_at),
        # Trust (central.trust), read from the row itself: no lookup per job.
        "employer_verified": bool(job.employer_verified),
        "guidance": None if job.guidance_amount is None else {"amount": job.guidance_amount,
                                                              "unit": job.pay_unit},
    }


# -- id namespaces ---------------------------------------------------------------------------
#
# Job and policy ids are global primary keys. A county may only choose ids that start with its
# code or its id_prefix and "-" (namespaces are letters and digits, unique across counties), so
# one county can neither squat on another's naming nor learn which of its ids exist: an id
# outside the caller's namespace is refused the same way whether it exists or not, and
# "already taken" (409) can only be said about the caller's own namespace.


def id_namespaces(county: County) -> tuple[str, ...]:
    return tuple(n for n in (county.code, county.id_prefix) if n)


_ITEM_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def in_namespace(county: County, item_id: str) -> bool:
    prefix, dash, rest = item_id.partition("-")
    return bool(_ITEM_ID.fullmatch(item_id) and rest) and prefix in id_namespaces(county)


def namespace_hint(county: County) -> str:
    return " or ".join(f'"{n}-"' for n in id_namespaces(county))


def new_item_id(county: County) -> str:
    return f"{county.id_prefix or county.code}-{uuid.uuid4().hex[:12]}"


def claim_id(session: Session, model: Any, county: County, item_id: str | None) -> str:
    """The id for a new job or policy of `county`: generated when None, else checked (BadId
    outside the namespace, Taken if in use)."""
    if item_id is None:
        return new_item_id(county)
    if not in_namespace(county, item_id):
        prefix = item_id.partition("-")[0]
        owner = session.scalars(
            select(County.code).where((County.code == prefix) | (County.id_prefix == prefix))
        ).first()
        raise (ForeignId if owner is not None else BadId)(f"ids of your county start with {namespace_hint(county)}, then letters, "
                    "digits and ._- (64 characters at most)")
    if session.get(model, item_id) is not None:
        raise Taken(f"a {model.__name__.lower()} with this id exists")
    return item_id


def save_job(session: Session, county: str, fields: JobFields, job_id: str | None = None) -> Job:
    """Creates (id generated if None, else claim_id rules) or replaces a job of `county`."""
    data = fields.model_dump(exclude={"id"})
    data["requirements"] = fields.requirements.model_dump(exclude_none=True)
    job = session.get(Job, job_id) if job_id else None
    if job is None or job.county != county:
        job_id, job = claim_id(session, Job, session.get(County, county), job_id), None
    seq = bump(session, "jobs")  # before adding the row, so autoflush never sees seq unset
    if job is None:
        job = Job(id=job_id, county=county, status="open")
        session.add(job)
    for key, value in data.items():
        setattr(job, key, value)
    job.seq = seq
    job.updated_at = now()
    from central.trust import stamp  # trust imports this module

    stamp(session, job)
    session.flush()
    rematch_jobs(session, [job.id])
    return job


def rematch_jobs(session: Session, job_ids: list[str]) -> None:
    """Standing registrations (issue 16): a new or changed job is matched at once, in the
    same transaction, so the call list never lags the jobs."""
    from central.matching import match_jobs  # matching imports this module

    match_jobs(session, job_ids)


def close_job(session: Session, job: Job) -> Job:
    if job.status != "closed":
        job.status = "closed"
        job.seq = bump(session, "jobs")
        job.updated_at = now()
        session.flush()
        rematch_jobs(session, [job.id])
    return job


@dataclass
class Delta:
    items: list[Any]
    deleted: list[str]
    cursor: str
    has_more: bool
    reset: bool = False  # the cursor was not usable: this is a full sync, replace the cache


def resolve_since(kind: str, cursor: str | None, high: int) -> tuple[int, bool]:
    """(sequence to read after, reset). A cursor we did not hand out, or one from the future
    (say the database was restored from a backup), restarts with a full sync."""
    try:
        since = decode_cursor(kind, cursor)
    except ValueError:
        return 0, True
    if since > high:
        return 0, True
    return since, False


def jobs_delta(session: Session, station: Station, radius_km: float, cursor: str | None, limit: int,
               high: int | None = None) -> Delta:
    """Changed jobs within `radius_km` of the station after `since`, in change order.

    Distance uses the equirectangular approximation (exact enough below a few hundred km),
    which needs only arithmetic, so the same SQL runs on SQLite and PostgreSQL and each page
    is filtered in the database: a page is never empty while more remain. `high`: the jobs
    change sequence if the caller has just read it (central.fleet.jobs_poll): then the
    steady-state poll, nothing new since the cursor, needs no query here at all.
    """
    if high is None:
        high = current(session, "jobs")  # everything <= high has committed (see Counter)
    since, reset = resolve_since("j", cursor, high)
    # Building the distance condition costs more than the steady-state poll's answer: only
    # when there is a page to read.
    where = [near(station, radius_km)] if since < high else []
    return _delta_page(session, Job, where, "open", job_dict, "j", since, high, reset, limit)


def near(station: Station, radius_km: float) -> Any:
    """SQL condition: the job is within `radius_km` of the station (what jobs_delta serves)."""
    dlat = radius_km / KM_PER_DEG_LAT
    k = math.cos(math.radians(station.lat))
    dlng = radius_km / (KM_PER_DEG_LAT * max(k, 0.01))
    return and_(
        Job.lat.between(station.lat - dlat, station.lat + dlat),
        Job.lng.between(station.lng - dlng, station.lng + dlng),
        (Job.lat - station.lat) * (Job.lat - station.lat)
        + (Job.lng - station.lng) * k * (Job.lng - station.lng) * k
        <= dlat * dlat,
    )


# -- policies -----------------------------------------------------------------------------------


def policy_dict(p: Policy) -> dict[str, Any]:
    return {
        "id": p.id, "county": p.county, "category": p.category, "title": p.title,
        "title_en": p.title_en, "summary": p.summary, "summary_en": p.summary_en, "body": p.body,
        "body_en": p.body_en, "status": p.status, "updated_at": iso(p.updated_at),
    }


def save_policy(session: Session, county: str, policy_id: str | None, fields: PolicyIn) -> Policy:
    """Creates (claim_id rules) or replaces a policy of `county`. The id names the policy (a
    PUT), so an id in another county's namespace is NotFound, like an unknown one."""
    policy = session.get(Policy, policy_id) if policy_id else None
    if policy is None or policy.county != county:
        try:
            policy_id, policy = claim_id(session, Policy, session.get(County, county), policy_id), None
        except ForeignId:
            raise NotFound(_WHAT[Policy]) from None
        except BadId as exc:
            raise BadId(str(exc), loc=("path", "policy_id")) from None
        except Taken:
            raise Taken("this id is used by a policy you cannot edit") from None
    seq = bump(session, "policies")
    if policy is None:
        policy = Policy(id=policy_id, county=county)
        session.add(policy)
    for key, value in fields.model_dump().items():
        setattr(policy, key, value)
    policy.seq = seq
    policy.updated_at = now()
    session.flush()
    return policy


def policies_delta(session: Session, county: str, cursor: str | None, limit: int) -> Delta:
    high = current(session, "policies")
    since, reset = resolve_since("p", cursor, high)
    return _delta_page(session, Policy, [Policy.county == county], "published", policy_dict, "p",
                       since, high, reset, limit)


def _delta_page(session: Session, model: Any, where: list[Any], live: str,
                to_dict: Callable[[Any], dict[str, Any]], kind: str, since: int, high: int,
                reset: bool, limit: int) -> Delta:
    """One page of rows changed in (since, high], in change order: rows in the `live` status
    as items, the others as deleted ids. A first sync (since 0) needs no deletions."""
    if since >= high:  # the steady-state poll: nothing changed since the cursor, no query
        return Delta(items=[], deleted=[], cursor=encode_cursor(kind, high), has_more=False, reset=reset)
    conditions = [model.seq > since, model.seq <= high, *where]
    if since == 0:
        conditions.append(model.status == live)
    # Plain rows, not ORM objects: the dict builders only read attributes, and building 1,000
    # tracked instances per page was half of a first sync's server time (bench_sync).
    rows = session.execute(select(*model.__table__.c).where(*conditions).order_by(model.seq)
                           .limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Delta(
        items=[to_dict(r) for r in rows if r.status == live],
        deleted=[r.id for r in rows if r.status != live],
        cursor=encode_cursor(kind, rows[-1].seq if has_more else high),
        has_more=has_more,
        reset=reset,
    )


# -- applications -------------------------------------------------------------------------------


# A kiosk serves one person at a time and an application takes minutes at the screen, so 20
# in 5 minutes is twice a busy job fair's pace; an outbox backlog after an outage drains at
# that rate (the kiosk retries on 429 after Retry-After). "N/SECONDS" in this variable
# overrides it (load tests drive a fleet's worth of applications through one station).
RATE_ENV = "GIG_CENTRAL_APPLICATION_RATE"
RATE_DEFAULT = (20, timedelta(minutes=5))


def application_rate() -> tuple[int, timedelta]:
    """(applications, per window) a station may submit."""
    raw = os.environ.get(RATE_ENV, "")
    if not raw:
        return RATE_DEFAULT
    count, _, seconds = raw.partition("/")
    return max(1, int(count)), timedelta(seconds=max(1, int(seconds)))


class RateLimited(DomainError):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__("too many applications from this station, retry later")
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


def rate_limit_wait(session: Session, station_id: str, at: datetime) -> int:
    """0 if the station may submit another application now, else seconds to wait. Counted in
    the database, so the limit holds across server processes and instances."""
    limit, window = application_rate()
    recent = session.scalars(
        select(Application.created_at)
        .where(Application.station_id == station_id, Application.created_at > at - window)
        .order_by(Application.created_at.desc()).limit(limit)
    ).all()
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((as_utc(recent[-1]) + window - at).total_seconds()))


def create_application(
    session: Session, cipher: DataCipher, station: Station, key: str, body: ApplicationIn,
    radius_km: float,
) -> tuple[str, bool]:
    """Returns (response JSON, created). Repeats with the same key replay the first response;
    the same person applying to the same job again gets the first application's response.
    Only jobs the station could have shown (within `radius_km`, like jobs_delta) are found."""
    request_hash = cipher.keyed_hash("request", canonical_json(body.model_dump(mode="json")))
    existing = find_application_response(session, station.id, key)
    if existing is not None:
        # "" is a row from before keyed hashes (migration 0003): nothing left to compare.
        if existing.request_hash and not hmac.compare_digest(existing.request_hash, request_hash):
            raise Conflict("Idempotency-Key already used with a different request")
        return existing.response, False
    job = session.scalars(select(Job).where(Job.id == body.job_id, near(station, radius_km))).first()
    if job is None:
        raise NotFound("no such job")
    if job.status != "open":
        raise Gone("the job is closed")
    person_hash = cipher.keyed_hash("person-job", canonical_json([body.seeker.id_number, job.id]))
    earlier = session.scalars(
        select(Application).where(Application.job_id == job.id, Application.person_hash == person_hash)
    ).first()
    if earlier is not None:
        return earlier.response, False
    created = now()
    wait = rate_limit_wait(session, station.id, created)
    if wait:
        raise RateLimited(wait)
    app_id = str(uuid.uuid4())
    response = json.dumps({
        "id": app_id, "job_id": job.id, "station_id": station.id, "status": "received",
        "created_at": iso(created),
    })
    # As sent (an older kiosk's body has no card type); the birth date is needed only by
    # standing registrations (age rules): not kept here.
    seeker = canonical_json(body.seeker.model_dump(mode="json", exclude={"birth_date"}, exclude_unset=True))
    session.add(Application(
        id=app_id, station_id=station.id, county=station.county, job_id=job.id,
        idempotency_key=key, request_hash=request_hash, person_hash=person_hash,
        seeker_hash=cipher.seeker_hash(body.seeker.id_number), response=response, status="new",
        seeker_enc=cipher.encrypt(seeker, b"application:" + app_id.encode()),
        consent_version=body.consent.version, consent_at=body.consent.at, created_at=created,
    ))
    session.flush()
    from central.followup import bump_count  # followup imports this module

    bump_count(session, station.county, "new", 1)
    return response, True


def find_application_response(session: Session, station_id: str, key: str) -> Application | None:
    return session.scalars(
        select(Application).where(
            Application.station_id == station_id, Application.idempotency_key == key
        )
    ).first()


# -- heartbeats -----------------------------------------------------------------------------------


def heartbeat_values(beat: Heartbeat, at: datetime) -> dict[str, Any]:
    """The Station columns a heartbeat received at `at` sets (central.fleet.record_heartbeat
    stores them in one statement, with the station's current config version returned)."""
    rejected = beat.rejected_config
    return {
        "last_heartbeat_at": at, "app_version": beat.app_version,
        "config_version_applied": beat.config_version,
        "rejected_config_version": rejected.version if rejected else None,
        "rejected_config_reason": rejected.reason if rejected else None,
        "update_failed_version": beat.update_failed.version if beat.update_failed else None,
        "update_failed_reason": beat.update_failed.reason if beat.update_failed else None,
        "devices": beat.devices_json(), "outbox_depth": beat.outbox_depth, "paper": beat.paper,
        **heartbeat_vitals(beat, at),
    }


def heartbeat_vitals(beat: Heartbeat, at: datetime) -> dict[str, Any]:
    """The heartbeat's optional vitals as Station columns (central.alerts reads them)."""
    sent = as_utc(beat.sent_at) if beat.sent_at else None
    return {
        "heartbeat_interval_s": beat.heartbeat_interval_s,
        # Network latency makes this a little negative; it is far below the 2-minute threshold.
        "clock_skew_s": (sent - at).total_seconds() if sent else None,
        "outbox_oldest_s": beat.outbox_oldest_s,
        "disk_free_mb": beat.disk_free_mb, "disk_total_mb": beat.disk_total_mb,
    }


def health(station: Station, at: datetime | None = None) -> dict[str, Any]:
    at = at or now()
    last = as_utc(station.last_heartbeat_at)
    rejected = None
    if station.rejected_config_version is not None or station.rejected_config_reason:
        rejected = {"version": station.rejected_config_version, "reason": station.rejected_config_reason or ""}
    return {
        "id": station.id, "county": station.county, "name": station.name,
        "name_en": station.name_en, "lat": station.lat, "lng": station.lng,
        "config_version": station.config_version,
        "last_heartbeat_at": iso(last) if last else None,
        "heartbeat_age_s": (at - last).total_seconds() if last else None,
        "app_version": station.app_version, "config_version_applied": station.config_version_applied,
        "rejected_config": rejected, "devices": stored_devices(station.devices),
        "outbox_depth": station.outbox_depth, "paper": station.paper,
    }


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()
