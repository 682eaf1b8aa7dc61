"""The allow-listed station config document: defaults, ranges, merging of overrides.

`StationConfig` is the full effective document a station receives. Staff edit overrides
(`ConfigPatch`, every field optional) for a whole county or one station; the effective
document is defaults <- county overrides <- station overrides, validated again as a whole.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from central.text import Text

# "HH:MM-HH:MM", end may be 24:00.
_HOURS = r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$"
# The kiosk defines the hash format (kiosk/pin.py). No spaces or control characters.
_PIN_HASH = r"^[A-Za-z0-9$+/=:._-]{16,256}$"
_PHONE = r"^([0-9][0-9 -]*)?$"  # the kiosk's FOLLOWUP_PHONE (kiosk/remote_config.py)
# The county's public job page; the kiosk fills in {job_id} for its QR codes (kiosk.jobcode).
PUBLIC_JOB_URL = r"^$|^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/%?&=+:-]*\{job_id\}[A-Za-z0-9._~/%?&=+-]*$"
OLD_PIN_FORMAT = ("this PIN hash is in the old pbkdf2-sha256 format, which stations refuse; "
                  "make a new one with `gig-kiosk pin-hash` (it starts with scrypt$) / "
                  "旧格式的维护密码哈希已停用，请用 gig-kiosk pin-hash 重新生成")
COUNTY_PIN_REFUSED = ("set the maintenance PIN per station, not for the whole county: one cracked "
                      "hash would open every station / 维护密码须按驿站分别设置，不能全县共用")

_HELP_PHONE = r"^[0-9 -]*$"


class Features(BaseModel):
    model_config = ConfigDict(extra="forbid")
    print: bool = True
    apply: bool = True
    policies: bool = True
    voice: bool = True


class StationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", title="StationConfig")
    idle_timeout_s: int = Field(90, ge=15, le=900)
    banner: Text = Field("", max_length=200)
    radius_km: float = Field(20.0, ge=0.5, le=200)
    features: Features = Features()
    default_language: Literal["zh", "en"] = "zh"
    elderly_mode_default: bool = False
    receipt_footer: Text = Field("", max_length=120)
    opening_hours: str = Field("06:00-22:00", pattern=_HOURS)
    sync_interval_s: int = Field(300, ge=30, le=86400)
    heartbeat_interval_s: int = Field(60, ge=15, le=3600)
    maintenance_pin_hash: str | None = Field(None, pattern=_PIN_HASH)
    followup_hours: int = Field(24, ge=1, le=168)  # issue 12: "we call you within N hours"
    followup_phone: str = Field("", max_length=20, pattern=_PHONE)
    help_phone: str = Field("", max_length=20, pattern=_HELP_PHONE)  # behind the kiosk's help button
    complaint_phone: str = Field("", max_length=20, pattern=_HELP_PHONE)  # county 维权 hotline, on every job
    elderly_by_age: bool = False  # a card aged >= 60 turns large text + voice on (else: offered)
    public_job_url: str = Field("", max_length=200, pattern=PUBLIC_JOB_URL)


class FeaturesPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    print: bool | None = None
    apply: bool | None = None
    policies: bool | None = None
    voice: bool | None = None


class ConfigPatch(BaseModel):
    """Overrides: the same fields and ranges, all optional; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", title="StationConfigOverrides")
    idle_timeout_s: int | None = Field(None, ge=15, le=900)
    banner: Text | None = Field(None, max_length=200)
    radius_km: float | None = Field(None, ge=0.5, le=200)
    features: FeaturesPatch | None = None
    default_language: Literal["zh", "en"] | None = None
    elderly_mode_default: bool | None = None
    receipt_footer: Text | None = Field(None, max_length=120)
    opening_hours: str | None = Field(None, pattern=_HOURS)
    sync_interval_s: int | None = Field(None, ge=30, le=86400)
    heartbeat_interval_s: int | None = Field(None, ge=15, le=3600)
    maintenance_pin_hash: str | None = Field(None, pattern=_PIN_HASH)
    followup_hours: int | None = Field(None, ge=1, le=168)
    followup_phone: str | None = Field(None, max_length=20, pattern=_PHONE)
    help_phone: str | None = Field(None, max_length=20, pattern=_HELP_PHONE)
    complaint_phone: str | None = Field(None, max_length=20, pattern=_HELP_PHONE)
    elderly_by_age: bool | None = None
    public_job_url: str | None = Field(None, max_length=200, pattern=PUBLIC_JOB_URL)

    @field_validator("maintenance_pin_hash")
    @classmethod
    def _new_pin_format(cls, value: str | None) -> str | None:
        # Only new overrides are checked: documents already stored and signed stay valid.
        if value is not None and not value.startswith("scrypt$"):
            raise ValueError(OLD_PIN_FORMAT)
        return value

    def overrides(self) -> dict[str, Any]:
        """Only the fields that were set (None means 'inherit')."""
        return self.model_dump(exclude_none=True)


FIELDS: tuple[str, ...] = tuple(StationConfig.model_fields)
FEATURES: tuple[str, ...] = tuple(Features.model_fields)


def effective(county_overrides: dict[str, Any], station_overrides: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = StationConfig().model_dump()
    for layer in (county_overrides, station_overrides):
        for key, value in layer.items():
            if key == "features":
                merged["features"] = {**merged["features"], **value}
            else:
                merged[key] = value
    return StationConfig.model_validate(merged).model_dump()


def json_schema() -> dict[str, Any]:
    return StationConfig.model_json_schema()


def county_errors(overrides: dict[str, Any]) -> dict[str, str]:
    """What a county-wide config may not set (on top of ConfigPatch's own checks)."""
    return {"maintenance_pin_hash": COUNTY_PIN_REFUSED} if overrides.get("maintenance_pin_hash") else {}
