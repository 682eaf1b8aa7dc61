"""Serial (or USB-CDC) barcode scanners that send each code as one CR- and/or LF-terminated line.

`LineFramer` is the pure protocol part (bytes in, payload texts out); `SerialScanner` is the
driver thread around pyserial. Callbacks run on the driver thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import serial as pyserial

from devices.base import Device, DeviceGone, DeviceState
from devices.scanner.camera import RepeatFilter
from devices.scanner.decode import Code
from devices.serialport import open_port
from kiosk.worker import Signal

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 4096  # a QR holds at most 2953 bytes; longer "lines" are line noise


def decode_line(raw: bytes) -> str:
    """Scanner bytes -> text. UTF-8 first; Chinese scanners in their default mode send GBK,
    which GB18030 (a superset) reads; anything else is kept with replacement marks."""
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


class LineFramer:
    """Splits a byte stream into lines on CR, LF or CRLF. Over-long lines are dropped whole
    (up to the next terminator), never cut into pieces that could be misread as codes."""

    def __init__(self, max_len: int = MAX_LINE_BYTES) -> None:
        self.max_len = max_len
        self._buf = bytearray()
        self._overflow = False
        self.dropped = 0  # over-long lines discarded

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        for b in data:
            if b in (0x0D, 0x0A):
                if self._overflow:
                    self.dropped += 1
                elif self._buf:
                    lines.append(bytes(self._buf))
                self._buf.clear()
                self._overflow = False
            elif not self._overflow:
                self._buf.append(b)
                if len(self._buf) > self.max_len:
                    self._buf.clear()
                    self._overflow = True
        return lines


class SerialScanner(Device):
    """A serial barcode scanner -> `scanned.emit(Code(text, "serial"))` on the driver thread."""

    name = "serial-scanner"

    def __init__(
        self,
        port: str,
        baudrate: int,
        on_code: Callable[[Code], None] | None = None,
        *,
        repeat_window_s: float = 0.0,
        max_len: int = MAX_LINE_BYTES,
    ) -> None:
        super().__init__()
        self.port, self.baudrate = port, baudrate
        self.scanned: Signal[[Code]] = Signal("serial-scanner.scanned", on_code)
        self._framer = LineFramer(max_len)
        self._repeat = RepeatFilter(repeat_window_s) if repeat_window_s > 0 else None
        self._ser: pyserial.SerialBase | None = None
        self.codes = 0

    def open(self) -> None:
        try:
            # short timeout so stop() is noticed quickly; the scanner talks only when it scans
            self._ser = open_port(self.port, self.baudrate, timeout=0.2)
        except (pyserial.SerialException, ValueError) as exc:
            raise DeviceGone(str(exc)) from None
        self._framer = LineFramer(self._framer.max_len)  # a half line from before is garbage
        self._set_status(DeviceState.OK, f"{self.baudrate} baud")

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:
                log.debug("serial close failed", exc_info=True)

    def step(self) -> None:
        assert self._ser is not None
        try:
            data = self._ser.read(max(1, self._ser.in_waiting))
        except (pyserial.SerialException, OSError) as exc:
            # pyserial reports a vanished USB device as "readiness to read but no data"
            raise DeviceGone(type(exc).__name__) from None
        if not data:
            return
        for raw in self._framer.feed(data):
            self._deliver(decode_line(raw).strip())

    def _deliver(self, text: str) -> None:
        if not text:
            return
        if self._repeat and not self._repeat.should_announce(text, time.monotonic()):
            return
        self.codes += 1
        self.scanned.emit(Code(text, "serial"))
