"""`gig-central release build` offline: a tiny setuptools project is built with pip (no build
isolation, no index), its dependency and pip come from a local wheelhouse; then `publish`
and `assign` through the CLI against the same database a server would use."""

from __future__ import annotations

import ensurepip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from update_helpers import dep_wheel

from central.releases.bundle import load_bundle

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gig-station"
version = "7.0"
dependencies = ["gigdep==1.0"]

[project.scripts]
gig-kiosk = "gigfake:main"
"""


def _central(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "central.cli", *args], capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_build_publish_assign_offline(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "gigfake").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "gigfake" / "__init__.py").write_text("def main():\n    return 0\n", encoding="utf-8")
    house = tmp_path / "house"
    dep_wheel(house, size=1000)
    bundled_pip = Path(ensurepip.__file__).parent / "_bundled"  # a pip wheel on this machine
    out = tmp_path / "bundle"
    built = _central("release", "build", "--out", str(out), "--project", str(project),
                     "--offline", "--find-links", str(house), "--find-links", str(bundled_pip))
    assert built["project_wheel"].startswith("gig_station-7.0-")
    manifest = load_bundle(out)
    names = sorted(w["file"].split("-")[0] for w in manifest["wheels"])
    assert names == ["gig_station", "gigdep", "pip"]  # the project, its lock, pip for the next update
    for w in manifest["wheels"]:
        assert hashlib.sha256((out / w["file"]).read_bytes()).hexdigest() == w["sha256"]

    db = f"sqlite:///{tmp_path}/central.db"
    _central("county", "add", "--database", db, "--code", "east", "--name", "东县")
    _central("station", "add", "--database", db, "--county", "east", "--id", "east-park",
             "--name", "公园", "--lat", "31", "--lng", "117")
    published = _central("release", "publish", "--database", db, "--version", "7.0", str(out))
    assert published["wheels"] == 3
    assigned = _central("release", "assign", "--database", db, "--version", "7.0", "--county", "east")
    assert assigned["stations"] == ["east-park"]
    _central("release", "root", "--database", db, "--out", str(tmp_path / "root.json"))
    assert json.loads((tmp_path / "root.json").read_text())["signed"]["_type"] == "root"
    exported = _central("release", "export", "--database", db, "--out", str(tmp_path / "stick"))
    assert (tmp_path / "stick" / "metadata" / "timestamp.json").is_file() and exported["files"] >= 9
    again = subprocess.run([sys.executable, "-m", "central.cli", "release", "publish", "--database", db,
                            "--version", "7.0", str(out)], capture_output=True, text=True, timeout=180)
    assert again.returncode == 2 and "already published" in again.stderr
    (out / manifest["wheels"][0]["file"]).write_bytes(b"tampered")
    bad = subprocess.run([sys.executable, "-m", "central.cli", "release", "publish", "--database", db,
                          "--version", "7.1", str(out)], capture_output=True, text=True, timeout=180)
    assert bad.returncode == 2 and "does not match" in bad.stderr
