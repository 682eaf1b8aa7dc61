import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import settings


def test_defaults_without_file_content(tmp_path: Path) -> None:
    f = tmp_path / "k.toml"
    f.write_text("")
    s = settings.load(f)
    assert s.ui.language == "zh"
    assert s.devices.printer.width_mm == 80


def test_values_are_read(tmp_path: Path) -> None:
    f = tmp_path / "k.toml"
    f.write_text('[station]\nid = "qh-mall"\nlat = 31.3\n[ui]\nidle_timeout_s = 120\n')
    s = settings.load(f)
    assert (s.station.id, s.station.lat, s.ui.idle_timeout_s) == ("qh-mall", 31.3, 120)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[ui]\nidle_timeout_s = 3\n", "ui.idle_timeout_s"),
        ("[devices.printer]\ncolour = 1\n", "devices.printer.colour: unknown key"),
        ("[station]\nlat = 'north'\n", "station.lat"),
        ("[ui\n", "not valid TOML"),
        ('[api]\ntoken = "t"\n', "api.base_url is required"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    f = tmp_path / "k.toml"
    f.write_text(text)
    with pytest.raises(settings.SettingsError) as err:
        settings.load(f)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(settings.SettingsError, match="file not found"):
        settings.load(tmp_path / "nope.toml")


def test_example_config_in_deploy_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    s = settings.load(root / "deploy" / "kiosk.example.toml")
    assert s.ui.fullscreen


def test_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    f = tmp_path / "k.toml"
    f.write_text("[ui]\nlanguage = 'fr'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(f), "--check"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "ui.language" in lines[0]


def test_camera_false_disables_the_camera(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[devices.scanner]\ncamera = false\n")
    assert settings.load(path).devices.scanner.camera is None
    path.write_text("[devices.scanner]\ncamera = 0\n")
    assert settings.load(path).devices.scanner.camera == 0
