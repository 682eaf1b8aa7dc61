"""The provisioned station's session as it boots, on this machine: the real `kiosk` user runs
deploy/session/kiosk-session on an X server (Xvfb), then the app exactly as gig-kiosk.service
says (ExecStart, Environment, User, WorkingDirectory read from the installed unit), with a real
NOTIFY_SOCKET; READY=1 and WATCHDOG=1 arrive and the attract screen is on the display."""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageGrab

from tests.deploy.conftest import args_for, provision

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates the kiosk user and runs as it"),
]
SHOT = os.environ.get("GIG_PROVISION_SHOT")  # where to keep the screenshot (docs/provisioned-attract.png)


def _kiosk_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("kiosk")
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash",
                        "--groups", "dialout,lp,video", "kiosk"], check=True)
        return pwd.getpwnam("kiosk")


@pytest.fixture
def world() -> Iterator[Path]:
    """A folder the kiosk user can reach (pytest's tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="gig-provision-", dir="/var/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    # No -auth: local clients are let in by the host list, like the station's X (started by
    # xinit without a cookie); kiosk-session then admits the kiosk user explicitly.
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1080x1920x24",
                             "-nolisten", "tcp", "-noreset"],  # -noreset as gig-kiosk-x.service
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        assert chunk, "Xvfb did not start"
        number += chunk
    os.close(read)
    return proc, ":" + number.decode().strip()


def _as_kiosk(env: dict[str, str], *cmd: str) -> list[str]:
    return ["runuser", "-u", "kiosk", "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *cmd]


def _unit(path: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def _wait_for(condition, what: str, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_kiosk_user_session_shows_the_attract_screen(world: Path, inputs: dict[str, Path]) -> None:
    user = _kiosk_user()
    root = world / "root"
    data = root / "var/lib/gig-kiosk"
    inputs["config"].write_text(f"""
[station]
id = "lake-market"
name = "湖县集市驿站"
name_en = "Lake Market"
[storage]
data_dir = "{data}"
[ui]
voice = false
[devices.idcard]
enabled = false
[devices.scanner]
camera = "/dev/gig-no-such-camera"
[devices.printer]
connection = "file"
file = "{data / 'printer.bin'}"
""", encoding="utf-8")
    root.mkdir(mode=0o755)
    proc = provision(*args_for(inputs), "--root", root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # With the user present, ownership is applied as on a station.
    etc = root / "etc/gig-kiosk"
    assert ((etc / "station.token").stat().st_uid, (etc / "station.toml").stat().st_gid) == (user.pw_uid, user.pw_gid)
    # What systemd does for the service: StateDirectory, LoadCredential.
    data.mkdir(parents=True)
    for d in (root / "var", root / "var/lib"):
        d.chmod(0o755)
    os.chown(data, user.pw_uid, user.pw_gid)
    creds = world / "credentials"
    creds.mkdir(mode=0o700)
    shutil.copy(etc / "outbox.key", creds / "outbox.key")
    for p in (creds, creds / "outbox.key"):
        os.chown(p, user.pw_uid, user.pw_gid)

    xvfb, display = _xvfb()
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": user.pw_dir, "USER": "kiosk",
                "LOGNAME": "kiosk", "DISPLAY": display}
    _wait_for(lambda: subprocess.run(_as_kiosk(base_env, "xset", "q"), capture_output=True).returncode == 0,
              "the kiosk user cannot reach the X server")  # xinit starts its client only then too
    session = subprocess.Popen(_as_kiosk(base_env, str(root / "usr/local/lib/gig-kiosk/kiosk-session")),
                               start_new_session=True)
    app = None
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        # kiosk-session has run: no screen saver, no blanking, as the kiosk user sees it.
        # (Xvfb has no DPMS extension; on the station's Xorg `xset -dpms` turns it off.)
        def blanking_off() -> bool:
            q = subprocess.run(_as_kiosk(base_env, "xset", "q"), capture_output=True, text=True).stdout
            dpms_ok = "DPMS is Disabled" in q or "does not have the DPMS Extension" in q
            return bool(re.search(r"prefer blanking:\s+no", q) and re.search(r"timeout:\s+0\s", q) and dpms_ok)

        _wait_for(blanking_off, "kiosk-session did not turn the screen saver off")

        # Its last step admits the kiosk user's service; the xset lines before it may have been
        # all the session had done when the screen saver was seen off, so wait for this one too.
        def kiosk_admitted() -> bool:
            xhost = subprocess.run(["xhost"], env={"DISPLAY": display}, capture_output=True, text=True).stdout
            return "SI:localuser:kiosk" in xhost

        _wait_for(kiosk_admitted, "kiosk-session did not let the kiosk user's service into X")

        unit = _unit(root / "etc/systemd/system/gig-kiosk.service")
        assert unit["User"] == ["kiosk"] and unit["Type"] == ["notify"]

        def here(value: str) -> str:  # the station's absolute paths, inside the provisioned tree
            return re.sub(r"(?<![\w/])/(opt|etc|var)/", lambda m: f"{root}/{m.group(1)}/", value)

        env = base_env | dict(e.split("=", 1) for e in map(here, unit["Environment"]))
        env["DISPLAY"] = display  # the unit says :0, the station's only display
        notify.bind(str(world / "notify"))
        os.chmod(world / "notify", 0o777)
        notify.settimeout(120)
        env |= {"NOTIFY_SOCKET": str(world / "notify"), "CREDENTIALS_DIRECTORY": str(creds),
                "WATCHDOG_USEC": str(int(unit["WatchdogSec"][0]) * 1_000_000)}
        app = subprocess.Popen(_as_kiosk(env, *here(unit["ExecStart"][0]).split()), start_new_session=True,
                               cwd=here(unit["WorkingDirectory"][0]), stderr=subprocess.PIPE, text=True)
        assert notify.recv(64) == b"READY=1"
        assert notify.recv(64) == b"WATCHDOG=1"
        time.sleep(2)  # the services start in the frames after the first
        assert app.poll() is None
        shot = ImageGrab.grab(xdisplay=display)
        assert shot.size == (1080, 1920)  # full screen, as the station's UI settings say
        colors = shot.convert("RGB").getcolors(1 << 20) or []
        assert len(colors) > 100  # the attract screen is drawn (a blank screen has one colour)
        shot.save(world / "attract.png")
        if SHOT:
            shutil.copy(world / "attract.png", SHOT)
        assert (data / "cache.db").exists()  # written by the kiosk user's app
        assert (data / "cache.db").stat().st_uid == user.pw_uid
    finally:
        notify.close()
        if app is not None:
            _stop(app)
        _stop(session)
        xvfb.terminate()
        xvfb.wait()
    if app is not None:
        assert "Traceback" not in (app.stderr.read() if app.stderr else "")
