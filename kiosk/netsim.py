"""A TCP relay on 127.0.0.1 that simulates the network between the kiosk and the central API:
it forwards, or injects faults. Used by the sync tests and by the demo's "network off" button.

Modes (switchable at any time, also for open connections):
  pass       forward both ways
  refuse     accept, then close at once (the peer sees EOF before any answer)
  reset      accept, then abort with RST
  blackhole  half-open: accept and swallow the request, never answer, never close
  delay      forward, but hold every server->client chunk for `delay_s`
  cut        forward the request, then drop the server's answer and close (the server did
             the work; the client never learns it)
The upstream can be repointed (a restarted server on a new port) and open connections cut.
`requests` records every HTTP request whose head was passed on to the server (method, path,
Idempotency-Key; never bodies or tokens), so tests can count what reached it.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from typing import NamedTuple

REQUESTS_KEPT = 2_000


class Request(NamedTuple):
    method: str
    path: str
    idempotency_key: str


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.delay_s = 0.0
        self.connections = 0
        self.bytes_up = 0
        self.bytes_down = 0
        # The most recent requests that reached the server: what a test or a maintainer looks
        # at. Bounded low: the demo runs for weeks (100,000 were ~21 MB: ~210 bytes each).
        self.requests: deque[Request] = deque(maxlen=REQUESTS_KEPT)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str, delay_s: float = 0.0) -> None:
        assert mode in ("pass", "refuse", "reset", "blackhole", "delay", "cut"), mode
        self.mode, self.delay_s = mode, delay_s

    def cut_all(self) -> None:
        """Abort every open connection (a network flap)."""
        with self._lock:
            socks = list(self._open)
        for s in socks:
            _abort(s)

    def stop(self) -> None:
        self._stop.set()
        self.cut_all()
        self._listener.close()

    # --- internals ------------------------------------------------------------------------
    def _track(self, s: socket.socket, add: bool) -> None:
        with self._lock:
            (self._open.add if add else self._open.discard)(s)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        mode = self.mode
        if mode == "refuse":
            client.close()
            return
        if mode == "reset":
            _abort(client)
            return
        self._track(client, True)
        if mode == "blackhole":
            self._swallow(client)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=2)
        except OSError:
            self._track(client, False)
            _abort(client)  # server down: the kiosk sees a reset
            return
        upstream.settimeout(None)
        self._track(upstream, True)
        heads = _Heads(self.requests)
        threading.Thread(target=self._pump, args=(client, upstream, True, heads), daemon=True).start()
        self._pump(upstream, client, False)

    def _swallow(self, client: socket.socket) -> None:
        try:
            while not self._stop.is_set() and client.recv(65536):
                pass
        except OSError:
            pass
        self._track(client, False)
        client.close()

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool, heads: _Heads | None = None) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                mode = self.mode
                if mode == "blackhole":
                    continue  # swallow both ways: a half-open path
                if not up and mode == "cut":
                    break
                if not up and mode == "delay":
                    time.sleep(self.delay_s)
                dst.sendall(data)
                if up:
                    self.bytes_up += len(data)
                    if heads is not None:
                        heads.feed(data)
                else:
                    self.bytes_down += len(data)
        except OSError:
            pass
        for s in (src, dst):
            self._track(s, False)
            _abort(s) if (not up and self.mode == "cut") else _close(s)


class _Heads:
    """Finds the request heads in one connection's client->server bytes (HTTP/1.1 with
    Content-Length bodies, as the kiosk sends) and records each one once it is passed on."""

    def __init__(self, into: deque[Request]) -> None:
        self.into, self.buf, self.body_left = into, b"", 0

    def feed(self, data: bytes) -> None:
        self.buf += data
        while self.buf:
            if self.body_left:
                skip = min(self.body_left, len(self.buf))
                self.buf, self.body_left = self.buf[skip:], self.body_left - skip
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            first, *lines = head.split("\r\n")
            method, target = (first.split(" ") + [""])[:2]
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            self.body_left = int(fields.get("content-length") or 0)
            self.into.append(Request(method, target.split("?", 1)[0], fields.get("idempotency-key", "")))


def _abort(s: socket.socket) -> None:
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    _close(s)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
