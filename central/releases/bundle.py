"""`gig-central release build`: the project's wheel plus the exact wheels it needs (a lock).

The lock is what pip resolves for the project wheel, constrained to the versions installed in
the running environment (`pip freeze`), so a bundle reproduces the environment it was tested
in. `manifest.json` lists every wheel with its sha256 and size; pip itself is in the bundle so
a release's own virtualenv can run the next update. `find_links` + `offline` build from a local
wheelhouse without touching an index (tests; air-gapped build hosts).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "manifest.json"


class BuildError(Exception):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pip(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"pip {args[0]} failed: {proc.stderr.strip()[-800:]}")
    return proc.stdout


def build(out: Path, project: Path = PROJECT_ROOT, find_links: list[Path] | None = None,
          offline: bool = False, with_pip: bool = True) -> dict[str, Any]:
    """Writes the wheels and manifest.json into `out` (created); returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    index = ["--no-index"] if offline else []
    links = [a for p in (find_links or []) for a in ("--find-links", str(p))]
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        # Offline, the build backend must come from this environment (no isolation); online,
        # pip fetches the backend pyproject.toml asks for (this venv's setuptools may be older).
        isolation = ["--no-build-isolation"] if offline else []
        _pip("wheel", "--no-deps", *isolation, *index, *links, "-q",
             "-w", str(tmpdir / "project"), str(project))
        wheels = list((tmpdir / "project").glob("*.whl"))
        if len(wheels) != 1:
            raise BuildError(f"expected one project wheel, got {[w.name for w in wheels]}")
        project_wheel = wheels[0]
        project_name = project_wheel.name.split("-")[0]
        constraints = tmpdir / "constraints.txt"
        frozen = [line for line in _pip("freeze", "--exclude-editable").splitlines()
                  if "==" in line and not line.lower().replace("_", "-").startswith(
                      project_name.lower().replace("_", "-") + "==")]
        constraints.write_text("\n".join(frozen) + "\n", encoding="utf-8")
        _pip("download", "-q", "--only-binary", ":all:", "-d", str(out), "-c", str(constraints),
             *index, *links, str(project_wheel), *(["pip"] if with_pip else []))
    entries = []
    for wheel in sorted(out.glob("*.whl")):
        entries.append({"file": wheel.name, "sha256": sha256_file(wheel),
                        "size": wheel.stat().st_size})
    manifest = {"project": project_name, "project_wheel": project_wheel.name, "wheels": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def load_bundle(bundle: Path) -> dict[str, Any]:
    """The manifest of a built bundle, every wheel checked against its sha256 and size."""
    try:
        manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BuildError(f"{bundle}: no readable {MANIFEST}: {exc}") from None
    for entry in manifest["wheels"]:
        path = bundle / entry["file"]
        if not path.is_file() or path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            raise BuildError(f"{path}: missing or does not match the manifest")
    return manifest
