"""systemd's notify protocol (sd_notify(3)): one datagram per message to $NOTIFY_SOCKET.

Written here (~30 lines) rather than taken from a library: the protocol is a single sendto on
an AF_UNIX datagram socket, and the kept libraries (systemd-python) need libsystemd headers to
build. Everything is a no-op when the kiosk does not run under a Type=notify unit.
"""

from __future__ import annotations

import os
import socket


def enabled_address() -> str | None:
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path or path[0] not in "/@":
        return None
    return "\0" + path[1:] if path[0] == "@" else path  # '@' names an abstract socket


def notify(message: str) -> bool:
    """Send e.g. "READY=1" or "WATCHDOG=1"; False when there is no socket or it is gone."""
    address = enabled_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode("utf-8"), address)
    except OSError:
        return False  # systemd restarting or the socket removed: the watchdog will tell
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec, as sd_watchdog_enabled(3)
    advises), or None when the unit has no watchdog or it is meant for another process."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6
