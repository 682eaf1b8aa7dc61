"""Printer status from real-time replies (pure): DLE EOT n = 1..4, process-ID and clear replies.

DLE EOT replies are one byte with fixed bits 0 (=0), 1 (=1), 4 (=1), 7 (=0) — Epson ESC/POS
reference "DLE EOT". Anything else is not a status byte — except on kiosk modules with a
slip sensor (Cashino KP-628E), where n=1 bit 7 means "slip not taken" (`slip_sensor`).
No reply means *unknown*: unlike python-escpos' `paper_status()` we never turn silence into
"paper adequate".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DLE_EOT = b"\x10\x04"
# DLE DC4 fn=8 with its fixed key "1 3 20 1 6 2 8": clear receive and print buffers.
CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"
PID_HEADER, PID_IDENT, CLEAR_IDENT = 0x37, 0x22, 0x25
INFO_HEADER = 0x5F  # GS I n=65..69 answer: `5F data NUL` (Epson "GS I", printer information B)
INFO_MAX = 80  # longer than any model name: a 5F without its NUL this soon was noise
# What GS I n asks (Epson ESC/POS reference): model name, maker, firmware version, fonts.
INFO_REQUESTS = {"model": 67, "maker": 66, "firmware": 65, "fonts": 69}


def status_query(n: int) -> bytes:
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n must be 1..4")
    return DLE_EOT + bytes([n])


def process_id_request(pid: str) -> bytes:
    """GS ( H fn=48: the printer answers `37 22 pid NUL` once everything before it is printed."""
    raw = pid.encode("ascii")
    if len(raw) != 4 or not all(0x20 <= c <= 0x7E for c in raw):
        raise ValueError("process id is 4 printable ASCII characters")
    return b"\x1d(H\x06\x00\x30\x30" + raw


def info_request(n: int) -> bytes:
    """GS I n (n = 65..69: the answer is text between 5F and NUL)."""
    if not 65 <= n <= 69:
        raise ValueError("GS I n must be 65..69 here")
    return b"\x1dI" + bytes([n])


def is_status_byte(b: int, slip_sensor: bool = False) -> bool:
    return b & (0x13 if slip_sensor else 0x93) == 0x12


class Problem(StrEnum):
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"
    NOT_RESPONDING = "not_responding"
    NO_PRINTER = "no_printer"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """Merged answer to DLE EOT 1..4. `known` is False when the printer said nothing."""

    known: bool
    online: bool = False
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False
    error: bool = False
    recoverable_error: bool = False
    cutter_error: bool = False
    feeding: bool = False  # paper being fed with the FEED button
    slip_waiting: bool = False  # kiosk presenter: the last slip is still in the mouth
    answered: tuple[int, ...] = ()  # which n replied

    @property
    def problem(self) -> Problem | None:
        """What stops printing, most actionable first; None when it can print."""
        if not self.known:
            return Problem.NOT_RESPONDING
        if self.cover_open:
            return Problem.COVER_OPEN
        if self.paper_end:
            return Problem.PAPER_OUT
        if self.error or self.cutter_error or self.recoverable_error:
            return Problem.ERROR
        if not self.online:
            return Problem.OFFLINE
        return None  # a slip waiting in the mouth does not stop the next one

    @property
    def ready(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """Short English text for maintainers and the heartbeat."""
        if not self.known:
            return "no answer to DLE EOT"
        flags = [
            name
            for name, on in (
                ("offline", not self.online),
                ("cover open", self.cover_open),
                ("paper end", self.paper_end),
                ("paper near end", self.paper_near_end),
                ("error", self.error),
                ("recoverable error", self.recoverable_error),
                ("cutter error", self.cutter_error),
                ("slip waiting in the mouth", self.slip_waiting),
            )
            if on
        ]
        return ", ".join(flags) or "ready"


UNKNOWN = PrinterStatus(known=False)


def parse_status(replies: dict[int, int], slip_sensor: bool = False) -> PrinterStatus:
    """Merge DLE EOT replies {n: byte}. Missing n=1 (the basic status) means unknown; bytes
    that break the fixed-bit pattern are ignored as noise. `slip_sensor`: n=1 bit 7 is the
    presenter's slip-not-taken bit."""
    got = {n: b for n, b in replies.items()
           if n in (1, 2, 3, 4) and is_status_byte(b, slip_sensor and n == 1)}
    if 1 not in got:
        return UNKNOWN
    s1, s2, s3, s4 = got.get(1, 0x12), got.get(2, 0x12), got.get(3, 0x12), got.get(4, 0x12)
    return PrinterStatus(
        known=True,
        online=not s1 & 0x08,
        cover_open=bool(s2 & 0x04),
        feeding=bool(s2 & 0x08),
        # n=2 bit 5 "printing stopped by paper end" or n=4 bits 5+6 "roll paper end"
        paper_end=bool(s2 & 0x20) or s4 & 0x60 == 0x60,
        error=bool(s2 & 0x40) or bool(s3 & 0x20),
        cutter_error=bool(s3 & 0x08),
        recoverable_error=bool(s3 & 0x40),
        paper_near_end=s4 & 0x0C == 0x0C,
        slip_waiting=slip_sensor and bool(s1 & 0x80),
        answered=tuple(sorted(got)),
    )


def encode_status(
    n: int,
    *,
    offline: bool = False,
    cover_open: bool = False,
    paper_end: bool = False,
    paper_near_end: bool = False,
    error: bool = False,
    slip_waiting: bool = False,
) -> int:
    """The byte a printer in this state answers to DLE EOT n (used by the simulator)."""
    b = 0x12
    if n == 1:
        b |= (0x08 if offline else 0) | (0x80 if slip_waiting else 0)
    elif n == 2:
        b |= (0x04 if cover_open else 0) | (0x20 if paper_end else 0) | (0x40 if error else 0)
    elif n == 3 and error:
        b |= 0x20
    elif n == 4:
        b |= (0x0C if paper_near_end else 0) | (0x60 if paper_end else 0)
    return b


class ReplyReader:
    """Splits the printer's reply stream into status bytes, process-ID and clear responses."""

    def __init__(self, slip_sensor: bool = False) -> None:
        self.slip_sensor = slip_sensor
        self._buf = bytearray()
        self.statuses: list[int] = []
        self.process_ids: set[str] = set()
        self.cleared = 0
        self.infos: list[str] = []  # GS I text answers, printable ASCII only

    def feed(self, data: bytes) -> None:
        self._buf += data
        buf = self._buf
        while buf:
            b = buf[0]
            if b == PID_HEADER:
                if len(buf) < 2:
                    return
                if buf[1] == PID_IDENT:
                    if len(buf) < 7:
                        return
                    self.process_ids.add(bytes(buf[2:6]).decode("ascii", "replace"))
                    del buf[:7]
                    continue
                if buf[1] == CLEAR_IDENT:
                    if len(buf) < 3:
                        return
                    self.cleared += 1
                    del buf[:3]
                    continue
            if b == INFO_HEADER:
                end = buf.find(0, 1, INFO_MAX + 1)
                if end < 0 and len(buf) <= INFO_MAX:
                    return  # the rest of the answer is still on its way
                if end > 0:
                    raw = bytes(buf[1:end]).decode("ascii", "replace")
                    self.infos.append("".join(c for c in raw if c.isprintable() and c.isascii()).strip())
                    del buf[:end + 1]
                    continue
            if is_status_byte(b, self.slip_sensor):
                self.statuses.append(b)
            del buf[:1]  # a status byte, or noise we skip

    def take_status(self) -> int | None:
        return self.statuses.pop(0) if self.statuses else None
