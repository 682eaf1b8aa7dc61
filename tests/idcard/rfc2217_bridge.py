"""A minimal RFC 2217 serial server on 127.0.0.1 in front of a device path (pyserial's own
PortManager, as in its rfc2217_server example): what a networked serial server looks like to
the driver, line settings (the baud rate) included."""

from __future__ import annotations

import contextlib
import socket
import threading

import serial
import serial.rfc2217


class _Connection:
    """What PortManager writes its Telnet answers to: the client socket, one writer at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock, contextlib.suppress(OSError):
            self.sock.sendall(data)


class _PtySerial(serial.Serial):
    """A pty has no modem lines: report them idle and ignore RTS/DTR/break instead of
    failing the ioctl (the client sets RTS and DTR when it opens)."""

    cts = dsr = ri = cd = False  # type: ignore[assignment]

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    def _update_break_state(self) -> None:
        pass


class Rfc2217Bridge:
    def __init__(self, device: str) -> None:
        self.device = device
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closers: list[object] = []

    @property
    def url(self) -> str:
        return f"rfc2217://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> Rfc2217Bridge:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for c in self._closers:
            with contextlib.suppress(Exception):
                c.close()  # type: ignore[attr-defined]
        for t in self._threads:
            t.join(3)

    def _spawn(self, target, *args) -> None:  # noqa: ANN001
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ser = _PtySerial(self.device, timeout=0.05)
            self._closers += [sock, ser]
            manager = serial.rfc2217.PortManager(ser, _Connection(sock))
            self._spawn(self._to_network, ser, sock, manager)
            self._spawn(self._to_serial, ser, sock, manager)

    def _to_network(self, ser: serial.Serial, sock: socket.socket, manager: serial.rfc2217.PortManager) -> None:
        while not self._stop.is_set():
            try:
                data = ser.read(ser.in_waiting or 1)
                if data:
                    sock.sendall(b"".join(manager.escape(data)))
            except (OSError, serial.SerialException, TypeError):
                return

    def _to_serial(self, ser: serial.Serial, sock: socket.socket, manager: serial.rfc2217.PortManager) -> None:
        while not self._stop.is_set():
            try:
                data = sock.recv(4096)
            except OSError:
                return
            if not data:
                return
            try:
                ser.write(b"".join(manager.filter(data)))
            except (OSError, serial.SerialException):
                return
