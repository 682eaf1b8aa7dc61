"""SQLAlchemy ORM models. The Alembic migrations in central/migrations mirror these tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Counter(Base):
    """Named monotonically increasing counters (the job and policy change sequences).

    Bumping the row inside the writing transaction locks it until commit, so sequence order
    equals commit order and a delta reader can never skip a change that commits late.
    """

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class County(Base):
    __tablename__ = "counties"
    __table_args__ = (UniqueConstraint("id_prefix", name="uq_counties_id_prefix"),)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Job and policy ids of this county start with "<code>-" or "<id_prefix>-" (a short alias,
    # e.g. "qh" for qinghe); see services.id_namespaces.
    id_prefix: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    key_id: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # raw 32-byte Ed25519 public key
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM under the data key
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # county-wide overrides
    config_version: Mapped[int] = mapped_column(Integer, default=0)
    # Retention of applicants' personal data (central.followup.run_purge), set by the admin.
    retention_final_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    retention_max_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")


class CountyConfigVersion(Base):
    __tablename__ = "county_config_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Station(Base):
    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # station overrides
    config_version: Mapped[int] = mapped_column(Integer, default=0)  # latest signed version
    # Latest heartbeat, denormalised so the health list is one query.
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    app_version: Mapped[str | None] = mapped_column(String(64))
    config_version_applied: Mapped[int | None] = mapped_column(Integer)
    rejected_config_version: Mapped[int | None] = mapped_column(Integer)
    rejected_config_reason: Mapped[str | None] = mapped_column(String(500))
    # The last release the station rolled back from by itself (heartbeat update_failed).
    update_failed_version: Mapped[str | None] = mapped_column(String(64))
    update_failed_reason: Mapped[str | None] = mapped_column(String(300))
    devices: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
    paper: Mapped[str | None] = mapped_column(String(16))
    # Onboarding (central.onboarding): a disabled station's token stops working; the one-time
    # enrolment code is kept only as a hash, and stays after use so a reuse is told apart.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    enrol_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enrol_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # More of the latest heartbeat, for central.alerts (all optional: older kiosks omit them).
    heartbeat_interval_s: Mapped[int | None] = mapped_column(Integer)
    clock_skew_s: Mapped[float | None] = mapped_column(Float)  # kiosk clock minus central's
    outbox_oldest_s: Mapped[int | None] = mapped_column(Integer)
    disk_free_mb: Mapped[int | None] = mapped_column(Integer)
    disk_total_mb: Mapped[int | None] = mapped_column(Integer)


class StationConfigVersion(Base):
    """One signed, effective config document per version (county ← station overrides merged)."""

    __tablename__ = "station_config_versions"
    __table_args__ = (UniqueConstraint("station_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # the exact JSON served, signature included
    reason: Mapped[str] = mapped_column(String(32))  # "station", "county" or "initial"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64), default="")


STAFF_TOKEN_TTL = timedelta(days=90)


def _token_expiry() -> datetime:
    # A Python default, so every way of creating staff gets an expiring token.
    return datetime.now(UTC) + STAFF_TOKEN_TTL


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")  # central.roles
    # API token lifecycle (central.staff_tokens): a token stops at expiry or on revocation.
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=_token_expiry)
    token_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One-time passwords (staff add, reset): the admin pages allow nothing else until changed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AdminSession(Base):
    __tablename__ = "admin_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed admin logins per user name and per client address, in the database so the limit
    holds across server processes. `key` is a SHA-256 of "user:<name>" or "addr:<ip>": typed
    user names (sometimes a password in the wrong field) are not stored in clear."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_seq", "seq", unique=True), Index("ix_jobs_lat_lng", "lat", "lng"))
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    employer: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int] = mapped_column(Integer)
    pay_amount: Mapped[float] = mapped_column(Float)
    pay_unit: Mapped[str] = mapped_column(String(16))
    settlement: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    daily_hours: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(300))
    district: Mapped[str] = mapped_column(String(100), default="")
    directions: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    contact: Mapped[str] = mapped_column(String(100))
    requirements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid_through: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (Index("ix_policies_seq", "seq", unique=True),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="published")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("station_id", "idempotency_key"),
        # One application per person and job (services.create_application de-duplicates).
        UniqueConstraint("job_id", "person_hash", name="uq_applications_job_person"),
        Index("ix_applications_station_created", "station_id", "created_at"),  # rate limit
        # The follow-up inbox: a county's newest first (id breaks ties, so the page is read in
        # index order, never sorted), and its counts per status.
        Index("ix_applications_county_created", "county", "created_at", "id"),
        Index("ix_applications_county_status_created", "county", "status", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    # The station's county, copied so the inbox is one indexed range per county.
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # HMAC-SHA-256 (key derived from the data key) of the request body: without the key a
    # database copy cannot confirm who applied. "" for rows stored before it was keyed.
    request_hash: Mapped[str] = mapped_column(String(64))
    # HMAC of (ID number, job): finds a person's earlier application to the same job.
    person_hash: Mapped[str | None] = mapped_column(String(64))
    # HMAC of "seeker:" + ID number: the kiosk's "my registrations" lookup (central.followup).
    seeker_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    response: Mapped[str] = mapped_column(Text)  # replayed verbatim for repeats
    seeker_enc: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM: nonce || ciphertext; b"" once erased
    consent_version: Mapped[str] = mapped_column(String(64))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # Follow-up workflow (central.followup): status, when and by whom it was last set.
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # no_answer calls
    referred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    referred_by: Mapped[str | None] = mapped_column(String(64))
    # Personal data erased (withdrawal or retention); the row and its status stay for counts.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApplicationCount(Base):
    """Applications per county and status, kept in the transaction that adds an application or
    changes its status (central.followup.bump_count): the inbox shows its counts per status
    without counting a county's whole history on every page."""

    __tablename__ = "application_counts"
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ApplicationEvent(Base):
    """Each follow-up step: who set which status (or mark) when, with the caller's note."""

    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")  # emptied when the data is erased


