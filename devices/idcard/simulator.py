"""A SAM ID card reader on a real pseudo-terminal, for the demo, tests and benchmarks.

Two parts: `ReaderModel` is what a module answers (pure: `answer(frame) -> bytes` for
find/select/read/SAM commands, the card that is "on" it, SAM and read faults, a baud switch);
`ReaderSimulator` puts a model behind a real pseudo-terminal or a TCP socket, moves the bytes
and can misbehave on the wire on request (garbage, bad checksums, split or slow replies,
silence, a different baud rate). The driver opens a symlink; `unplug()` closes the pty and
removes the link, so to the driver the device vanishes exactly as a USB adapter does, and
`replug()` makes a fresh pty and swaps the link in atomically.

Photos are fictional noise (with frame-like byte runs in them to stress parsers), never WLT.
"""

from __future__ import annotations

import collections
import json
import os
import random
import select
import shutil
import socket
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


_Target = tuple[int, int] | None  # the (CMD, PARA) a fault is aimed at; None: any command


class ReaderModel:
    """What a SAM module answers, with no I/O: `answer(frame)` takes the bytes of one command
    frame and returns the reply frame's bytes. It holds the card laid on the reader, the SAM's
    health and the read faults (READ_FAIL); faults of the wire are the simulator's business.
    Thread-safe: the serving thread answers while a test places cards."""

    def __init__(
        self,
        cards: Iterable[IdentityCard] = (),
        *,
        baudrate: int = 115200,
        find_fails_after_read: bool = False,
        seed: int = 0,
    ) -> None:
        self.cards = list(cards)
        self.baudrate = baudrate  # switched by SET_BAUD_* (after the reply, like a module)
        # Some modules answer 'no card' to find once a card has been read and stays put.
        self.find_fails_after_read = find_fails_after_read
        self.sam_broken = False  # SAM fails and a reset does not help
        self.received: collections.Counter[tuple[int, int]] = collections.Counter()
        self.photo = fake_photo(seed)
        self._lock = threading.Lock()
        self._card: bytes | None = None  # text block of the card on the reader
        self._selected = False
        self._read_done = False
        self._sam_fault = False
        self._read_faults: list[_Target] = []

    # --- the card and the SAM ---------------------------------------------------------------
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

    def fail_sam(self) -> None:
        """The SAM starts failing (60) until it is reset; see also `sam_broken`."""
        with self._lock:
            self._sam_fault = True

    def fail_reads(self, times: int = 1, on: _Target = None) -> None:
        """The next `times` reads (of command `on`, or any) answer 41."""
        with self._lock:
            self._read_faults.extend([on] * times)

    @property
    def pending_faults(self) -> int:
        return len(self._read_faults)

    def power_cycle(self) -> None:
        """Unplugged: a selection does not survive it (the card stays where it lies)."""
        with self._lock:
            self._selected = False

    # --- answers --------------------------------------------------------------------------
    def answer(self, frame: bytes) -> bytes:
        """The reply to the bytes of one command frame (b"" for bytes holding no frame).
        A frame that arrives damaged gets the module's 10 (checksum) or 11 (length) reply."""
        parser = p.FrameParser()
        return b"".join(self.reply(event) for event in parser.feed(frame) + parser.flush())

    def reply(self, event: p.Event) -> bytes:
        """The reply to one event of a FrameParser reading the command stream."""
        if isinstance(event, p.Frame):
            return self._reply(event)
        if isinstance(event, p.ChecksumMismatch):
            return p.build_response(p.Status.CHECKSUM_ERROR)
        if isinstance(event, p.BadLength):
            return p.build_response(p.Status.LENGTH_ERROR)
        return b""  # garbage between frames, a frame cut short: a module says nothing

    def _reply(self, frame: p.Frame) -> bytes:
        S, C = p.Status, p.Command
        self.received[frame.command] += 1
        cmd = C.of(frame)
        with self._lock:
            if cmd is C.RESET_SAM:
                self._sam_fault = False
                self._selected = False
                return p.build_response(S.SAM_SELF_TEST_FAILED if self.sam_broken else S.OK)
            if (self._sam_fault or self.sam_broken) and cmd in _NEED_SAM:
                return p.build_response(S.SAM_SELF_TEST_FAILED)
            if cmd is C.SAM_STATUS:
                return p.build_response(S.OK)
            if cmd is C.READ_SAM_ID:
                return p.build_response(S.OK, bytes(range(16)))
            if cmd is C.FIND_CARD:
                if self._card is None or (self.find_fails_after_read and self._read_done):
                    return p.build_response(S.NO_CARD)
                return p.build_response(S.FIND_OK, b"\0\0\0\0")
            if cmd is C.SELECT_CARD:
                if self._card is None:
                    return p.build_response(S.SELECT_FAILED)
                self._selected = True
                return p.build_response(S.OK, bytes(8))
            if cmd in (C.READ_TEXT_PHOTO, C.READ_TEXT_PHOTO_FP):
                if self._card is None or not self._selected or self._take_read_fault(frame.command):
                    return p.build_response(S.READ_FAILED)
                self._read_done = True
                fingerprint = bytes(512) if cmd is C.READ_TEXT_PHOTO_FP else None
                return p.build_read_response(self._card, self.photo, fingerprint)
            if cmd is C.READ_APPENDED_ADDRESS:
                return p.build_response(S.NO_CONTENT)
            if cmd in p.SET_BAUD:
                self.baudrate = p.SET_BAUD[cmd]  # the I/O has the reply still to send at the old speed
                return p.build_response(S.OK)
            return p.build_response(S.COMMAND_ERROR)

    def _take_read_fault(self, command: tuple[int, int]) -> bool:
        for i, on in enumerate(self._read_faults):
            if on in (None, command):
                del self._read_faults[i]
                return True
        return False


