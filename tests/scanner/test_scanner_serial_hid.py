"""Serial scanner over a real pty, the line framer, and the HID keyboard-wedge classifier."""

from __future__ import annotations

import socket
import threading
import time

from devices.base import DeviceState
from devices.scanner.hid import HidScanDetector
from devices.scanner.serial import LineFramer, SerialScanner, decode_line
from devices.scanner.simulator import SerialScannerSimulator
from tests import waiting

_wait = waiting.wait_for

# --- framing (pure) -----------------------------------------------------------------------
def test_framer_splits_on_cr_lf_and_crlf_across_chunks():
    f = LineFramer()
    assert f.feed(b"job:qh-00") == []
    assert f.feed(b"01\r\nseeker:abc\rthird\n\n\r") == [b"job:qh-0001", b"seeker:abc", b"third"]


def test_framer_drops_overlong_line_whole_and_recovers():
    f = LineFramer(max_len=8)
    assert f.feed(b"123456789012\r\nok\r\n") == [b"ok"]
    assert f.dropped == 1


def test_decode_line_utf8_then_gbk():
    assert decode_line("零工".encode()) == "零工"
    assert decode_line("零工驿站".encode("gbk")) == "零工驿站"
    assert decode_line(b"\xff\xfe\xfd") != ""  # never raises


# --- driver on a real pty ------------------------------------------------------------------
def test_serial_scanner_delivers_lines_on_driver_thread_and_reports_unplug():
    sim = SerialScannerSimulator()
    got: list[tuple[str, str, str]] = []
    scanner = SerialScanner(sim.port, 9600, lambda c: got.append((c.text, c.format, threading.current_thread().name)))
    scanner.start()
    try:
        assert _wait(lambda: scanner.status.state == DeviceState.OK)
        sim.scan("job:qh-0001")
        sim.send("零工驿站".encode("gbk") + b"\r")  # GBK-mode scanner, CR only
        sim.send(b"https://jobs.exa")  # one code split across USB packets
        time.sleep(0.05)
        sim.send(b"mple.gov.cn/j/qh-0002\n")
        assert _wait(lambda: len(got) == 3)
        assert [g[0] for g in got] == ["job:qh-0001", "零工驿站", "https://jobs.example.gov.cn/j/qh-0002"]
        assert {g[1] for g in got} == {"serial"} and {g[2] for g in got} == {"dev-serial-scanner"}
        sim.unplug()
        assert _wait(lambda: scanner.status.state == DeviceState.NO_DEVICE)
    finally:
        scanner.stop()
        sim.close()


def test_serial_scanner_missing_port_is_no_device():
    scanner = SerialScanner("/dev/does-not-exist-scanner", 9600, lambda c: None)
    scanner.start()
    try:
        assert _wait(lambda: scanner.status.state == DeviceState.NO_DEVICE)
    finally:
        scanner.stop()


def test_serial_scanner_behind_a_serial_server_socket_url():
    # A scanner on a networked serial server (ser2net, raw TCP): the port is a socket:// URL.
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    got: list[str] = []
    scanner = SerialScanner(f"socket://127.0.0.1:{server.getsockname()[1]}", 9600, lambda c: got.append(c.text))
    opened: list[DeviceState] = []
    scanner.status_changed.connect(lambda s: opened.append(s.state) if s.state == DeviceState.OK else None)
    scanner.start()
    try:
        conn, _ = server.accept()
        assert _wait(lambda: scanner.status.state == DeviceState.OK)
        conn.sendall(b"job:qh-00")
        time.sleep(0.05)
        conn.sendall(b"01\r\n" + "零工驿站".encode("gbk") + b"\r")
        assert _wait(lambda: got == ["job:qh-0001", "零工驿站"])
        conn.close()  # the server drops the line: reconnect, as after an unplug
        conn, _ = server.accept()
        # pyserial's socket:// open discards what arrived before it finished (a clean start):
        # send once the driver has reopened, as a scan after the reconnect would come.
        assert _wait(lambda: len(opened) == 2)
        conn.sendall(b"seeker:abc\n")
        assert _wait(lambda: got[-1:] == ["seeker:abc"])
        conn.close()
    finally:
        scanner.stop()
        server.close()


def test_serial_scanner_loop_url_reads_what_is_written_to_the_line():
    # loop:// is pyserial's loopback: what goes out on the line comes back as a scan.
    got: list[str] = []
    scanner = SerialScanner("loop://", 9600, lambda c: got.append(c.text))
    scanner.start()
    try:
        assert _wait(lambda: scanner.status.state == DeviceState.OK)
        assert scanner._ser is not None
        scanner._ser.write(b"job:qh-0002\r\n")
        assert _wait(lambda: got == ["job:qh-0002"])
    finally:
        scanner.stop()


def test_serial_scanner_bad_url_is_no_device():
    scanner = SerialScanner("nosuchscheme://x", 9600, lambda c: None)
    scanner.start()
    try:
        assert _wait(lambda: scanner.status.state == DeviceState.NO_DEVICE)
        assert "nosuchscheme" in scanner.status.detail
    finally:
        scanner.stop()


# --- HID keyboard wedge (pure) -----------------------------------------------------------
class Hid:
    def __init__(self) -> None:
        self.scans: list[str] = []
        self.keys: list[str] = []
        self.det = HidScanDetector(self.scans.append, self.keys.append)

    def type(self, text: str, t0: float, gap: float, enter: bool = True) -> float:
        t = t0
        for ch in text:
            self.det.feed(ch, t)
            t += gap
        if enter:
            self.det.feed("enter", t)
        return t


def test_fast_burst_with_enter_is_a_scan_and_leaks_no_keys():
    h = Hid()
    h.type("job:qh-0001", 10.0, 0.004)
    assert h.scans == ["job:qh-0001"] and h.keys == []


def test_slow_typing_is_released_as_keys_in_order():
    h = Hid()
    t = h.type("1234", 10.0, 0.18)
    h.det.poll(t + 1)
    assert h.scans == [] and h.keys == ["1", "2", "3", "4", "enter"]


def test_fast_burst_without_enter_is_released_on_poll():
    h = Hid()
    t = h.type("aaaaaa", 5.0, 0.03, enter=False)  # e.g. key auto-repeat
    h.det.poll(t + 0.01)
    assert h.keys == []  # may still be a scan in progress
    h.det.poll(t + 0.2)
    assert h.keys == list("aaaaaa") and h.scans == []


def test_short_fast_burst_is_not_a_scan():
    h = Hid()
    h.type("12", 1.0, 0.005)
    assert h.scans == [] and h.keys == ["1", "2", "enter"]


def test_human_key_then_scan_then_special_key():
    h = Hid()
    h.det.feed("7", 1.0)
    h.type("seeker:ABCDEFGHIJKLMNOP", 2.0, 0.01)
    h.det.feed("backspace", 3.0)
    assert h.scans == ["seeker:ABCDEFGHIJKLMNOP"]
    assert h.keys == ["7", "backspace"]


def test_ui_frame_batching_jitter_still_a_scan():
    # a 60 fps UI loop delivers keys in clumps: gaps of 0 and ~16 ms
    h = Hid()
    t = 50.0
    for i, ch in enumerate("https://jobs.example.gov.cn/j/qh-0001"):
        h.det.feed(ch, t)
        t += 0.0167 if i % 4 == 3 else 0.0
    h.det.feed("\r", t + 0.0167)
    assert h.scans == ["https://jobs.example.gov.cn/j/qh-0001"]