class AccessLog(Base):
    """Every look at a seeker's contact in clear (PIPL art. 51/55 accountability)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_county_at", "county", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str | None] = mapped_column(ForeignKey("applications.id"))
    # Or a match's seeker (issue 16): exactly one of the two is set.
    match_id: Mapped[str | None] = mapped_column(ForeignKey("matches.id"))
    reason: Mapped[str] = mapped_column(String(32))  # central.followup.REASONS
    action: Mapped[str] = mapped_column(String(16))  # reveal | call_list


class Alert(Base):
    """A station problem found by central.alerts. state: pending (seen, not yet held long
    enough to open: flapping damping) -> open -> resolved. Pending rows that clear are deleted."""

    __tablename__ = "alerts"
    __table_args__ = (
        # One active (pending or open) alert per station and kind; resolved ones are history.
        Index("uq_alerts_active", "station_id", "kind", unique=True,
              sqlite_where=text("resolved_at IS NULL"), postgresql_where=text("resolved_at IS NULL")),
        Index("ix_alerts_county_state", "county", "state"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))  # critical | warning
    state: Mapped[str] = mapped_column(String(16))  # pending | open | resolved
    detail: Mapped[str] = mapped_column(String(300), default="")
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clear_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertSettings(Base):
    """Where a county's alerts are delivered (central.alert_delivery)."""

    __tablename__ = "alert_settings"
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    smtp_host: Mapped[str] = mapped_column(String(200), default="")
    smtp_port: Mapped[int] = mapped_column(Integer, default=25)
    smtp_starttls: Mapped[bool] = mapped_column(Boolean, default=False)
    smtp_from: Mapped[str] = mapped_column(String(200), default="")
    smtp_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="")
    quiet_hours: Mapped[str] = mapped_column(String(11), default="")  # "HH:MM-HH:MM" or ""
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class AlertDelivery(Base):
    """The delivery queue: one row per alert event and channel, retried with backoff."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    event: Mapped[str] = mapped_column(String(16))  # opened | resolved
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TufKey(Base):
    """One TUF role's signing key (central/releases/tuf_repo.py); the private half encrypted
    with the data key (DataCipher, AAD "tuf-key:<role>") like the county keys."""

    __tablename__ = "tuf_keys"
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    keyid: Mapped[str] = mapped_column(String(64))
    public: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_enc: Mapped[bytes] = mapped_column(LargeBinary)


class TufFile(Base):
    """A file of the published TUF repository, served as is under /tuf/<path>: metadata
    (metadata/N.root.json, metadata/timestamp.json, ...) and hash-prefixed targets."""

    __tablename__ = "tuf_files"
    path: Mapped[str] = mapped_column(String(400), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Release(Base):
    __tablename__ = "releases"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReleaseAssignment(Base):
    """Which release a county (station_id NULL) or one station (a canary) should run."""

    __tablename__ = "release_assignments"
    __table_args__ = (UniqueConstraint("county", "station_id", name="uq_release_assignment_scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    station_id: Mapped[str | None] = mapped_column(ForeignKey("stations.id"))
    version: Mapped[str] = mapped_column(ForeignKey("releases.version"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StationCommand(Base):
    """A remote diagnostics command for one station (central.commands): the signed document
    as sent, its life cycle, and the station's result (a screenshot or a log bundle)."""

    __tablename__ = "station_commands"
    __table_args__ = (Index("ix_station_commands_station_state", "station_id", "state"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    kind: Mapped[str] = mapped_column(String(16))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    document: Mapped[str] = mapped_column(Text)  # the exact JSON sent, signature included
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending -> sent (in a heartbeat answer) -> done | failed | refused
    state: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_detail: Mapped[str] = mapped_column(String(500), default="")
    result_type: Mapped[str | None] = mapped_column(String(32))  # image/png, application/gzip
    # Deferred: a list of commands never loads the attachments (up to 4 MB each).
    result_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    result_size: Mapped[int | None] = mapped_column(Integer)
    # Later reports about this command (a replay refused, a copy refused by another station).
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class PeriodicRun(Base):
    """One row per (periodic job, period): the period is claimed once across all instances
    (central/periodic.py). `finished_at` NULL: not done yet (running, or its runner died)."""

    __tablename__ = "periodic_runs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runner: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    result: Mapped[dict | None] = mapped_column(JSON)


class StationStat(Base):
    """服务成效: one station's count of one metric in one station-local hour (central.stats).
    Absolute values set by the station (never added to), so re-deliveries cannot double count.
    No person and no visit: only (station, hour, metric) -> count."""

    __tablename__ = "station_stats"
    __table_args__ = (Index("ix_station_stats_day_metric", "day", "metric"),)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0..23, station-local
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class StationStatDay(Base):
    """The day's sums of station_stats, recomputed from the hours in the same transaction
    that sets them: what reports over arbitrary days and the dashboard's lines read."""

    __tablename__ = "station_stats_daily"
    __table_args__ = (Index("ix_station_stats_daily_day", "day"),)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class StationStatMonth(Base):
    """The month's sums of station_stats_daily (same transaction): a county's month is one
    row per station and metric, whatever the number of days."""

    __tablename__ = "station_stats_monthly"
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class CountyVisitHour(Base):
    """Busiest hours: a county's visits per month, weekday (Monday = 0) and hour, kept up to
    date by adding the difference each station's new absolute count makes (central.stats)."""

    __tablename__ = "county_visit_hours"
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


# -- standing registrations and matches (issue 16: central.registrations, central.matching) --------


class Registration(Base):
    """A standing registration (求职登记): the work a person wants, kept open until its consent
    expires or the person ends it. Personal data as in `applications`: encrypted, found by a
    keyed hash; erased at the end (the wants and times stay for statistics)."""

    __tablename__ = "registrations"
    __table_args__ = (
        # One open registration per person and county (renewal updates it).
        Index("ix_registrations_county_seeker", "county", "seeker_hash"),
        # ...and at most one OPEN per person: a concurrent second create becomes a renewal.
        Index("uq_registrations_open_person", "county", "seeker_hash", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_registrations_status_expires", "status", "expires_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    reference: Mapped[str] = mapped_column(String(16))  # printed on the slip (made by the kiosk)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    seeker_hash: Mapped[str | None] = mapped_column(String(64))  # DataCipher.seeker_hash
    seeker_enc: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM; b"" once erased
    card_type: Mapped[str] = mapped_column(String(16))
    birth_date: Mapped[date | None] = mapped_column(Date)  # age rules; erased with the rest
    wants: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The station's place and the reach in km, copied so matching needs no join.
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    reach_km: Mapped[float] = mapped_column(Float)
    sms: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(64))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | ended | expired
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegistrationWant(Base):
    """The matching index of OPEN registrations (central.matching): one row per wanted
    category ("" = any) with every rule's value copied in SQL-friendly form, so a job finds
    its matches with one indexed query (category, nearby station, reach) and no JSON. Rows
    go when the registration closes."""

    __tablename__ = "registration_wants"
    __table_args__ = (Index("ix_registration_wants_lookup", "category", "station_id", "reach_km"),)
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    county: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[str] = mapped_column(String(64))
    reach_km: Mapped[float] = mapped_column(Float)
    days_mask: Mapped[int] = mapped_column(SmallInteger)  # bit 0 = Monday; 127 = any day
    settlement: Mapped[str] = mapped_column(String(16))  # daily | weekly | any
    pay_unit: Mapped[str | None] = mapped_column(String(8))
    pay_min: Mapped[float | None] = mapped_column(Float)
    birth_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the registration's
    sms: Mapped[bool] = mapped_column(Boolean)


class RegistrationRequest(Base):
    """Idempotency of the station's registration calls (create/renew, end): the first answer
    to a key, replayed for repeats of the same body."""

    __tablename__ = "registration_requests"
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Match(Base):
    """A job that fits an open registration: one line of the county's call list. Status,
    attempts and events follow the applications' follow-up workflow (central.followup.NEXT)."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("registration_id", "job_id", name="uq_matches_registration_job"),
        Index("ix_matches_county_status_score", "county", "status", "score"),
        Index("ix_matches_job_status", "job_id", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    county: Mapped[str] = mapped_column(ForeignKey("counties.code"))  # the registration's county
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    station_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float)
    walk_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    referred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    referred_by: Mapped[str | None] = mapped_column(String(64))
    # 'none' (no SMS opt-in) or 'pending'; the SMS glue sets sent | held | refused | failed.
    sms_state: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MatchEvent(Base):
    """Each follow-up step of a match (as application_events)."""

    __tablename__ = "match_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
