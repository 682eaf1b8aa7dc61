"""A simulated ESC/POS receipt printer on a TCP port (like a 9100 network printer) or a pty.

It speaks the real wire protocol: bytes are split into commands (escpos_stream); real-time
commands are answered at once (DLE EOT n=1..4 with the current state, DLE DC4 fn=8 clears the
buffers and answers `37 25 00`); everything else goes through a print buffer that a
"print head" thread consumes — at `print_rate` bytes/s when slow — and only while paper is
in, the cover shut and the printer online. GS ( H fn=48 is answered when the head reaches
it, i.e. after everything before it is on paper.

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
from dataclasses import dataclass

from devices.printer.escpos_stream import Token, next_token
from devices.printer.status import encode_status

_NO_PAPER_OPS = ("GS ( H",)  # commands that put nothing on paper


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
        self._send = None  # where replies go (current connection)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._pty: tuple[int, int] | None = None
        self.set_state(**state)

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
        if tok.op == "DLE DC4" and tok.args[0] == 8:
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
                    self._cond.wait(0.2)
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

    def _print(self, tok: Token) -> bytes:
        s = self.state
        if tok.op == "GS ( H":
            if tok.data[:2] == b"00":
                return b"\x37\x22" + tok.data[2:6] + b"\x00"
            return b""
        if tok.op.startswith("DLE"):
            return b""
        self._slip += tok.raw
        if s.paper_left is not None and tok.op not in _NO_PAPER_OPS:
            s.paper_left -= len(tok.raw)
            if s.paper_left <= 0:
                s.paper_out = True  # the roll ended during this command
                self._slip_spoiled = True
        if tok.op == "GS V":
            (self.spoiled if self._slip_spoiled else self.printed).append(bytes(self._slip))
            self._slip.clear()
            self._slip_spoiled = False
        return b""