_NEED_SAM = frozenset({
    p.Command.SAM_STATUS, p.Command.READ_SAM_ID, p.Command.FIND_CARD, p.Command.SELECT_CARD,
    p.Command.READ_TEXT_PHOTO, p.Command.READ_APPENDED_ADDRESS, p.Command.READ_TEXT_PHOTO_FP,
})


class ReaderSimulator:
    """A `ReaderModel` behind a real port: a pseudo-terminal (default; `path` is a symlink to
    it) or, with `tcp=True`, a TCP listener on 127.0.0.1 (`path` is a `socket://` URL, what a
    ser2net-style serial server looks like to pyserial). `start()` returns the port to open;
    then `place()`/`remove()` cards, `inject()` faults, `unplug()`/`replug()` the device,
    `stop()` at the end. This part only moves bytes and applies the wire faults."""

    def __init__(
        self,
        cards: Iterable[IdentityCard] = (),
        *,
        baudrate: int = 115200,
        slow_s: float = 0.3,
        find_fails_after_read: bool = False,
        link_path: str | os.PathLike[str] | None = None,
        seed: int = 0,
        tcp: bool = False,
    ) -> None:
        self.model = ReaderModel(cards, baudrate=baudrate, find_fails_after_read=find_fails_after_read, seed=seed)
        self.slow_s = slow_s
        self.tcp = tcp
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: list[tuple[Fault, _Target]] = []
        self._own_dir: str | None = None
        self._link = Path(link_path) if link_path else None
        self._tcp_port = 0  # kept across unplug/replug, as a serial server keeps its port
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        self._running = False

    # --- the model's face (what tests and the demo use) ----------------------------------
    @property
    def cards(self) -> list[IdentityCard]:
        return self.model.cards

    @property
    def baudrate(self) -> int:
        return self.model.baudrate

    @property
    def received(self) -> collections.Counter[tuple[int, int]]:
        return self.model.received

    @property
    def sam_broken(self) -> bool:
        return self.model.sam_broken

    @sam_broken.setter
    def sam_broken(self, value: bool) -> None:
        self.model.sam_broken = value

    def place(self, card: IdentityCard | bytes | int = 0) -> None:
        self.model.place(card)

    def remove(self) -> None:
        self.model.remove()

    @property
    def card_present(self) -> bool:
        return self.model.card_present

    def fail_sam(self) -> None:
        self.model.fail_sam()

    def inject(self, fault: Fault, times: int = 1, on: _Target = None) -> None:
        """Apply `fault` to the next `times` replies, or only to replies to command `on`
        (CMD, PARA), e.g. (0x30, 0x01) for the 1295-byte read."""
        if fault is Fault.READ_FAIL:
            self.model.fail_reads(times, on)
            return
        with self._lock:
            self._faults.extend([(fault, on)] * times)

    @property
    def pending_faults(self) -> int:
        return len(self._faults) + self.model.pending_faults

    def _take_fault(self, cmd: tuple[int, int]) -> Fault | None:
        with self._lock:
            for i, (fault, on) in enumerate(self._faults):
                if on in (None, cmd):
                    del self._faults[i]
                    return fault
        return None

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def path(self) -> str:
        if self.tcp:
            if not self._tcp_port:
                raise RuntimeError("simulator not started")
            return f"socket://127.0.0.1:{self._tcp_port}"
        if self._link is None:
            raise RuntimeError("simulator not started")
        return str(self._link)

    @property
    def plugged(self) -> bool:
        return self._running

    def start(self) -> str:
        if self._link is None and not self.tcp:
            self._own_dir = tempfile.mkdtemp(prefix="idcard-sim-")
            self._link = Path(self._own_dir) / "reader"
        self._plug()
        return self.path

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
        """The device vanishes: link removed and pty closed (reads on the driver side fail), or
        the TCP listener and connection closed."""
        if not self._running:
            return
        if self._link is not None and not self.tcp:
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
        for sock in (self._conn, self._listener):
            if sock is not None:
                sock.close()
        self._conn = self._listener = None
        self._master = self._slave = self._wake_r = self._wake_w = -1
        self.model.power_cycle()

    def replug(self) -> str:
        """A new pty appears under the same path (like udev re-creating /dev/idcard), or the
        listener comes back on the same TCP port."""
        self.unplug()
        self._plug()
        return self.path

    def _plug(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        if self.tcp:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self._tcp_port))
            listener.listen(1)
            self._tcp_port = listener.getsockname()[1]
            self._listener = listener
        else:
            self._plug_pty()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()

    def _plug_pty(self) -> None:
        assert self._link is not None
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass untouched
        _set_speed(self._slave, self.baudrate)
        os.set_blocking(self._master, False)
        tmp = self._link.with_name(self._link.name + ".new")
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self._link)  # atomic swap: the path never points at a dead pty

    # --- serving: bytes in, the model's replies out -----------------------------------------
    def _serve(self) -> None:
        parser = p.FrameParser()
        listener = self._listener
        while self._running:
            data_fd = self._conn.fileno() if self._conn is not None else self._master
            watch = [fd for fd in (data_fd, self._wake_r) if fd >= 0]
            if listener is not None:
                watch.append(listener.fileno())
            try:
                ready, _, _ = select.select(watch, [], [], 1.0)
            except (OSError, ValueError):
                return
            if self._wake_r in ready or not self._running:
                return
            if listener is not None and listener.fileno() in ready:
                self._accept(listener)
                parser.reset()
                continue
            if data_fd < 0 or data_fd not in ready:
                continue
            try:
                data = os.read(data_fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                if self._conn is None:
                    return
                data = b""
            if not data:
                if self._conn is not None:  # the driver hung up: wait for the next one
                    self._conn.close()
                    self._conn = None
                    parser.reset()
                continue
            if not self._speed_matches():
                # A UART at the wrong speed hears and says noise.
                self._write(data_fd, self._rng.randbytes(len(data)))
                parser.reset()
                continue
            for event in parser.feed(data):
                reply = self.model.reply(event)
                if reply:
                    cmd = event.command if isinstance(event, p.Frame) else (-1, -1)
                    self._send(data_fd, reply, cmd)

    def _accept(self, listener: socket.socket) -> None:
        """One driver at a time, like a serial server: a new connection replaces the old."""
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._conn is not None:
            self._conn.close()
        self._conn = conn

    def _speed_matches(self) -> bool:
        if self._slave < 0:
            return True  # a socket has no line speed
        try:
            attrs = termios.tcgetattr(self._slave)
        except (termios.error, OSError):
            return True
        return _SPEEDS.get(attrs[5]) in (None, self.baudrate)

    def _send(self, fd: int, reply: bytes, cmd: tuple[int, int]) -> None:
        fault = self._take_fault(cmd)
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
