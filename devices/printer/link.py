"""The wire to the printer: python-escpos connections (USB, serial, network, file) from
PrinterSettings, with chunked writes and reads that time out instead of blocking.

python-escpos reads with the connection's own timeout (60 s on a socket, none on USB); a
status poll needs a short one, so `read()` sets it per call on the underlying object.
"""

from __future__ import annotations

from typing import Any

from escpos.exceptions import DeviceNotFoundError

from devices.base import DeviceGone
from devices.printer.escpos_loader import escpos_printer
from kiosk.settings import PrinterSettings

CHUNK = 4096  # long USB bulk writes time out on some printers (Errno 110): send in pieces


class Link:
    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.printer: Any = None

    @property
    def can_read(self) -> bool:
        """A file (e.g. /dev/usb/lp0 opened write-only) never answers: status stays unknown."""
        return self.settings.connection != "file"

    @property
    def describe(self) -> str:
        s = self.settings
        return {
            "usb": f"usb {s.usb_vendor:04x}:{s.usb_product:04x}",
            "serial": f"serial {s.serial_port} @{s.serial_baudrate}",
            "network": f"network {s.host}:{s.port}",
            "file": f"file {s.file}",
        }[s.connection]

    def open(self) -> None:
        s = self.settings
        self.close()
        escpos = escpos_printer()
        try:
            if s.connection == "network":
                self.printer = escpos.Network(s.host, s.port, timeout=5, profile=s.profile)
            elif s.connection == "serial":
                self.printer = escpos.Serial(s.serial_port, s.serial_baudrate, timeout=1, dsrdtr=True, profile=s.profile)
            elif s.connection == "usb":
                self.printer = escpos.Usb(s.usb_vendor, s.usb_product, timeout=5000, in_ep=s.usb_in_ep,
                                   out_ep=s.usb_out_ep, profile=s.profile)
            else:
                if not s.file:
                    raise DeviceGone("printer.file is not set")
                self.printer = escpos.File(str(s.file), profile=s.profile)
            self.printer.open()
        except DeviceNotFoundError as exc:
            self.printer = None
            raise DeviceGone(str(exc).splitlines()[0]) from None
        except Exception as exc:  # USB backend missing, permission denied, ...
            self.printer = None
            if isinstance(exc, OSError | DeviceGone):
                raise
            raise DeviceGone(f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        if self.printer is not None:
            try:
                self.printer.close()
            except Exception:  # closing a vanished device must not raise
                pass
            self.printer = None

    def write(self, data: bytes) -> None:
        if self.printer is None:
            raise DeviceGone("not open")
        for i in range(0, len(data), CHUNK):
            self.printer._raw(data[i : i + CHUNK])

    def read(self, timeout: float) -> bytes:
        """Whatever the printer sent within `timeout` seconds (b"" if nothing)."""
        if self.printer is None:
            raise DeviceGone("not open")
        if not self.can_read:
            return b""
        dev = self.printer.device
        kind = self.settings.connection
        if kind == "network":
            dev.settimeout(timeout)
            try:
                data = dev.recv(256)
            except TimeoutError:
                return b""
            if not data:
                raise DeviceGone("printer closed the connection")
            return data
        if kind == "serial":
            dev.timeout = timeout
            first = dev.read(1)  # read(n) would wait the whole timeout for n bytes
            return first + dev.read(dev.in_waiting) if first else b""
        try:  # usb
            return bytes(dev.read(self.settings.usb_in_ep, 256, int(timeout * 1000)))
        except Exception as exc:
            if "timeout" in str(exc).lower() or getattr(exc, "errno", None) == 110:
                return b""
            raise

