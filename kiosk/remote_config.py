"""Signed station configuration from the county: verify, validate, apply live, keep on disk.

A document (central/README.md, "Signed config") is applied only if all of these hold:
it is a JSON object of the documented shape; its Ed25519 signature over the canonical bytes
verifies with a trusted county key; it names this station (and this county, when the TOML
names one); its version is newer than the one in force; its `config` passes the allow-list
and ranges below (unknown field → refused). Otherwise nothing changes, and (version, reason)
is kept for the next heartbeat. The last applied document is stored as received in
data_dir/station-config.json and verified again when the kiosk starts.

No rollback, no stale documents: a document must carry `issued_at`, not be older than
MAX_AGE, and be neither below the version floor nor issued before the newest document seen.
The floor (version, issued_at) is kept in data_dir/station-config-floor.json and also learned
from central's heartbeat ack (`config_version`: the station's current version), so a station
that lost its data_dir (re-image, SD swap) cannot be rolled back to an old signed document:
with no floor known it sends a heartbeat before it fetches a document (kiosk.sync).

Trusted keys come from [security] trusted_config_keys. When that list is empty and
[security] pin_config_key_on_first_use is set, the kiosk pins the county key it first fetches
from its authenticated API (trust on first use) in data_dir/station-config-key.json; later
documents must verify with that pinned key. Otherwise every document is rejected.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk import opening_hours
from kiosk.settings import Settings
from kiosk.worker import Signal

log = logging.getLogger(__name__)

_PIN_HASH = r"^[A-Za-z0-9$+/=:._-]{16,256}$"
FOLLOWUP_PHONE = r"^([0-9][0-9 -]*)?$"  # digits, "-" and spaces: 0556-1234567
# The county's public job page; the kiosk fills in {job_id} for its QR codes (kiosk.jobcode).
PUBLIC_JOB_URL = r"^$|^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/%?&=+:-]*\{job_id\}[A-Za-z0-9._~/%?&=+-]*$"
_INT32 = 2**31 - 1
# Central re-signs a document older than 30 days when a station fetches it, so a fetched
# document is normally < 30 days old. 180 days leaves room for a long central outage or clock
# error, while a leaked or replayed document stops working after half a year at most.
MAX_AGE_S = 180 * 24 * 3600


class Features(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    print: bool = True
    apply: bool = True
    policies: bool = True
    voice: bool = True


class StationConfig(BaseModel):
    """The allow-list: the only fields a remote document may set, with their ranges."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    idle_timeout_s: int = Field(90, ge=15, le=900)
    banner: str = Field("", max_length=200)
    radius_km: float = Field(20.0, ge=0.5, le=200)
    features: Features = Features()
    default_language: Literal["zh", "en"] = "zh"
    elderly_mode_default: bool = False
    receipt_footer: str = Field("", max_length=120)
    opening_hours: str = Field("06:00-22:00", pattern=opening_hours.PATTERN)
    sync_interval_s: int = Field(300, ge=30, le=86400)
    heartbeat_interval_s: int = Field(60, ge=15, le=3600)
    maintenance_pin_hash: str | None = Field(None, pattern=_PIN_HASH)
    # Issue 12: the done screen and the application receipt say who calls back, from which
    # number and by when ("" = the number is not given).
    followup_hours: int = Field(24, ge=1, le=168)
    followup_phone: str = Field("", max_length=20, pattern=FOLLOWUP_PHONE)
    # The station's staff number, shown behind the permanent help button with a tel: QR code.
    help_phone: str = Field("", max_length=20, pattern=r"^[0-9 -]*$")
    # The county's complaint (维权) hotline, on every job screen and slip ("" = the help phone).
    complaint_phone: str = Field("", max_length=20, pattern=r"^[0-9 -]*$")
    # True: a card aged 60 or more turns large text + voice on; False: they are offered, one tap.
    elderly_by_age: bool = False
    public_job_url: str = Field("", max_length=200, pattern=PUBLIC_JOB_URL)


class AppliedConfig(StationConfig):
    """The configuration in force. version 0: built-in defaults, no document applied yet."""

    version: int = Field(0, ge=0, le=_INT32)
    issued_at: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    version: int | None  # None when the document was too broken to have one
    reason: str  # short, English, no personal data

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ApplyResult:
    status: Literal["applied", "unchanged", "rejected"]
    version: int | None
    reason: str = ""


