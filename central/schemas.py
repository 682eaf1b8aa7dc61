"""Wire models of the HTTP contract (what /openapi.json publishes)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from central import idcards
from central.idcards import CardType
from central.station_config import ConfigPatch, StationConfig
from central.text import MultilineText, Text

PayUnit = Literal["hour", "day", "piece", "order"]
Settlement = Literal["daily", "weekly", "on_completion"]
_PHONE = re.compile(r"^1[3-9]\d{9}$")  # mainland mobile numbers
POLICY_BODY_MAX = 8000


class Requirements(BaseModel):
    model_config = ConfigDict(extra="forbid")
    age_min: int | None = Field(None, ge=14, le=100)
    age_max: int | None = Field(None, ge=14, le=100)
    notes: MultilineText = Field("", max_length=500)


class JobFields(BaseModel):
    """What staff send to create or replace a job."""

    model_config = ConfigDict(extra="forbid")
    title: Text = Field(min_length=1, max_length=200)
    category: Text = Field(min_length=1, max_length=64)
    employer: Text = Field(min_length=1, max_length=200)
    headcount: int = Field(ge=1, le=100000)
    pay_amount: float = Field(ge=0, le=1_000_000)
    pay_unit: PayUnit
    settlement: Settlement
    start_date: date
    end_date: date
    daily_hours: Text = Field(
        min_length=1, max_length=64, description='working hours of a day, e.g. "08:00-17:00"'
    )
    address: Text = Field(min_length=1, max_length=300)
    district: Text = Field("", max_length=100)
    directions: Text = Field("", max_length=500, description="how to get there")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    contact: Text = Field(min_length=1, max_length=100)
    requirements: Requirements = Requirements()
    valid_through: date

    @model_validator(mode="after")
    def _dates(self) -> JobFields:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class JobIn(JobFields):
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$")


class Job(JobFields):
    model_config = ConfigDict(extra="forbid")
    id: str
    county: str
    status: Literal["open", "closed"]
    updated_at: datetime


class JobsDelta(BaseModel):
    jobs: list[Job]
    deleted: list[str] = Field(description="ids of jobs closed (or withdrawn) since the cursor")
    cursor: str
    has_more: bool = Field(description="true: call again with the new cursor at once")
    reset: bool = Field(
        False, description="the cursor was unknown: this is a full sync, drop jobs not in it"
    )


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Text = Field(min_length=1, max_length=64)
    title: Text = Field(min_length=1, max_length=200)
    title_en: Text = Field("", max_length=200)
    summary: MultilineText = Field("", max_length=2000)
    summary_en: MultilineText = Field("", max_length=2000)
    # The kiosk shows a policy on one scrolling screen; 8,000 characters is about 16 screens of
    # text and keeps every rendered paragraph within the GPU's texture limit (issue 11).
    body: MultilineText = Field("", max_length=POLICY_BODY_MAX)
    body_en: MultilineText = Field("", max_length=POLICY_BODY_MAX)
    status: Literal["published", "withdrawn"] = "published"


class Policy(PolicyIn):
    id: str
    county: str
    updated_at: datetime


class PoliciesDelta(BaseModel):
    policies: list[Policy]
    deleted: list[str]
    cursor: str
    has_more: bool
    reset: bool = False


class ConfigDocument(BaseModel):
    """Signed: Ed25519 over canonical JSON of this object without "signature" and "key_id"."""

    station_id: str
    county: str
    version: int
    issued_at: str
    config: StationConfig
    signature: str
    key_id: str


class ConfigPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config: ConfigPatch


class CountyConfig(BaseModel):
    county: str
    version: int
    config: dict[str, Any] = Field(description="county-wide overrides")
    effective: StationConfig = Field(description="defaults with the county overrides applied")


class PublicKey(BaseModel):
    county: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    public_key: str = Field(description="base64 of the raw 32-byte Ed25519 public key")


class Seeker(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_type: CardType = Field("resident", description="which card was laid (central.idcards); "
                                "resident when absent (older kiosks)")
    id_number: str = Field(
        pattern=idcards.ANY_PATTERN,
        description="resident / hkmt_permit / foreign_2023: 18 characters, GB 11643 check digit; "
                    "foreign_2017: 3 letters and 12 digits",
    )
    name: Text = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$", description="mainland mobile number")
    birth_date: date | None = Field(None, description="from the card; must agree with the number")

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str, info: ValidationInfo) -> str:
        # Checksum and birth date (GB 11643); the area-code table is skipped because it lags
        # newly created districts.
        return idcards.validate(info.data.get("card_type", "resident"), v)

    @model_validator(mode="after")
    def _card(self) -> Seeker:
        carried = idcards.birth_date(self.card_type, self.id_number)
        if self.birth_date is not None and carried is not None and carried != self.birth_date:
            raise ValueError("birth_date does not agree with the ID number")
        if self.birth_date is None:
            self.birth_date = carried
        return self

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        if not _PHONE.fullmatch(v):
            raise ValueError("invalid mobile number")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("invalid name")
        return v.strip()


# How far consent.at may be from the server's clock: kiosk clocks drift by minutes (NTP is
# not always reachable), and an application may wait in the kiosk's outbox through an outage
# of days, but a month is past any outage we plan for (and past a sensible consent's life).
CONSENT_FUTURE = timedelta(minutes=10)
CONSENT_PAST = timedelta(days=30)


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Text = Field(min_length=1, max_length=64)
    at: datetime = Field(description="when the seeker consented: within 30 days before and "
                                     "10 minutes after the server's clock")

    @field_validator("at")
    @classmethod
    def _recent(cls, v: datetime) -> datetime:
        at = v if v.tzinfo is not None else v.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        if at > now + CONSENT_FUTURE:
            raise ValueError("consent time is in the future (check the kiosk clock)")
        if at < now - CONSENT_PAST:
            raise ValueError("consent time is more than 30 days ago")
        return at


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: Text = Field(min_length=1, max_length=64)
    station_id: Text = Field(min_length=1, max_length=64)
    seeker: Seeker
    consent: Consent


class ApplicationOut(BaseModel):
    id: str
    job_id: str
    station_id: str
    status: Literal["received"]
    created_at: datetime


_INT32 = 2**31 - 1  # fits every database's INTEGER


class RejectedConfig(BaseModel):
    version: int | None = Field(None, ge=0, le=_INT32)
    reason: Text = Field("", max_length=500)


class UpdateFailed(BaseModel):
    """The last release a station rolled back from by itself (health gate or crash loop)."""

    version: Text = Field(max_length=64)
    reason: Text = Field("", max_length=300)


# What the kiosk reports per device: devices.base.DeviceState, plus kiosk.sync.SyncStatus
# states for the "sync" entry.
DeviceStateName = Literal["starting", "ok", "no_device", "error", "warning", "unknown", "stopped",
                          "offline", "unauthorised"]
# Names the kiosk sends (screens/services.py device_health, kiosk/sync.py heartbeat_body):
# the drivers' `name`s, "scannerN" for a scanner without one, "sync", and "health" when
# collecting the device health itself failed.
DEVICE_NAMES = ("idcard", "printer", "speech", "camera", "serial-scanner", "sync", "health")
_DEVICE_NAME = re.compile(r"^scanner[0-9]{1,2}$")


class PrinterInfo(BaseModel):
    """The printer's own answers to GS I (model, maker, firmware, fonts); absent = no answer."""

    model_config = ConfigDict(extra="ignore")
    model: Text | None = Field(None, max_length=64)
    maker: Text | None = Field(None, max_length=64)
    firmware: Text | None = Field(None, max_length=64)
    fonts: Text | None = Field(None, max_length=64)


