"""ApiClient against the real server and through the fault-injecting proxy."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import Central, kiosk_settings

from kiosk.api import (
    ApiClient,
    ApiOffline,
    ApiRejected,
    ApiServerError,
    ApiUnauthorised,
    FullJitterRetry,
)
from kiosk.i18n import tr
from kiosk.netsim import FaultProxy


def client(central: Central, tmp: Path, base_url: str | None = None, **kw) -> ApiClient:
    return ApiClient(kiosk_settings(central, tmp, base_url=base_url).api, **kw)


def test_contract_calls(central: Central, tmp_path: Path) -> None:
    api = client(central, tmp_path)
    sid = central.station["id"]
    page = api.jobs_page(sid, None, 5)
    assert len(page["jobs"]) == 5 and page["has_more"] and page["reset"] is False
    assert api.policies_page(None)["policies"]
    raw, etag = api.station_config(sid)
    version = json.loads(raw)["version"]
    assert raw and etag == f'"{sid}.v{version}"'
    assert api.station_config(sid, etag) == (None, etag)  # 304
    assert api.public_key(central.station["county"])["algorithm"] == "Ed25519"
    ack = api.heartbeat(sid, {"app_version": "t", "outbox_depth": 0, "paper": "ok", "devices": {}})
    assert ack["config_version"] == version
    assert api.stats.requests == 6 and api.stats.bytes_received > 0


def test_typed_errors(central: Central, tmp_path: Path) -> None:
    sid = central.station["id"]
    bad = ApiClient(kiosk_settings(central, tmp_path).api.model_copy(update={"token": "wrong"}))
    with pytest.raises(ApiUnauthorised) as e:
        bad.jobs_page(sid, None)
    assert e.value.status == 401 and tr(e.value.msgid, "zh") != e.value.msgid
    other = central.seed["stations"][1]["id"]
    with pytest.raises(ApiUnauthorised) as e:
        client(central, tmp_path).jobs_page(other, None)
    assert e.value.status == 403
    with pytest.raises(ApiRejected) as e:
        client(central, tmp_path).submit_application("k-1", {"job_id": "nope"})
    assert e.value.status == 422 and "seeker" in e.value.reason
    with pytest.raises(ApiOffline) as e:
        client(central, tmp_path, base_url="http://127.0.0.1:9", retries=0).jobs_page(sid, None)
    assert e.value.status is None and "离线" in tr(e.value.msgid, "zh") or "网络" in tr(e.value.msgid, "zh")
    with pytest.raises(ApiOffline):
        ApiClient(kiosk_settings(central, tmp_path).api.model_copy(update={"base_url": ""})).jobs_page(sid, None)


@pytest.mark.parametrize("mode", ["refuse", "reset", "blackhole"])
def test_faults_become_offline_then_recover(central: Central, proxy: FaultProxy, tmp_path: Path,
                                            mode: str) -> None:
    api = client(central, tmp_path, base_url=proxy.url, retries=1, backoff_s=0.01)
    sid = central.station["id"]
    proxy.set(mode)
    t0 = time.monotonic()
    with pytest.raises(ApiOffline):
        api.jobs_page(sid, None, 1)
    # bounded by the (connect, read) timeouts even when the peer never answers
    assert time.monotonic() - t0 < 2 * (1.0 + 3.0) + 2
    proxy.set("pass")
    proxy.cut_all()
    assert api.jobs_page(sid, None, 1)["jobs"]


def test_delay_under_read_timeout_is_fine_over_it_is_offline(central: Central, proxy: FaultProxy,
                                                              tmp_path: Path) -> None:
    api = client(central, tmp_path, base_url=proxy.url, retries=0)
    sid = central.station["id"]
    proxy.set("delay", delay_s=0.5)
    assert api.jobs_page(sid, None, 1)["jobs"]
    proxy.set("delay", delay_s=3.5)  # read timeout is 3 s
    with pytest.raises(ApiOffline):
        api.jobs_page(sid, None, 1)


class _Flaky(http.server.BaseHTTPRequestHandler):
    """503 with Retry-After: 1 for the first `fail` requests, then 200."""

    fail = 1
    seen: list[float] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen.append(time.monotonic())
        if len(self.seen) <= self.fail:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"policies": [], "deleted": [], "cursor": "p.1", "has_more": false, "reset": false}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        type(self).seen.append(time.monotonic())
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[type[_Flaky]]:
    handler = type("Flaky", (_Flaky,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()


def test_retry_after_is_honoured(central: Central, tmp_path: Path, flaky) -> None:
    api = client(central, tmp_path, base_url=flaky.url, retries=2, backoff_s=0.01)
    assert api.policies_page(None)["cursor"] == "p.1"
    assert len(flaky.seen) == 2 and flaky.seen[1] - flaky.seen[0] >= 0.95


def test_non_keyed_post_is_not_retried_on_5xx(central: Central, tmp_path: Path, flaky) -> None:
    api = client(central, tmp_path, base_url=flaky.url, retries=3, backoff_s=0.01)
    with pytest.raises(ApiServerError):
        api.heartbeat("s", {})
    assert len(flaky.seen) == 1
    flaky.seen.clear()
    with pytest.raises(ApiServerError):  # applications carry a key: retried
        api.submit_application("k", {})
    assert len(flaky.seen) == 4


def test_full_jitter_backoff_bounds() -> None:
    retry = FullJitterRetry(total=10, backoff_factor=0.5, backoff_max=4.0)
    for attempt in range(1, 8):
        retry = retry.increment(method="GET", url="/", error=ConnectionError())
        draws = [retry.get_backoff_time() for _ in range(300)]
        cap = min(4.0, 0.5 * 2**attempt)
        assert all(0 <= d <= cap for d in draws)
        assert max(draws) > cap * 0.8 and min(draws) < cap * 0.2  # spread over the whole range