class ConfigRejected(Exception):
    def __init__(self, reason: str, version: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.version = version


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """What the county signs: every key but signature and key_id, sorted, compact, UTF-8."""
    unsigned = {k: v for k, v in doc.items() if k not in ("signature", "key_id")}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def _load_key(b64: str) -> tuple[str, Ed25519PublicKey]:
    raw = base64.b64decode(b64.strip(), validate=True)
    return key_id(raw), Ed25519PublicKey.from_public_bytes(raw)


class RemoteConfig:
    """Holds the configuration in force; `apply(raw)` is the only way to change it."""

    FILE = "station-config.json"
    PIN_FILE = "station-config-key.json"
    REJECTED_FILE = "station-config-rejected.json"
    FLOOR_FILE = "station-config-floor.json"

    def __init__(self, settings: Settings, data_dir: Path | None = None) -> None:
        self.station_id = settings.station.id
        self.county = settings.station.county
        self.data_dir = Path(data_dir or settings.storage.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._configured_keys = list(settings.security.trusted_config_keys)
        self._lock = threading.RLock()
        # listener(new_config) after each applied document, on the thread that applied it
        self.applied: Signal[[AppliedConfig]] = Signal("remote_config.applied")
        self._current = AppliedConfig()
        self._raw: bytes | None = None
        self.rejected: Rejected | None = self._load_rejected()
        self._keys = self._trusted_keys()
        self.floor_version, self.floor_issued_at = self._load_floor()
        self._load_last_known_good()

    # --- public ---------------------------------------------------------------------------
    @property
    def current(self) -> AppliedConfig:
        return self._current

    @property
    def version(self) -> int:
        return self._current.version

    @property
    def etag(self) -> str | None:
        """ETag of the document in force (the server's format), for If-None-Match."""
        return f'"{self.station_id}.v{self.version}"' if self._raw is not None else None

    @property
    def needs_key(self) -> bool:
        """True when no key is trusted yet and the caller should pin the county's key."""
        return not self._keys

    def pin_key(self, county: str, public_key_b64: str) -> None:
        """Trust on first use: only when the TOML names no keys and none is pinned yet."""
        with self._lock:
            if self._keys:
                return
            kid, _ = _load_key(public_key_b64)
            _atomic_write(self.data_dir / self.PIN_FILE, json.dumps(
                {"county": county, "key_id": kid, "public_key": public_key_b64}).encode())
            log.warning("remote config: pinned county %s key %s on first use", county, kid)
            self._keys = self._trusted_keys()

    @property
    def floor_known(self) -> bool:
        return self.floor_version > 0

    def learn_floor(self, version: int) -> None:
        """Central says `version` is this station's current document: never go below it."""
        with self._lock:
            if isinstance(version, int) and not isinstance(version, bool) \
                    and self.floor_version < version <= _INT32:
                self.floor_version = version
                self._save_floor()

    def apply(self, raw: bytes) -> ApplyResult:
        """Verify and, if good, apply and persist a signed document (bytes as received)."""
        with self._lock:
            try:
                doc, config = self._verify(raw)
            except ConfigRejected as exc:
                self.rejected = Rejected(exc.version, exc.reason)
                self._save_rejected()
                log.warning("remote config rejected (version %s): %s", exc.version, exc.reason)
                return ApplyResult("rejected", exc.version, exc.reason)
            version = doc["version"]
            if version == self.version and self._raw is not None:
                return ApplyResult("unchanged", version)
            _atomic_write(self.data_dir / self.FILE, raw)
            self.floor_version = max(self.floor_version, version)
            self.floor_issued_at = max(self.floor_issued_at, _issued(doc) or 0.0)
            self._save_floor()
            self._raw = raw
            self._current = AppliedConfig(**config.model_dump(), version=version,
                                          issued_at=str(doc.get("issued_at", "")))
            if self.rejected is not None and (self.rejected.version or 0) <= version:
                self.rejected = None
                self._save_rejected()
            applied = self._current
        log.info("remote config version %s applied", version)
        self.applied.emit(applied)  # outside the lock; a broken listener cannot undo the apply
        return ApplyResult("applied", version)

    # --- verification ---------------------------------------------------------------------
    def _verify(self, raw: bytes, *, check_version: bool = True) -> tuple[dict[str, Any], StationConfig]:
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ConfigRejected("malformed JSON") from None
        if not isinstance(doc, dict):
            raise ConfigRejected("document is not a JSON object")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 < version <= _INT32:
            raise ConfigRejected("missing or invalid version")
        for field, kind in (("station_id", str), ("county", str), ("signature", str),
                            ("config", dict)):
            if not isinstance(doc.get(field), kind):
                raise ConfigRejected(f"missing or invalid {field}", version)
        if not self._keys:
            raise ConfigRejected("no trusted county key configured", version)
        if not self._signature_ok(doc):
            raise ConfigRejected("signature does not verify with a trusted county key", version)
        if doc["station_id"] != self.station_id:
            raise ConfigRejected("document is for another station", version)
        if self.county and doc["county"] != self.county:
            raise ConfigRejected("document is for another county", version)
        issued = _issued(doc)
        if issued is None:
            raise ConfigRejected("missing or invalid issued_at", version)
        if check_version and self._raw is not None and version < self.version:
            raise ConfigRejected(f"version {version} is older than applied {self.version}", version)
        if check_version and version < self.floor_version:
            raise ConfigRejected(f"version {version} is older than version {self.floor_version}, "
                                 "known to be current", version)
        if check_version and issued < self.floor_issued_at:
            raise ConfigRejected(f"version {version} was issued before the newest document seen", version)
        age = time.time() - issued
        if check_version and age > MAX_AGE_S:
            raise ConfigRejected(f"document expired: issued {int(age // 86400)} days ago, "
                                 f"over the {MAX_AGE_S // 86400} days allowed", version)
        if check_version and self._raw is not None and version == self.version:
            if canonical_bytes(doc) != canonical_bytes(json.loads(self._raw)):
                raise ConfigRejected(f"version {version} reused with other content", version)
        try:
            config = StationConfig.model_validate(doc["config"])
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "config"
            what = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            raise ConfigRejected(f"config.{where}: {what}", version) from None
        return doc, config

    def signature_ok(self, doc: dict[str, Any]) -> bool:
        """True if `doc` (a parsed signed document: a config, or a remote command) verifies
        with a trusted county key over its canonical bytes."""
        with self._lock:
            return bool(self._keys) and isinstance(doc.get("signature"), str) and self._signature_ok(doc)

    def _signature_ok(self, doc: dict[str, Any]) -> bool:
        try:
            signature = base64.b64decode(doc["signature"], validate=True)
        except ValueError:
            return False
        message = canonical_bytes(doc)
        kid = doc.get("key_id")
        # Try the named key first; any trusted key may sign (key rotation keeps two trusted).
        keys = sorted(self._keys, key=lambda k: k[0] != kid)
        for _, key in keys:
            try:
                key.verify(signature, message)
                return True
            except InvalidSignature:
                continue
        return False

    # --- disk -----------------------------------------------------------------------------
    def _trusted_keys(self) -> list[tuple[str, Ed25519PublicKey]]:
        texts = list(self._configured_keys)
        pin = self.data_dir / self.PIN_FILE
        if not texts and pin.exists():
            try:
                texts = [json.loads(pin.read_text())["public_key"]]
            except (OSError, ValueError, KeyError, TypeError):
                log.error("remote config: pinned key file unreadable; ignoring it")
        keys = []
        for text in texts:
            try:
                keys.append(_load_key(text))
            except ValueError:
                log.error("remote config: a trusted_config_keys entry is not a base64 Ed25519 key")
        return keys

    def _load_last_known_good(self) -> None:
        path = self.data_dir / self.FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.error("remote config: cannot read %s: %s", path.name, type(exc).__name__)
            return
        try:
            doc, config = self._verify(raw, check_version=False)
            if doc["version"] < self.floor_version:  # an older signed file put in its place
                raise ConfigRejected(f"version {doc['version']} is below the floor {self.floor_version}")
        except ConfigRejected as exc:
            # Keys or station changed, or the file was altered: run on defaults until the
            # next good document rather than trust it.
            log.error("remote config: stored document no longer valid (%s); using defaults", exc.reason)
            return
        # (the stored document is not aged out: it is what this station runs on until a newer
        # one comes; MAX_AGE_S limits which documents can be newly applied)
        self.floor_version = max(self.floor_version, doc["version"])
        self.floor_issued_at = max(self.floor_issued_at, _issued(doc) or 0.0)
        self._raw = raw
        self._current = AppliedConfig(**config.model_dump(), version=doc["version"],
                                      issued_at=str(doc.get("issued_at", "")))

    def _load_floor(self) -> tuple[int, float]:
        try:
            d = json.loads((self.data_dir / self.FLOOR_FILE).read_text())
            return int(d["version"]), float(d["issued_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0.0

    def _save_floor(self) -> None:
        _atomic_write(self.data_dir / self.FLOOR_FILE, json.dumps(
            {"version": self.floor_version, "issued_at": self.floor_issued_at}).encode())

    def _load_rejected(self) -> Rejected | None:
        try:
            d = json.loads((self.data_dir / self.REJECTED_FILE).read_text())
            return Rejected(d.get("version"), str(d.get("reason", ""))) if d else None
        except (OSError, ValueError, AttributeError):
            return None

    def _save_rejected(self) -> None:
        body = json.dumps(self.rejected.as_dict() if self.rejected else None).encode()
        _atomic_write(self.data_dir / self.REJECTED_FILE, body)


def _issued(doc: dict[str, Any]) -> float | None:
    """issued_at as unix seconds; None unless an ISO 8601 time with a zone."""
    text = doc.get("issued_at")
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.timestamp() if at.tzinfo is not None else None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write-then-rename with fsyncs: the file is always either the old or the new bytes."""
    tmp = path.with_name(path.name + ".tmp")
    # 0600: the config holds the station's maintenance PIN hash, for the kiosk user only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when a stale .tmp of another mode was left behind
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
