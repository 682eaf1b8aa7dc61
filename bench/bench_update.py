"""Signed updates: bytes a station downloads for a code-only release vs a full bundle, and
the time from the `current` switch to the new release's first health marker.

A real central (in-process, 127.0.0.1) publishes two releases through TUF; a real updater
installs them into an empty station folder. The project wheel is built (zipfile, as in
tests/update) from this checkout's own sources, so its size is the real one; the dependency
wheels are incompressible stand-ins sized like the real lock (171 MB, 66 wheels, measured with
`gig-central release build` on 2026-11-29; quick mode: 17 MB) because this benchmark must run
offline. Goal: code-only <= 5 % of the full bundle.
The switch-to-first-frame row times the test app's console script writing its first_frame
marker after the switch (process start from the new venv); the real kiosk's first frame on
top of that is bench_startup's "first frame" row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import Row

ROOT = Path(__file__).resolve().parent.parent
REAL_DEPS_BYTES = 171_250_949 - 396_492  # the real bundle minus its project wheel
REAL_DEP_WHEELS = 65


def _helpers():  # noqa: ANN202 - the test helpers module (wheels, central)
    sys.path.insert(0, str(ROOT / "tests" / "update"))
    import update_helpers

    return update_helpers


def _project_files(version: str) -> dict[str, bytes]:
    files = {}
    for pkg in ("kiosk", "devices", "screens", "central", "bench"):
        for p in sorted((ROOT / pkg).rglob("*")):
            if p.is_file() and p.suffix in {".py", ".kv", ".json", ".toml", ".html", ".css", ".sql"} \
                    and "__pycache__" not in p.parts:
                files[str(p.relative_to(ROOT))] = p.read_bytes()
    files["gigfake/__init__.py"] = _helpers().APP.format(mode="ok", version=version).encode()
    return files


def run(quick: bool = False) -> list[Row]:
    h = _helpers()
    from kiosk.update.updater import Source, run_once

    scale = 10 if quick else 1
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        tmpdir = Path(tmp)
        central, stop = h.start_central(tmpdir)
        try:
            deps = []
            per = REAL_DEPS_BYTES // REAL_DEP_WHEELS // scale
            for i in range(REAL_DEP_WHEELS):
                blob = hashlib.shake_256(f"dep{i}".encode()).digest(per)
                deps.append(h.make_wheel(tmpdir / "deps", f"dep{i}", "1.0", {f"dep{i}/blob.bin": blob}))
            apps = {}
            for v in ("1.0", "1.1"):
                apps[v] = h.make_wheel(tmpdir / v, "gig-station", v, _project_files(v),
                                       scripts={"gig-kiosk": "gigfake:main"})
                central.publish(v, [apps[v], *deps])
            root = tmpdir / "station"
            root.mkdir()
            (root / "root.json").write_bytes(central.root_json())
            config = h.station_config(tmpdir / "station.toml", root, central.url + "/tuf/")
            now = dt.datetime.now().astimezone()
            downloaded = {}
            first_frame_s = 0.0
            for v in ("1.0", "1.1"):
                central.assign(v, station="qh-park")
                out = run_once(root, "qh-park", root / "root.json", Source(central.url + "/tuf/"),
                               now=now, force=True)
                assert out.status == "installed", out
                t0 = time.perf_counter()
                subprocess.run([str(root / "current" / "bin" / "gig-kiosk"), "run", "--config", str(config)],
                               check=True, capture_output=True)
                assert (root / "health" / f"{v}.first_frame").exists()
                first_frame_s = time.perf_counter() - t0
                downloaded[v] = out.downloaded_bytes
                run_once(root, "qh-park", root / "root.json", Source(central.url + "/tuf/"), now=now)
        finally:
            stop()
            central.engine.dispose()
    ratio = downloaded["1.1"] / downloaded["1.0"]
    return [
        Row("update", "full bundle download", downloaded["1.0"] / 1e6, "MB"),
        Row("update", "code-only release download", downloaded["1.1"] / 1e6, "MB"),
        Row("update", "code-only / full bundle", ratio * 100, "%", "<= 5 %", ratio <= 0.05),
        Row("update", "switch -> first_frame marker (test app)", first_frame_s * 1000, "ms"),
    ]
