"""Opening a serial line by device path or pyserial URL.

`serial.serial_for_url` takes a plain path (`/dev/ttyUSB0`, a udev symlink) as well as
pyserial's URL handlers: `socket://HOST:PORT` (a serial server such as ser2net, raw TCP),
`rfc2217://HOST:PORT` (a serial server that also carries line settings such as the baud rate),
`loop://` (a loopback, for tests). Settings keep one `port` string either way.
"""

from __future__ import annotations

import os

import serial


def is_url(port: str) -> bool:
    """True for a pyserial URL (`scheme://...`), False for a device path."""
    return "://" in port


def port_present(port: str) -> bool:
    """Whether the device node exists. A URL has no node to look at: opening it tells."""
    return is_url(port) or os.path.exists(port)


def open_port(port: str, baudrate: int, *, timeout: float, write_timeout: float | None = None) -> serial.SerialBase:
    """An open serial line (pyserial raises SerialException / ValueError if it cannot be)."""
    if port.startswith("rfc2217://"):
        write_timeout = None  # pyserial's RFC 2217 client refuses one (NotImplementedError)
    return serial.serial_for_url(port, baudrate=baudrate, timeout=timeout, write_timeout=write_timeout)
