"""Helpers for the provisioning tests: a release bundle and deploy/provision.sh runs."""

import base64
import hashlib
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
PROVISION = CHECKOUT / "deploy" / "provision.sh"
# Debian 12's interpreter, the one a station's releases run on.
STATION_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def checkout_wheel(out: Path, version: str, entry: str = "kiosk.cli:main",
                   extra: dict[str, str] | None = None) -> Path:
    """A gig_station wheel whose `gig-kiosk` runs this checkout on this environment's packages.

    A full bundle (the project wheel plus ~790 MB of locked dependency wheels, as `gig-central
    release build` makes) cannot be built here without an index, so the release installed by
    these tests is this thin wheel: a .pth naming the checkout and the shared site-packages.
    What provision.sh does with it is real: virtualenv, pip --no-index, console script,
    `.complete`, `current`. `entry` is what `gig-kiosk` runs; `extra` adds modules."""
    dist = f"gig_station-{version}.dist-info"
    files = {
        "gig_station_checkout.pth": f"{CHECKOUT}\n{sysconfig.get_paths()['purelib']}\n",
        **(extra or {}),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: gig-station\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": f"[console_scripts]\ngig-kiosk = {entry}\n",
    }
    record = [f"{name},{_record_hash(text.encode())},{len(text.encode())}" for name, text in files.items()]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"gig_station-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return wheel


def provision(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(PROVISION), "--python", STATION_PYTHON, *map(str, args)],
                          capture_output=True, text=True, input=stdin, timeout=240)


TOKEN = "st-9f3c1d2e7a5b4c6d8e0f1a2b3c4d5e6f"  # must never appear in the output


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Bundle, station TOML, token file and TUF root, as a maintainer would bring them."""
    src = tmp_path / "inputs"
    checkout_wheel(src / "bundle", "1.4.0")
    (src / "station.toml").write_text('[station]\nid = "lake-market"\nname = "湖县集市驿站"\n', encoding="utf-8")
    (src / "token").write_text(TOKEN + "\n", encoding="utf-8")
    (src / "root.json").write_text('{"signed": {"_type": "root"}, "signatures": []}\n', encoding="utf-8")
    return {"bundle": src / "bundle", "config": src / "station.toml", "token": src / "token",
            "tuf_root": src / "root.json"}


def args_for(inputs: dict[str, Path]) -> list[str | Path]:
    return ["--bundle", inputs["bundle"], "--config", inputs["config"],
            "--token-file", inputs["token"], "--tuf-root", inputs["tuf_root"]]
