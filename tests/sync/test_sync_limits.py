"""A misbehaving central API cannot hold a sync cycle: cursor must advance, pages are capped,
the whole cycle has a deadline (bodies included) and a response is refused past its size cap.

The server here is a small threaded http.server on 127.0.0.1 that misbehaves on purpose; the
station config answers 304 and policies one empty page, so only the jobs delta misbehaves.
"""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sync_helpers import make_outbox

from kiosk.api import MAX_PAGE_BYTES, ApiAbandoned, ApiClient, ApiServerError
from kiosk.remote_config import RemoteConfig
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.sync import SyncWorker


class BadServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = mode
        self.job_requests = 0
        self.bytes_sent = 0  # body bytes the server managed to write (huge mode)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: BadServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: object) -> None:
        pass

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (the heartbeat a station with no floor sends first)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._json({"received_at": "2026-01-01T00:00:00Z", "config_version": 1})

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = urlsplit(self.path).path
        if path.endswith("/config"):
            self.send_response(304)
            self.send_header("ETag", '"x"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/v1/policies":
            self._json({"policies": [], "deleted": [], "cursor": "p1", "has_more": False})
        elif path.endswith("/jobs"):
            self.server.job_requests += 1
            getattr(self, "jobs_" + self.server.mode)()
        else:
            self.send_error(404)

    def jobs_same_cursor(self) -> None:
        self._json({"jobs": [], "deleted": [], "cursor": "c1", "has_more": True})

    def jobs_endless(self) -> None:  # a new cursor every time, never done
        self._json({"jobs": [], "deleted": [], "cursor": f"c{self.server.job_requests}",
                    "has_more": True})

    def jobs_drip(self) -> None:
        body = json.dumps({"jobs": [], "deleted": [], "cursor": "c1", "has_more": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for b in body:  # one byte every 0.5 s: each read is well inside read_timeout_s
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    def jobs_huge(self, total: int = 200 << 20, chunked: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        piece = b'{"jobs": [' + b" " * (1 << 20 - 10)
        filler = b" " * (1 << 20)
        try:
            sent = 0
            while sent < total:
                data = piece if sent == 0 else filler
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
                self.server.bytes_sent = sent
        except OSError:
            pass

    def jobs_huge_chunked(self) -> None:  # no Content-Length: only counting while reading helps
        self.jobs_huge(chunked=True)

    def _raw(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def jobs_not_json(self) -> None:  # a proxy's error page with status 200
        self._raw(b"<html>gateway says hello</html>")

    def jobs_cut_short(self) -> None:  # a page cut mid-object, Content-Length matching what came
        self._raw(b'{"jobs": [{"id": "a", "title": "\xe6\x90\xac')

    def jobs_a_list(self) -> None:
        self._raw(b"[1, 2]")


@pytest.fixture
def bad_server(request: pytest.FixtureRequest) -> Iterator[BadServer]:
    s = BadServer(request.param)
    yield s
    s.stop()


def worker(tmp_path: Path, url: str, **api: float) -> SyncWorker:
    settings = from_dict({
        "station": {"id": "st-1"},
        "api": {"base_url": url, "token": "t" * 32, "connect_timeout_s": 1, "read_timeout_s": 3,
                **api},
        "storage": {"data_dir": str(tmp_path / "data"),
                    "outbox_key_file": str(tmp_path / "keys" / "outbox.key")},
    })
    data = tmp_path / "data"
    return SyncWorker(settings, Store(data / "cache.db"), make_outbox(data),
                      ApiClient(settings.api, retries=0), RemoteConfig(settings, data),
                      device_health=dict)


@pytest.mark.parametrize("bad_server", ["same_cursor"], indirect=True)
def test_cursor_that_does_not_advance_stops_the_cycle(bad_server: BadServer, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    w = worker(tmp_path, bad_server.url)
    t0 = time.monotonic()
    with pytest.raises(ApiAbandoned, match="cursor did not advance"):
        w.run_cycle(heartbeat=False)
    assert time.monotonic() - t0 < 5
    # the first page moves the cursor from none to c1; the second repeats c1: stop there
    assert bad_server.job_requests == 2
    assert w.status.state == "error" and "did not advance" in w.status.detail
    assert "did not advance" in w.heartbeat_body()["devices"]["sync"]["detail"]
    assert any(r.levelname == "ERROR" and "did not advance" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad_server", ["endless"], indirect=True)
def test_pages_per_cycle_are_capped(bad_server: BadServer, tmp_path: Path) -> None:
    w = worker(tmp_path, bad_server.url)
    w.max_pages = 20
    with pytest.raises(ApiAbandoned, match="after 20 pages"):
        w.run_cycle(heartbeat=False)
    assert bad_server.job_requests == 20
    # what came is committed: the next cycle resumes from the last cursor, not from scratch
    assert w.store.get_meta("sync.jobs_cursor") == "c20"


@pytest.mark.parametrize("bad_server", ["drip"], indirect=True)
def test_dripping_answer_is_cut_at_the_cycle_deadline(bad_server: BadServer, tmp_path: Path) -> None:
    w = worker(tmp_path, bad_server.url, cycle_deadline_s=3.0)
    t0 = time.monotonic()
    with pytest.raises(ApiAbandoned, match="deadline"):
        w.run_cycle(heartbeat=False)
    took = time.monotonic() - t0
    assert took < 3.0 + 1.0, took  # the deadline plus at most one 0.5 s read


@pytest.mark.parametrize("bad_server", ["drip"], indirect=True)
def test_dripping_answer_is_cut_at_the_request_deadline_outside_a_cycle(bad_server: BadServer,
                                                                         tmp_path: Path) -> None:
    w = worker(tmp_path, bad_server.url, request_deadline_s=2.0)
    t0 = time.monotonic()
    with pytest.raises(ApiAbandoned, match="too slow"):
        w.api.jobs_page("st-1", None)
    assert time.monotonic() - t0 < 2.0 + 1.0


@pytest.mark.parametrize("bad_server", ["huge", "huge_chunked"], indirect=True)
def test_huge_answer_is_refused_at_the_cap_and_not_read_further(bad_server: BadServer,
                                                               tmp_path: Path) -> None:
    w = worker(tmp_path, bad_server.url)
    tracemalloc.start()
    try:
        with pytest.raises(ApiAbandoned, match="over"):
            w.run_cycle(heartbeat=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    time.sleep(0.5)  # let the server notice the closed connection
    # The client stopped at the 32 MB cap: the server got out at most that plus what the
    # socket buffers hold, far from 200 MB; memory stayed near the cap, not 200 MB+.
    assert bad_server.bytes_sent < MAX_PAGE_BYTES + (16 << 20), bad_server.bytes_sent
    assert peak < 2.5 * MAX_PAGE_BYTES, peak


@pytest.mark.parametrize("bad_server", ["not_json", "cut_short", "a_list"], indirect=True)
def test_a_page_that_is_not_a_json_object_is_a_server_error(bad_server: BadServer, tmp_path: Path) -> None:
    """The delta page is parsed with orjson (issue 17): anything but a JSON object, including
    a body cut inside a UTF-8 character, is an ApiServerError, never a crash or a partial apply."""
    w = worker(tmp_path, bad_server.url)
    with pytest.raises(ApiServerError, match="not JSON|not an object"):
        w.run_cycle(heartbeat=False)
    assert w.store.count_jobs() == 0 and not w.store.get_meta("sync.jobs_cursor")
