"""`gig-central serve --access-log` (central.access_log): uvicorn's access lines, one per
request whatever answered it (the fast path, FastAPI, load shedding), written at least once a
second and at a normal stop; none with --no-access-log or below log level info."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from central.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "central.cli"]
LINE = re.compile(r'INFO:     127\.0\.0\.1:\d+ - "(GET|POST) (\S+) HTTP/1\.1" (\d{3}) ([A-Za-z ]+)')


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    url = f"sqlite:///{tmp_path_factory.mktemp('log')}/central.db"
    out = subprocess.run([*CLI, "seed-demo", "--database", url], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return url, json.loads(out.stdout)


def _serve(url: str, *flags: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--database", url, "--host", "127.0.0.1", "--port", str(port),
                             "--no-periodic", *flags], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/healthz", timeout=1).raise_for_status()
            return proc, base
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.2)


def _requests(base: str, seed: dict) -> None:
    st = seed["stations"][0]
    me = {"Authorization": f"Bearer {st['token']}"}
    etag = httpx.get(f"{base}/v1/stations/{st['id']}/config", headers=me).headers["ETag"]
    assert httpx.get(f"{base}/v1/stations/{st['id']}/config",
                     headers={**me, "If-None-Match": etag}).status_code == 304
    assert httpx.get(f"{base}/v1/stations/{st['id']}/jobs?limit=5", headers=me).status_code == 200
    assert httpx.get(f"{base}/v1/stations/{st['id']}/jobs").status_code == 401
    assert httpx.get(f"{base}/v1/schema/station-config").status_code == 200


def test_one_uvicorn_line_per_request_written_within_a_second_and_at_stop(seeded: tuple[str, dict]) -> None:
    url, seed = seeded
    proc, base = _serve(url)
    try:
        _requests(base, seed)
        sid = seed["stations"][0]["id"]
        first = proc.stdout.readline()  # written by the once-a-second flush, the server still up
        assert LINE.fullmatch(first.rstrip("\n")), first
        assert httpx.get(f"{base}/admin/login").status_code == 200
    finally:
        proc.terminate()
        rest = proc.stdout.read()  # not communicate(): it would skip what readline buffered
        proc.wait(20)
    lines = [first, *rest.splitlines()]
    found = [LINE.fullmatch(line.rstrip("\n")) for line in lines if "/healthz" not in line]
    assert all(found), lines
    assert [(m[1], m[2], m[3], m[4]) for m in found] == [
        ("GET", f"/v1/stations/{sid}/config", "200", "OK"),
        ("GET", f"/v1/stations/{sid}/config", "304", "Not Modified"),
        ("GET", f"/v1/stations/{sid}/jobs?limit=5", "200", "OK"),
        ("GET", f"/v1/stations/{sid}/jobs", "401", "Unauthorized"),
        ("GET", "/v1/schema/station-config", "200", "OK"),
        ("GET", "/admin/login", "200", "OK"),  # the last one: written at the stop
    ]


@pytest.mark.parametrize("flags", [("--no-access-log",), ("--log-level", "warning")])
def test_no_lines_when_off(seeded: tuple[str, dict], flags: tuple[str, ...]) -> None:
    url, seed = seeded
    proc, base = _serve(url, *flags)
    try:
        _requests(base, seed)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert '"GET ' not in out, out
