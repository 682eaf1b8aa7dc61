"""`gig-central seed-demo` and `gig-central serve` as real processes on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from central.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "central.cli"]


def test_seed_demo_then_serve(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/central.db"
    out = subprocess.run([*CLI, "seed-demo", "--database", url], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seed = json.loads(out.stdout)
    assert len({s["county"] for s in seed["stations"]}) >= 2
    for county in {s["county"] for s in seed["stations"]}:
        assert sum(s["county"] == county for s in seed["stations"]) >= 2
    assert all({"id", "county", "token"} <= set(s) for s in seed["stations"])
    assert all({"county", "token", "username"} <= set(s) for s in seed["staff"])
    assert seed["jobs"] > 0 and (tmp_path / "central.db.key").exists()
    again = subprocess.run([*CLI, "seed-demo", "--database", url], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 2 and "already" in again.stderr

    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--database", url, "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        st = seed["stations"][0]
        r = httpx.get(f"{base}/v1/stations/{st['id']}/jobs", headers={"Authorization": f"Bearer {st['token']}"})
        assert r.status_code == 200 and r.json()["jobs"]
        assert httpx.get(f"{base}/v1/stations/{st['id']}/jobs").status_code == 401
    finally:
        proc.terminate()
        proc.wait(15)
