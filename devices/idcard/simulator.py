"""A SAM ID card reader on a real pseudo-terminal, for the demo, tests and benchmarks.

It speaks the same wire protocol as a reader module (protocol.py): it parses command frames,
answers find/select/read/SAM commands for the card that is "on" it, and can misbehave on
request (garbage, bad checksums, split or slow replies, silence, SAM and read faults, a
different baud rate). The driver opens a symlink; `unplug()` closes the pty and removes the
link, so to the driver the device vanishes exactly as a USB adapter does, and `replug()` makes
a fresh pty and swaps the link in atomically.

Photos are fictional noise (with frame-like byte runs in them to stress parsers), never WLT.
"""

from __future__ import annotations

import collections
import json
import os
import random
import select
import shutil
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from devices.idcard import protocol as p
from kiosk.identity import IdentityCard

DEMO_CARDS = Path(__file__).resolve().parents[2] / "assets" / "demo" / "cards.json"

_SPEEDS = {getattr(termios, f"B{b}"): b for b in (9600, 19200, 38400, 57600, 115200) if hasattr(termios, f"B{b}")}


def load_cards(path: Path | str = DEMO_CARDS) -> dict[str, IdentityCard]:
    """label -> card from a cards.json file (fictional people)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return {c["label"]: IdentityCard.from_dict(c) for c in doc["cards"]}


def fake_photo(seed: int = 0) -> bytes:
    """1024 bytes of noise standing in for a WLT photo, with preambles and a whole bogus
    frame inside so that parsers which trust a preamble get caught."""
    rng = random.Random(seed)
    photo = bytearray(rng.randbytes(p.PHOTO_LEN))
    bogus = p.build_response(p.Status.FIND_OK, b"\0\0\0\0")
    photo[100 : 100 + len(bogus)] = bogus
    photo[400:405] = p.PREAMBLE
    photo[700:707] = p.PREAMBLE + b"\x00\x04"
    return bytes(photo)


class Fault(StrEnum):
    GARBAGE = "garbage"  # random bytes before the reply
    BAD_CHECKSUM = "bad_checksum"  # reply with a wrong CHK byte
    SPLIT = "split"  # reply written in small pieces with pauses
    SLOW = "slow"  # reply delayed by `slow_s`
    SILENT = "silent"  # no reply at all
    READ_FAIL = "read_fail"  # read answers 41 (card moved, RF trouble)


class ReaderSimulator:
    """Simulated reader. `start()` returns the path to open; then `place()`/`remove()` cards,
    `inject()` faults, `unplug()`/`replug()` the device, `stop()` at the end."""

    def __init__(
        self,
        cards: Iterable[IdentityCard] = (),
        *,
        baudrate: int = 115200,
        slow_s: float = 0.3,
        find_fails_after_read: bool = False,
        link_path: str | os.PathLike[str] | None = None,
        seed: int = 0,
    ) -> None:
        self.cards = list(cards)
        self.baudrate = baudrate
        self.slow_s = slow_s
        # Some modules answer 'no card' to find once a card has been read and stays put.
        self.find_fails_after_read = find_fails_after_read
        self.sam_broken = False  # SAM fails and a reset does not help
        self.received: collections.Counter[tuple[int, int]] = collections.Counter()
        self._rng = random.Random(seed)
        self._photo = fake_photo(seed)
        self._lock = threading.Lock()
        self._card: bytes | None = None  # text block of the card on the reader
        self._selected = False
        self._read_done = False
        self._sam_fault = False
        self._faults: list[tuple[Fault, tuple[int, int] | None]] = []
        self._own_dir: str | None = None
        self._link = Path(link_path) if link_path else None
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        self._running = False
        self._pending_baud: int | None = None

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def path(self) -> str:
        if self._link is None:
            raise RuntimeError("simulator not started")
        return str(self._link)

    @property
    def plugged(self) -> bool:
        return self._running

    def start(self) -> str:
        if self._link is None:
            self._own_dir = tempfile.mkdtemp(prefix="idcard-sim-")
            self._link = Path(self._own_dir) / "reader"
        self._plug()
        return str(self._link)

    def stop(self) -> None:
        self.unplug()
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> ReaderSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """The device vanishes: link removed, pty closed (reads on the driver side fail)."""
        if not self._running:
            return
        assert self._link is not None
        try:
            self._link.unlink()
        except FileNotFoundError:
            pass
        self._running = False
        os.write(self._wake_w, b"x")
        if self._thread:
            self._thread.join(5)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = self._wake_r = self._wake_w = -1
        with self._lock:
            self._selected = False

    def replug(self) -> str:
        """A new pty appears under the same path (like udev re-creating /dev/idcard)."""
        self.unplug()
        self._plug()
        return self.path

    def _plug(self) -> None:
        assert self._link is not None
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass untouched
        _set_speed(self._slave, self.baudrate)
        os.set_blocking(self._master, False)
        self._wake_r, self._wake_w = os.pipe()
        tmp = self._link.with_name(self._link.name + ".new")
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self._link)  # atomic swap: the path never points at a dead pty
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()

    # --- the card and faults ------------------------------------------------------------
    def place(self, card: IdentityCard | bytes | int = 0) -> None:
        """Lay a card on the reader: an IdentityCard, an index into `cards`, or a raw 256-byte
        text block (to test unknown types and damaged content)."""
        if isinstance(card, int):
            card = self.cards[card]
        block = card if isinstance(card, bytes) else p.encode_text_block(card)
        if len(block) != p.TEXT_LEN:
            raise ValueError("a text block is 256 bytes")
        with self._lock:
            self._card, self._selected, self._read_done = block, False, False

    def remove(self) -> None:
        with self._lock:
            self._card, self._selected, self._read_done = None, False, False

    @property
    def card_present(self) -> bool:
        return self._card is not None

    def inject(self, fault: Fault, times: int = 1, on: tuple[int, int] | None = None) -> None:
        """Apply `fault` to the next `times` replies, or only to replies to command `on`
        (CMD, PARA), e.g. (0x30, 0x01) for the 1295-byte read."""
        with self._lock:
            self._faults.extend([(fault, on)] * times)

    def _take_fault(self, cmd: tuple[int, int], read_fail: bool) -> Fault | None:
        for i, (fault, on) in enumerate(self._faults):
            if (fault is Fault.READ_FAIL) == read_fail and on in (None, cmd):
                del self._faults[i]
                return fault
        return None

    def fail_sam(self) -> None:
        """The SAM starts failing (60) until it is reset; see also `sam_broken`."""
        with self._lock:
            self._sam_fault = True

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    # --- serving ------------------------------------------------------------------------
    def _serve(self) -> None:
        parser = p.FrameParser()
        master, wake = self._master, self._wake_r
        while self._running:
            try:
                ready, _, _ = select.select([master, wake], [], [], 1.0)
            except (OSError, ValueError):
                return
            if wake in ready or not self._running:
                return
            if master not in ready:
                continue
            try:
                data = os.read(master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not data:
                continue
            if not self._speed_matches():
                # A UART at the wrong speed hears and says noise.
                self._write(master, self._rng.randbytes(len(data)))
                parser.reset()
                continue
            for event in parser.feed(data):
                if isinstance(event, p.Frame):
                    reply = self._answer(event)
                    cmd = event.command
                elif isinstance(event, p.ChecksumMismatch):
                    reply, cmd = p.build_response(p.Status.CHECKSUM_ERROR), (-1, -1)
                elif isinstance(event, p.BadLength):
                    reply, cmd = p.build_response(p.Status.LENGTH_ERROR), (-1, -1)
                else:
                    continue
                self._send(master, reply, cmd)

    def _speed_matches(self) -> bool:
        try:
            attrs = termios.tcgetattr(self._slave)
        except (termios.error, OSError):
            return True
        return _SPEEDS.get(attrs[5]) in (None, self.baudrate)

    def _answer(self, frame: p.Frame) -> bytes:
        cmd = frame.command
        self.received[cmd] += 1
        S = p.Status
        with self._lock:
            sam_bad = self._sam_fault or self.sam_broken
            if cmd == (0x10, 0xFF):  # reset SAM
                self._sam_fault = False
                self._selected = False
                return p.build_response(S.SAM_SELF_TEST_FAILED if self.sam_broken else S.OK)
            if sam_bad and cmd[0] in (0x11, 0x12, 0x20, 0x30):
                return p.build_response(S.SAM_SELF_TEST_FAILED)
            if cmd == (0x11, 0xFF):
                return p.build_response(S.OK)
            if cmd == (0x12, 0xFF):
                return p.build_response(S.OK, bytes(range(16)))
            if cmd == (0x20, 0x01):
                if self._card is None or (self.find_fails_after_read and self._read_done):
                    return p.build_response(S.NO_CARD)
                return p.build_response(S.FIND_OK, b"\0\0\0\0")
            if cmd == (0x20, 0x02):
                if self._card is None:
                    return p.build_response(S.SELECT_FAILED)
                self._selected = True
                return p.build_response(S.OK, bytes(8))
            if cmd[0] == 0x30 and cmd[1] in (0x01, 0x10):
                if self._card is None or not self._selected:
                    return p.build_response(S.READ_FAILED)
                if self._take_fault(cmd, read_fail=True):
                    return p.build_response(S.READ_FAILED)
                self._read_done = True
                fp = bytes(512) if cmd[1] == 0x10 else None
                return p.build_read_response(self._card, self._photo, fp)
            if cmd == (0x30, 0x03):
                return p.build_response(S.NO_CONTENT)
            if cmd[0] == 0x60 and cmd[1] in p.BAUD_COMMANDS.values():
                # Answer at the old speed, then switch (as modules do).
                self._pending_baud = {v: k for k, v in p.BAUD_COMMANDS.items()}[cmd[1]]
                return p.build_response(S.OK)
            return p.build_response(S.COMMAND_ERROR)

    def _send(self, fd: int, reply: bytes, cmd: tuple[int, int]) -> None:
        with self._lock:
            fault = self._take_fault(cmd, read_fail=False)
        if fault is Fault.SILENT:
            return
        if fault is Fault.SLOW:
            time.sleep(self.slow_s)
        if fault is Fault.GARBAGE:
            junk = self._rng.randbytes(self._rng.randint(1, 40)).replace(p.PREAMBLE[:1], b"\x00")
            self._write(fd, junk)
        if fault is Fault.BAD_CHECKSUM:
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        if fault is Fault.SPLIT:
            pos = 0
            while pos < len(reply) and self._running:
                n = self._rng.randint(1, 64)
                self._write(fd, reply[pos : pos + n])
                pos += n
                time.sleep(0.002)
        else:
            self._write(fd, reply)
        if self._pending_baud:
            self.baudrate, self._pending_baud = self._pending_baud, None

    def _write(self, fd: int, data: bytes) -> None:
        """Write everything unless the other side stops reading for a while (then drop the rest,
        as a UART overrun would)."""
        view = memoryview(data)
        deadline = time.monotonic() + 1.0
        while view and self._running:
            try:
                n = os.write(fd, view)
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                select.select([], [fd], [], 0.05)
            except OSError:
                return


def _set_speed(fd: int, baudrate: int) -> None:
    """Start the pty at the reader's speed, as a USB adapter comes up at its default."""
    code = getattr(termios, f"B{baudrate}", None)
    if code is None:
        return
    attrs = termios.tcgetattr(fd)
    attrs[4] = attrs[5] = code
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