class DeviceReport(BaseModel):
    """One device's health; the printer adds paper and queue fields (PrintService.health).

    Unknown fields are dropped, never stored (a newer kiosk may report more): only what is
    declared here, validated, reaches the station list."""

    model_config = ConfigDict(extra="ignore")
    state: DeviceStateName
    detail: Text = Field("", max_length=300)
    paper_near_end: bool | None = None
    paper_end: bool | None = None
    cover_open: bool | None = None
    queued: int | None = Field(None, ge=0, le=_INT32)
    link: Text | None = Field(None, max_length=200)
    slip_waiting: bool | None = None  # a kiosk printer's slip not yet taken from its mouth
    model: Text | None = Field(None, max_length=64)  # kiosk/printer_models.toml key
    # The maintenance test page's camera self-check (kiosk/printer_check.py): which QR printed
    # readable; and the printer's GS I answers ({} = asked, no answer).
    qr_check: Literal["native", "image", "unchecked"] | None = None
    gs_i: PrinterInfo | None = None


class Heartbeat(BaseModel):
    """Unknown extra fields are ignored, so older servers accept newer kiosks."""

    model_config = ConfigDict(extra="ignore")
    app_version: Text = Field("", max_length=64)
    config_version: int | None = Field(None, ge=0, le=_INT32, description="config version applied")
    rejected_config: RejectedConfig | None = None
    devices: dict[str, DeviceReport] = Field(
        default_factory=dict, max_length=32,
        description="device name -> status; names: " + ", ".join(DEVICE_NAMES) + ", scannerN",
    )
    outbox_depth: int = Field(0, ge=0, le=_INT32)
    paper: Literal["ok", "low", "out", "unknown"] = "unknown"
    # Vitals for central.alerts; optional, so older kiosks stay valid.
    sent_at: datetime | None = Field(None, description="the kiosk's clock when sending (clock skew)")
    heartbeat_interval_s: int | None = Field(None, ge=15, le=3600, description="interval in force")
    outbox_oldest_s: int | None = Field(None, ge=0, le=_INT32, description="age of the oldest unsent application")
    disk_free_mb: int | None = Field(None, ge=0, le=_INT32)
    disk_total_mb: int | None = Field(None, ge=0, le=_INT32)
    update_failed: UpdateFailed | None = Field(None, description="the last software update failed")

    @field_validator("devices")
    @classmethod
    def _known(cls, v: dict[str, DeviceReport]) -> dict[str, DeviceReport]:
        for name in v:
            if name not in DEVICE_NAMES and not _DEVICE_NAME.fullmatch(name):
                raise ValueError("unknown device name")
        return v

    def devices_json(self) -> dict[str, Any]:
        return {name: d.model_dump(exclude_none=True) for name, d in self.devices.items()}


