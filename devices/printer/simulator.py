"""A simulated ESC/POS receipt printer on a TCP port (like a 9100 network printer) or a pty.

It speaks the real wire protocol: bytes are split into commands (escpos_stream); real-time
commands are answered at once (DLE EOT n=1..4 with the current state, DLE DC4 fn=8 clears the
buffers and answers `37 25 00`); everything else goes through a print buffer that a
"print head" thread consumes — at `print_rate` bytes/s when slow — and only while paper is
in, the cover shut and the printer online. GS ( H fn=48 is answered when the head reaches
it, i.e. after everything before it is on paper.

Printer families (`PrinterSimulator.family("xprinter-xp58")`, FAMILIES): no QR command, a
GBK-only or GB2312-only font, 0x80-0x9F as single bytes, no status answers, no GS ( H or
DLE DC4 8, no cutter (the slip is torn off once the head stops), the kiosk slip-not-taken bit.
`emulation` tells the preview how such a printer draws the bytes it got.

`paper_left` (bytes of printing before the roll runs out) lets a test run out of paper in the
middle of a slip deterministically. `printed` holds the slips that came out whole (from a
cut to the next cut, with no paper change or buffer clear in between); `spoiled` the rest.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from devices.printer.escpos_stream import Token, next_token
from devices.printer.preview import Emulation
from devices.printer.status import encode_status

_NO_PAPER_OPS = ("GS ( H", "GS I")  # commands that put nothing on paper


@dataclass
class SimState:
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    offline: bool = False
    error: bool = False
    silent: bool = False  # answers nothing (powered off, status unsupported, wrong port)
    print_rate: float | None = None  # bytes per second; None = instant
    reply_delay_s: float = 0.0
    paper_left: int | None = None  # bytes until the roll ends; None = endless
    slip_waiting: bool = False  # kiosk module: DLE EOT 1 bit 7 (slip not taken from the mouth)
    # Firmware of the family (see FAMILIES):
    charset: str = "gb18030"  # what the font decodes
    c1_single: bool = False  # 0x80-0x9F are single-byte characters
    qr_native: bool = True  # GS ( k understood (else its data prints as text)
    process_id: bool = True  # GS ( H answered
    clear_buffer: bool = True  # DLE DC4 fn=8 understood and answered
    cutter: bool = True  # False: tear bar; a slip is done when the head has stopped a while
    tear_after_s: float = 0.3
    info: dict[int, str] | None = None  # GS I n -> text answer (`5F text NUL`); None: no GS I


# GS I n=65..69 answers of an Epson TM-T88V (model, maker, firmware, fonts). The command and
# its `5F ... NUL` form are Epson's ESC/POS reference; the firmware and font strings are
# illustrative, not captured from a unit. Families without a source for GS I stay silent.
_EPSON_INFO = {67: "TM-T88V", 66: "EPSON", 65: "30.01 ESC/POS", 69: "CHINA GB18030"}

# How each family's firmware behaves (sources: kiosk/printer_models.toml, issue 21). Where
# no source names the font, the worst case (GB2312 only) is simulated.
FAMILIES: dict[str, dict[str, object]] = {
    "generic": {},
    "epson-tm-t88": {"info": _EPSON_INFO},
    "epson-tm-t88iii": {"qr_native": False, "process_id": False, "clear_buffer": False},
    "epson-tm-t82": {"process_id": False, "clear_buffer": False, "info": {**_EPSON_INFO, 67: "TM-T82"}},
    "xprinter-xp58": {"qr_native": False, "silent": True, "cutter": False, "charset": "gb2312",
                      "process_id": False, "clear_buffer": False},
    "xprinter-xp80": {"qr_native": False, "charset": "gb2312", "process_id": False, "clear_buffer": False},
    "gprinter": {"qr_native": False, "charset": "gb2312", "process_id": False, "clear_buffer": False},
    "hprt": {"charset": "gb2312", "process_id": False, "clear_buffer": False},
    "rongta-rp": {"charset": "gb2312", "process_id": False, "clear_buffer": False},
    "rongta-02n": {"silent": True, "charset": "gb2312", "process_id": False, "clear_buffer": False},
    "sprt-sp": {"charset": "gb2312", "process_id": False, "clear_buffer": False},
    "sprt-pos76ii": {"charset": "gb2312", "c1_single": True, "process_id": False, "clear_buffer": False},
    "cashino-kp628e": {"charset": "gbk", "process_id": False, "clear_buffer": False},
}


class PrinterSimulator:
    def __init__(self, **state: object) -> None:
        self.state = SimState()
        self._cond = threading.Condition()
        self._rx = bytearray()
        self._queue: deque[Token] = deque()
        self._received = bytearray()
        self._slip = bytearray()
        self._slip_spoiled = False
        self.printed: list[bytes] = []
        self.spoiled: list[bytes] = []
        self.status_queries = 0
        self._send_lock = threading.Lock()
        self._send: Callable[[bytes], object] | None = None  # where replies go (current connection)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._pty: tuple[int, int] | None = None
        self.set_state(**state)

    @classmethod
    def family(cls, key: str, **state: object) -> PrinterSimulator:
        """A printer behaving like that family (FAMILIES), with extra state on top."""
        return cls(**{**FAMILIES[key], **state})

    @property
    def emulation(self) -> Emulation:
        """How this printer draws bytes, for `preview.render_preview(..., emulation=...)`."""
        s = self.state
        return Emulation(s.charset, s.c1_single, s.qr_native)

    # --- control -----------------------------------------------------------------------
    def set_state(self, **changes: object) -> None:
        """E.g. set_state(paper_out=True), set_state(cover_open=False), set_state(print_rate=2000).
        Refilling (paper_out=False) also gives an endless roll unless paper_left is given."""
        with self._cond:
            for key, value in changes.items():
                if not hasattr(self.state, key):
                    raise TypeError(f"unknown printer state {key!r}")
                setattr(self.state, key, value)
            if changes.get("paper_out") is False and "paper_left" not in changes:
                self.state.paper_left = None
            self._cond.notify_all()

    @property
    def received(self) -> bytes:
        with self._cond:
            return bytes(self._received)

    def forget(self) -> int:
        """Drop the record of everything received, printed and spoiled so far (counts start
        again from 0); returns the bytes dropped. The record is for tests: a soak or a demo
        left running all day would otherwise keep every slip (~tens of KB each) in memory."""
        with self._cond:
            dropped = len(self._received) + sum(map(len, self.printed)) + sum(map(len, self.spoiled))
            self._received.clear()
            self.printed.clear()
            self.spoiled.clear()
            return dropped

    def wait_printed(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.printed) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # --- transports --------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on TCP (port 0: ephemeral); one client at a time, like a 9100 printer."""
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self._spawn(self._accept_loop, "sim-accept")
        self._spawn(self._head_loop, "sim-head")
        return self._server.getsockname()[:2]

    def start_pty(self) -> str:
        """Open a pseudo-terminal; returns the path a serial driver opens."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no newline translation: bytes pass as on a real line
        self._pty = (master, slave)
        self._send = lambda data: os.write(master, data)
        self._spawn(self._pty_loop, "sim-pty")
        self._spawn(self._head_loop, "sim-head")
        return os.ttyname(slave)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for sock in (self._conn, self._server):
            if sock:
                try:
                    sock.close()
                except OSError:
                    pass
        for t in self._threads:
            t.join(2)
        if self._pty:
            for fd in self._pty:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def __enter__(self) -> PrinterSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _accept_loop(self) -> None:
        assert self._server
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            self._conn = conn
            self._send = conn.sendall
            with self._cond:
                self._rx.clear()  # a new connection starts a fresh command stream
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                self.feed(data)
            conn.close()

    def _pty_loop(self) -> None:
        assert self._pty
        master = self._pty[0]
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if data:
                self.feed(data)

    def _reply(self, data: bytes) -> None:
        send = self._send
        if send is None:
            return
        try:
            with self._send_lock:
                send(data)
        except OSError:
            pass

    # --- the printer -------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes arriving on the interface."""
        replies: list[bytes] = []
        with self._cond:
            self._received += data
            self._rx += data
            pos = 0
            while True:
                got = next_token(self._rx, pos)
                if got is None:
                    break
                tok, pos = got
                reply = self._realtime(tok)
                if reply is None:
                    self._queue.append(tok)
                elif reply:
                    replies.append(reply)
            del self._rx[:pos]
            self._cond.notify_all()
            delay, silent = self.state.reply_delay_s, self.state.silent
        if replies and not silent:
            if delay:
                time.sleep(delay)
            self._reply(b"".join(replies))

    def _realtime(self, tok: Token) -> bytes | None:
        """Reply for a real-time command (b"" if none is due); None for buffered commands."""
        s = self.state
        if tok.op == "DLE EOT":
            self.status_queries += 1
            stopped = s.paper_out or s.cover_open or s.error
            return bytes([encode_status(
                tok.args[0], offline=s.offline or stopped, cover_open=s.cover_open,
                paper_end=s.paper_out, paper_near_end=s.paper_near_end or s.paper_out, error=s.error,
                slip_waiting=s.slip_waiting,
            )]) if tok.args[0] in (1, 2, 3, 4) else b""
        if tok.op == "DLE DC4" and tok.args[0] == 8 and s.clear_buffer:
            self._queue.clear()
            if self._slip:  # what got onto paper so far is waste; the next slip starts clean
                self.spoiled.append(bytes(self._slip))
                self._slip.clear()
            self._slip_spoiled = False
            return b"\x37\x25\x00"
        if tok.op in ("DLE DC4", "DLE ENQ"):
            return b""
        return None

    def _can_print(self) -> bool:
        s = self.state
        return not (s.paper_out or s.cover_open or s.offline or s.error)

    def _head_loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._stop.is_set() and not (self._queue and self._can_print()):
                    if not self._cond.wait(min(0.2, self.state.tear_after_s)) and self._slip \
                            and not self.state.cutter and not self._queue:
                        self._tear_off()  # no cutter: the seeker tears the slip off the bar
                if self._stop.is_set():
                    return
                tok = self._queue[0]
                rate = self.state.print_rate
            if rate:  # slow printing: take the time outside the lock, then re-check
                self._stop.wait(len(tok.raw) / rate)
            with self._cond:
                if not self._queue or self._queue[0] is not tok or not self._can_print():
                    continue  # cleared or stopped meanwhile
                self._queue.popleft()
                reply = self._print(tok)
                self._cond.notify_all()
            if reply and not self.state.silent:
                self._reply(reply)

    def _tear_off(self) -> None:
        (self.spoiled if self._slip_spoiled else self.printed).append(bytes(self._slip))
        self._slip.clear()
        self._slip_spoiled = False
        self._cond.notify_all()

    def _print(self, tok: Token) -> bytes:
        s = self.state
        if tok.op == "GS ( H":
            if tok.data[:2] == b"00" and s.process_id:
                return b"\x37\x22" + tok.data[2:6] + b"\x00"
            return b""
        if tok.op == "GS I":  # answered in turn, like GS ( H: after what came before it
            text = (s.info or {}).get(tok.args[0])
            return b"_" + text.encode("ascii") + b"\x00" if text else b""
        if tok.op.startswith("DLE"):
            return b""
        self._slip += tok.raw
        if s.paper_left is not None and tok.op not in _NO_PAPER_OPS:
            s.paper_left -= len(tok.raw)
            if s.paper_left <= 0:
                s.paper_out = True  # the roll ended during this command
                self._slip_spoiled = True
        if tok.op == "GS V" and s.cutter:
            self._tear_off()
        return b""
