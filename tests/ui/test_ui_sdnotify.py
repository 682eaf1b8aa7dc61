"""sd_notify from the real kiosk: READY=1 after the first frame, then WATCHDOG=1 heartbeats from
the Kivy main loop, received on a real unix datagram socket as systemd would."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import sdnotify
from tests.ui.conftest import with_display
from tests.ui.test_ui_startup import _station_toml

pytestmark = pytest.mark.ui


def _socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(90)
    return sock


def test_the_running_kiosk_says_ready_then_keeps_feeding_the_watchdog(tmp_path: Path) -> None:
    sock = _socket(tmp_path / "notify")
    env = os.environ | {"KIVY_NO_CONSOLELOG": "1"}
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(name, None)
    # Given to the kiosk only: Xvfb would say READY=1 on the same socket (xserver speaks sd_notify).
    notify_env = ["env", f"NOTIFY_SOCKET={tmp_path / 'notify'}", "WATCHDOG_USEC=600000"]
    cmd = with_display([*notify_env, sys.executable, "-m", "kiosk.cli", "run", "--config", str(_station_toml(tmp_path))])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # xvfb-run and its children are stopped together
    try:
        messages = [sock.recv(256).decode()]
        assert messages == ["READY=1"]
        start = time.monotonic()
        while len(messages) < 4:
            messages.append(sock.recv(256).decode())
        # three pings at WatchdogSec/2 = 0.3 s: they come from a Clock interval, not a burst
        assert messages[1:] == ["WATCHDOG=1"] * 3
        assert time.monotonic() - start >= 0.3
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        sock.close()
    assert "Traceback" not in err


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert sdnotify.watchdog_interval() is None


def test_abstract_socket_address(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"gig-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    assert sdnotify.notify("WATCHDOG=1") is True
    assert sock.recv(64) == b"WATCHDOG=1"
    sock.close()