def stored_devices(value: Any) -> dict[str, Any] | None:
    """A stored devices column as served, or None if it does not pass today's schema (rows
    written before the schema existed could hold text that cannot even be encoded)."""
    if value is None:
        return None
    try:
        return Heartbeat.model_validate({"devices": value}).devices_json()
    except ValueError:
        return None


class StationAlert(BaseModel):
    kind: str
    opened_at: datetime
    detail: str


class HeartbeatAck(BaseModel):
    received_at: datetime
    config_version: int = Field(description="latest config version; fetch the config if newer")
    alerts: list[StationAlert] = Field(default_factory=list, description="the station's own open alerts")
    commands: list[dict[str, Any]] = Field(
        default_factory=list, description="signed command documents for this station, each sent "
                                          "once (central/commands.py, README: Remote commands)")


class AlertOut(BaseModel):
    id: int
    station_id: str
    county: str
    kind: str
    severity: Literal["critical", "warning"]
    state: Literal["open", "resolved"]
    detail: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


class CommandOut(BaseModel):
    """A remote command as staff see it (central/commands.py as_dict)."""

    id: str
    station_id: str
    kind: str
    args: dict[str, Any]
    state: Literal["pending", "sent", "done", "failed", "refused", "expired"]
    created_at: datetime
    created_by: str
    expires_at: datetime
    sent_at: datetime | None
    result_at: datetime | None
    result_detail: str
    attachment_type: str | None
    attachment_size: int | None
    notes: list[dict[str, Any]]


class StationHealth(BaseModel):
    id: str
    county: str
    name: str
    name_en: str
    lat: float
    lng: float
    config_version: int
    last_heartbeat_at: datetime | None
    heartbeat_age_s: float | None
    app_version: str | None
    config_version_applied: int | None
    rejected_config: RejectedConfig | None
    devices: dict[str, Any] | None
    outbox_depth: int | None
    paper: str | None


class Problem(BaseModel):
    detail: str


# --- statistics (central.stats) --------------------------------------------------------------
class StatsRowIn(BaseModel):
    """One station-local hour's absolute count of one metric."""

    model_config = ConfigDict(extra="forbid")
    hour: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}$", description="station-local hour, YYYY-MM-DDTHH")
    metric: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    value: int = Field(ge=0, le=_INT32)


class StatsPut(BaseModel):
    rows: list[StatsRowIn] = Field(max_length=2000)


class StatsAck(BaseModel):
    stored: int = Field(description="rows set (absolute values: a repeat sets the same numbers)")
    ignored: int = Field(description="rows of metrics this server does not know (kept out)")


class StatsReport(BaseModel):
    model_config = ConfigDict(extra="allow")
    county: str
    group: Literal["day", "week", "month"]
    rows: list[dict[str, Any]] = Field(
        description="one per station and period: {station_id, period (first day, YYYY-MM-DD), "
                    "visits, card_reads, job_views, slips, registrations, contacted, hired, ...}")
