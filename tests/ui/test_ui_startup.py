"""`--smoke` start-ups in a real window: the first frame, and ready (services started and every device answered after it)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import with_display

pytestmark = pytest.mark.ui


def kiosk(*args: str, display: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kiosk.cli", *args]
    env = os.environ | {"KIVY_NO_CONSOLELOG": "1"}
    if not display:
        env.pop("DISPLAY", None)
    return subprocess.run(with_display(cmd) if display else cmd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_demo_smoke_draws_the_first_frame_and_exits_0(tmp_path: Path) -> None:
    proc = kiosk("demo", "--smoke", "--data-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    # Stopped on the first frame: the services (cache, devices) had not been built yet.
    assert not (tmp_path / "cache.db").exists()


def test_demo_smoke_ready_builds_and_starts_the_services(tmp_path: Path) -> None:
    proc = kiosk("demo", "--smoke", "ready", "--data-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "cache.db").exists()
    for device in ("idcard", "printer", "camera"):
        assert f"{device}: ok" in proc.stderr, device


def _station_toml(tmp_path: Path) -> Path:
    f = tmp_path / "station.toml"
    f.write_text(
        f"""
[storage]
data_dir = "{tmp_path / 'data'}"
[ui]
fullscreen = false
width = 720
height = 1280
voice = false
[devices.idcard]
enabled = false
[devices.scanner]
camera = "/dev/gig-no-such-camera"
[devices.printer]
connection = "file"
file = "{tmp_path / 'printer.bin'}"
""",
        encoding="utf-8",
    )
    return f


def test_run_smoke_ready_with_a_station_file(tmp_path: Path) -> None:
    proc = kiosk("run", "--config", str(_station_toml(tmp_path)), "--smoke", "ready")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "data" / "cache.db").exists()
    assert "camera: no_device" in proc.stderr  # the missing camera is reported, not fatal


def test_run_with_a_bad_file_exits_2_before_any_window(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[ui]\nidle_timeout_s = 2\n", encoding="utf-8")
    proc = kiosk("run", "--config", str(f), display=False, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "ui.idle_timeout_s" in lines[0]


def test_run_says_why_when_its_services_cannot_start(tmp_path: Path) -> None:
    toml = _station_toml(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the data folder would have to be inside a file: mkdir fails
    toml.write_text(toml.read_text().replace(str(tmp_path / "data"), str(blocker / "data")))
    proc = kiosk("run", "--config", str(toml), "--smoke", "ready")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("gig-kiosk: could not start: ")


# Imported after the first frame: validation, the cache, the visit's rules and models, the services.
LATER = ("pydantic", "sqlite3", "orjson", "kiosk.visit", "kiosk.models", "screens.services", "screens.widgets")


def test_demo_first_frame_needs_neither_pydantic_nor_sqlite(tmp_path: Path) -> None:
    """What `demo` imports before its first frame (issue 17's cold start): validation, the
    cache and the visit's rules come after it, so none may be pulled in by a module-level import."""
    code = ("import sys\nfrom screens.commands.common import configure_desktop_window\n"
            "configure_desktop_window('720x1280')\n"
            "import screens.app, screens.demo_setup, screens.attract, screens.demo_panel\n"
            f"print(' '.join(m for m in {LATER!r} if m in sys.modules))")
    env = os.environ | {"KIVY_NO_CONSOLELOG": "1"}
    proc = subprocess.run(with_display([sys.executable, "-c", code]), capture_output=True, text=True,
                          timeout=120, env=env, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == []
