"""Station settings: a TOML file validated by pydantic, with defaults for everything.

`load(path)` raises `SettingsError` with a one-line message naming the offending key;
the CLI prints it and exits 2. Remote configuration (kiosk.remote_config) overrides only an
allow-listed subset at run time and never rewrites this file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if TYPE_CHECKING:
    from kiosk.printer_models import PrinterModel


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StationSettings(_Section):
    id: str = "demo-park"
    name: str = "示范公园零工驿站"
    name_en: str = "Demo Park Gig Station"
    lat: float = Field(30.0, ge=-90, le=90)
    lng: float = Field(117.0, ge=-180, le=180)
    county: str = ""


class ApiSettings(_Section):
    base_url: str = ""  # empty: no central API (offline-only kiosk)
    token: str = ""
    token_file: Path | None = None
    # Public job page ({id} or {job_id}) for the QR on screen and on the slip, when the county's
    # station config sets no public_job_url; empty: the QR holds a readable job summary
    # (kiosk.jobcode). Its host's /j/<id> links open jobs when scanned (kiosk.codes).
    job_url: str = ""
    connect_timeout_s: float = Field(3.05, gt=0, le=60)
    read_timeout_s: float = Field(10.0, gt=0, le=300)
    # Whole request, body included (a dripping answer never trips read_timeout_s), and a
    # whole sync cycle (config, deltas, outbox): past it the cycle stops and retries later,
    # resuming from the last committed page.
    request_deadline_s: float = Field(60.0, gt=0, le=600)
    cycle_deadline_s: float = Field(300.0, gt=0, le=3600)

    def resolved_token(self) -> str:
        if self.token_file:
            return self.token_file.read_text(encoding="utf-8").strip()
        return self.token


class StorageSettings(_Section):
    data_dir: Path = Path("var")
    # AES key of the outbox (personal data waiting to be sent). Kept outside data_dir so a
    # copy of data_dir holds no key; created 0600 on first run. A systemd credential named
    # outbox.key ($CREDENTIALS_DIRECTORY) takes precedence (kiosk.outbox.key_path).
    outbox_key_file: Path = Path("/etc/gig-kiosk/outbox.key")

    @model_validator(mode="after")
    def _key_outside_data(self) -> StorageSettings:
        if self.outbox_key_file.resolve().is_relative_to(self.data_dir.resolve()):
            raise ValueError("outbox_key_file must be outside data_dir")
        return self


class IdCardSettings(_Section):
    enabled: bool = True
    port: str = "/dev/ttyUSB0"
    baudrate: int | Literal["auto"] = "auto"
    poll_interval_s: float = Field(0.3, ge=0.05, le=5)


class ScannerSettings(_Section):
    camera: int | str | None = 0  # OpenCV index or device path; None disables the camera
    serial_port: str | None = None
    serial_baudrate: int = 9600
    hid: bool = False  # keyboard-wedge scanner
    repeat_window_s: float = Field(3.0, ge=0, le=60)
    # hosts of the central job site whose https://HOST/j/<id> links open a job (kiosk.codes)
    job_hosts: list[str] = ["jobs.example.gov.cn"]

    @field_validator("camera", mode="before")
    @classmethod
    def _camera_false_disables(cls, value: object) -> object:
        # TOML has no null: `camera = false` is how a station without a camera says so
        # (left out, the default camera 0 is used). Without this, false became index 0.
        return None if value is False else value


class PrinterSettings(_Section):
    enabled: bool = True
    connection: Literal["usb", "serial", "network", "file"] = "usb"
    # Row of kiosk/printer_models.toml; the keys below the blank line override single
    # capabilities of it (None: as the model says).
    model: str = "generic"
    usb_vendor: int | None = None  # None: the model's id, else 0416:5011
    usb_product: int | None = None
    usb_in_ep: int | None = None  # None: read from the device descriptor
    usb_out_ep: int | None = None
    serial_port: str = "/dev/ttyS0"
    serial_baudrate: int = 9600
    host: str = "127.0.0.1"
    port: int = Field(9100, ge=1, le=65535)
    file: Path | None = None
    width_mm: Literal[58, 80] = 80
    profile: str = "default"
    kanji_mode_default: bool = True  # most Chinese printers start in Kanji mode
    max_job_age_s: float = Field(1800, ge=10)

    qr: Literal["native", "image"] | None = None
    charset: Literal["gb18030", "gbk", "gb2312"] | None = None
    c1_single: bool | None = None
    columns: int | None = Field(None, ge=16, le=80)
    dots: int | None = Field(None, ge=128, le=832)
    cut: Literal["full", "partial", "feed-cut", "none"] | None = None
    status: Literal["dle-eot", "none"] | None = None
    status_usb: bool | None = None
    slip_sensor: bool | None = None
    clear_buffer: bool | None = None
    process_id: bool | None = None

    @model_validator(mode="after")
    def _known_model(self) -> PrinterSettings:
        self.resolved()  # unknown model: ValueError naming it, at load time
        return self

    def resolved(self) -> PrinterModel:
        """The model's capabilities with this station's overrides applied (imported late:
        devices.printer imports this module)."""
        from kiosk.printer_models import CAPABILITY_KEYS, resolve

        overrides = {k: getattr(self, k) for k in CAPABILITY_KEYS if k != "kanji_mode_default"}
        return resolve(self.model, self.width_mm, kanji_mode_default=self.kanji_mode_default, **overrides)


class DevicesSettings(_Section):
    idcard: IdCardSettings = IdCardSettings()
    scanner: ScannerSettings = ScannerSettings()
    printer: PrinterSettings = PrinterSettings()


class UiSettings(_Section):
    language: Literal["zh", "en"] = "zh"
    elderly_mode: bool = False
    idle_timeout_s: int = Field(90, ge=15, le=1800)
    fullscreen: bool = True
    width: int = Field(1080, ge=320)
    height: int = Field(1920, ge=320)
    search_radius_km: float = Field(10.0, gt=0, le=200)
    voice: bool = True  # spoken prompts (espeak-ng); the remote config can switch them off
    voice_rate_wpm: int = Field(150, ge=80, le=300)


class SecuritySettings(_Section):
    # Ed25519 public keys (base64) of the county that signs remote configuration.
    trusted_config_keys: list[str] = []
    # Without trusted keys every remote config is rejected. Opt in to trusting the county key
    # the authenticated API serves on first contact (then pinned in data_dir); off by default.
    pin_config_key_on_first_use: bool = False
    maintenance_code_key: str = ""  # verifies signed maintenance QR codes


class UpdateSettings(_Section):
    """Signed updates (kiosk/update/): empty `root` = updates off (a development checkout)."""

    root: str = ""  # releases folder: <root>/releases/<version>/, <root>/current, state
    repository_url: str = ""  # the TUF repository, e.g. https://central.example/tuf/
    trusted_root: str = ""  # root.json pinned at provisioning (default <root>/root.json)
    usb_dir: str = ""  # a mounted stick holding the same repository (metadata/, targets/)
    idle_minutes: int = Field(15, ge=1, le=24 * 60)  # no touch for this long = may install
    health_deadline_s: int = Field(600, ge=30, le=24 * 3600)  # first frame + sync within
    restart_command: list[str] = []  # e.g. ["systemctl", "restart", "gig-kiosk"] after a switch


class Settings(_Section):
    station: StationSettings = StationSettings()
    api: ApiSettings = ApiSettings()
    storage: StorageSettings = StorageSettings()
    devices: DevicesSettings = DevicesSettings()
    ui: UiSettings = UiSettings()
    security: SecuritySettings = SecuritySettings()
    update: UpdateSettings = UpdateSettings()

    @model_validator(mode="after")
    def _token_needs_url(self) -> Settings:
        if (self.api.token or self.api.token_file) and not self.api.base_url:
            raise ValueError("api.base_url is required when a token is set")
        return self


class SettingsError(Exception):
    """One line, naming the key: shown to the maintainer as is."""


def load(path: Path | str) -> Settings:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {exc}") from None
    return from_dict(raw, source=str(path))


def from_dict(raw: dict, source: str = "settings") -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{source}: {key}: {msg}") from None
