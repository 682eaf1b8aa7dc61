"""`gig-kiosk doctor`: check each configured device and the central API, print a table.

Headless (no window): a maintainer runs it over SSH, a provisioning script or a monitor reads
its exit status: 0 only when every configured device and the API check pass, 1 when any fails,
2 for a bad config file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from screens.commands.common import load_settings_or_exit

# A warning (e.g. paper near end) still works; "off" is the API when none is configured.
# Anything else — no_device, error, unknown, still starting — fails the check.
PASSING = frozenset({"ok", "warning", "off"})

EPILOG = (
    "exit status: 0 when every configured device and the central API check pass "
    "(ok or warning; no [api] base_url counts as off, not failed), 1 when any of them fails "
    "(missing, error, no answer), 2 for a bad config file"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument("--config", type=Path, help="station TOML (default: built-in defaults)")
    parser.add_argument("--wait", type=float, default=4.0, help="seconds to give each device")


def run(args: argparse.Namespace) -> int:
    from kiosk.settings import Settings

    settings = load_settings_or_exit(args.config) if args.config else Settings()
    from screens.production import build_services

    services = build_services(settings)
    rows: list[tuple[str, str, str]] = []
    devices = services.devices()
    for device in devices.values():
        device.start()
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline and any(d.status.state == "starting" for d in devices.values()):
        time.sleep(0.1)
    time.sleep(min(1.0, args.wait))  # let a first poll/status query happen
    for name, device in devices.items():
        rows.append((name, device.status.state.value, device.status.detail))
        device.stop()
    rows.append(("central API", *_check_api(settings)))
    width = max(len(r[0]) for r in rows)
    for name, state, detail in rows:
        print(f"{name:<{width}}  {state:<10}  {detail}")
    return 0 if all(state in PASSING for _, state, _ in rows) else 1


def _check_api(settings: object) -> tuple[str, str]:
    api = settings.api
    if not api.base_url:
        return "off", "no [api] base_url configured"
    import requests

    url = f"{api.base_url.rstrip('/')}/v1/stations/{settings.station.id}/config"
    try:
        token = api.resolved_token()
        r = requests.get(url, headers={"Authorization": f"Bearer {token}"},
                         timeout=(api.connect_timeout_s, api.read_timeout_s))
    except OSError as exc:
        return "error", f"cannot read token or connect: {type(exc).__name__}"
    except requests.RequestException as exc:
        return "no_device", f"unreachable: {type(exc).__name__}"
    if r.status_code == 200:
        return "ok", f"config version {r.json().get('version')}"
    return "error", f"HTTP {r.status_code}"
