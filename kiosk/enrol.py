"""`gig-kiosk enrol --config station.toml CODE`: a new kiosk exchanges its one-time enrolment
code for its station token, once.

Then: the token goes to [api] token_file (mode 0600, outside data_dir, written atomically);
the county public key that came with it is pinned in data_dir (kiosk.remote_config uses a
pinned key when the TOML names none), so no key has to be typed; one sync cycle runs.

Enrolment is refused over anything but HTTPS, except to a loopback address with
--allow-http (tests, the demo). Output: one JSON object; exit 2 for a refused code or a
settings problem (the server's reason on stderr), 1 when the API cannot be reached.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk import settings as settings_mod

EXIT_REFUSED = 2
EXIT_OFFLINE = 1


class EnrolError(Exception):
    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="station TOML file")
    parser.add_argument("code", help="enrolment code from the county admin page, e.g. ABCD-EFGH-JKMN")
    parser.add_argument("--allow-http", action="store_true",
                        help="allow plain HTTP to a loopback address (tests and the demo only)")
    parser.add_argument("--no-sync", action="store_true", help="do not run a sync after enrolling")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(base_url: str, allow_http: bool) -> None:
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http and is_loopback(parts.hostname or ""):
        return
    if parts.scheme == "http" and allow_http:
        raise EnrolError(f"--allow-http is only for a loopback address, not {parts.hostname}")
    raise EnrolError(f"[api] base_url must be https:// to enrol (got {parts.scheme or 'no'} scheme): "
                     "the token would travel in clear")


def token_path(settings: settings_mod.Settings) -> Path:
    path = settings.api.token_file
    if path is None:
        raise EnrolError("[api] token_file is not set: name the file the station token goes to, "
                         "e.g. token_file = \"/etc/gig-kiosk/token\"")
    data_dir = settings.storage.data_dir.resolve()
    if path.resolve().is_relative_to(data_dir):
        raise EnrolError(f"[api] token_file {path} is inside data_dir {settings.storage.data_dir}: "
                         "keep the token outside the data that may be copied for support")
    if settings.api.token:
        raise EnrolError("[api] token is set in the TOML as well as token_file: remove it")
    return path


def exchange(base_url: str, code: str, station_id: str, timeout: tuple[float, float]) -> dict[str, Any]:
    import requests

    try:
        r = requests.post(base_url.rstrip("/") + "/v1/enrol", json={"code": code, "station_id": station_id},
                          timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise EnrolError(f"cannot reach {base_url}: {type(exc).__name__}", EXIT_OFFLINE) from None
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code != 200:
        detail = body.get("detail") if isinstance(body, dict) else None
        reason = detail if isinstance(detail, str) else f"HTTP {r.status_code}"
        code_ = EXIT_OFFLINE if r.status_code >= 500 else EXIT_REFUSED
        raise EnrolError(f"enrolment refused ({r.status_code}): {reason}", code_)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) and body.get(k)
                                             for k in ("station_id", "token", "county", "public_key", "key_id")):
        raise EnrolError("the server's answer is not an enrolment (wrong base_url?)", EXIT_OFFLINE)
    return body


def write_secret(path: Path, text: str) -> None:
    """Write-then-rename, 0600 from the first byte, fsynced: never a half-written token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def pin_county_key(settings: settings_mod.Settings, county: str, public_key: str, key_id: str) -> None:
    """Pins the key the enrolment answer carried (authenticated by the one-time code over HTTPS):
    replaces any earlier pin, since a re-enrolled kiosk may have moved county."""
    from kiosk.remote_config import RemoteConfig, _atomic_write
    from kiosk.remote_config import key_id as compute_key_id

    try:
        raw = base64.b64decode(public_key, validate=True)
    except ValueError:
        raise EnrolError("the county public key in the answer is not base64", EXIT_OFFLINE) from None
    if len(raw) != 32 or compute_key_id(raw) != key_id:
        raise EnrolError("the county public key in the answer does not match its key id", EXIT_OFFLINE)
    data_dir = settings.storage.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(data_dir / RemoteConfig.PIN_FILE, json.dumps(
        {"county": county, "key_id": key_id, "public_key": public_key}).encode())


def enrol(settings: settings_mod.Settings, code: str, allow_http: bool = False) -> dict[str, Any]:
    if not settings.api.base_url:
        raise EnrolError("[api] base_url is not set: the county's API address is needed to enrol")
    check_url(settings.api.base_url, allow_http)
    path = token_path(settings)
    body = exchange(settings.api.base_url, code, settings.station.id,
                    (settings.api.connect_timeout_s, settings.api.read_timeout_s))
    if body["station_id"] != settings.station.id:
        raise EnrolError(f"the code enrolled station {body['station_id']!r} but this kiosk is "
                         f"{settings.station.id!r}: fix [station] id and ask for a new code")
    if settings.station.county and body["county"] != settings.station.county:
        raise EnrolError(f"the code is for county {body['county']!r}, the TOML says {settings.station.county!r}")
    write_secret(path, body["token"] + "\n")
    pin_county_key(settings, body["county"], body["public_key"], body["key_id"])
    return {"station_id": body["station_id"], "county": body["county"], "key_id": body["key_id"],
            "token_file": str(path)}


def sync_once(settings: settings_mod.Settings) -> dict[str, Any]:
    from kiosk.api import ApiError
    from kiosk.sync_cli import one_cycle

    try:
        return one_cycle(settings)
    except ApiError as exc:
        return {"error": f"{type(exc).__name__}: {exc.detail}"}


def run(args: argparse.Namespace) -> int:
    from kiosk.privacy import install_log_filter

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_filter()
    try:
        settings = settings_mod.load(args.config)
        out = enrol(settings, args.code, allow_http=args.allow_http)
    except settings_mod.SettingsError as exc:
        print(f"gig-kiosk enrol: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except EnrolError as exc:
        print(f"gig-kiosk enrol: {exc}", file=sys.stderr)
        return exc.code
    if not args.no_sync:
        out["sync"] = sync_once(settings)
    print(json.dumps(out, ensure_ascii=False))
    return 0
