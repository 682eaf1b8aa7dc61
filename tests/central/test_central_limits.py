"""Body size limits: oversized bodies get 413 before parsing and before any token lookup."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from central_helpers import HEARTBEAT, application, job_body

from central.limits import DEFAULT_LIMIT, KB, limit_for
from central.schemas import POLICY_BODY_MAX

MB = 1024 * 1024


def _raw(base_url: str, head: str, chunks: Iterator[bytes]) -> tuple[int, dict[str, str], bytes]:
    """Sends `head` then `chunks` (stopping quietly when the server hangs up) and reads the
    response: (status, headers, body)."""
    u = urlsplit(base_url)
    with socket.create_connection((u.hostname, u.port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
                got = sock.recv(65536)
                if not got:
                    break
                data += got
        except ConnectionResetError:
            pass
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def test_declared_oversize_is_refused_before_the_body_is_sent(server) -> None:
    # 48 MB announced, only 1 KB sent: the answer comes without waiting for the rest, and
    # there is no token at all, so no auth lookup happened first (that would be 401).
    head = ("POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {48 * MB}\r\n\r\n")
    status, headers, body = _raw(server.base_url, head, iter([b"{" + b" " * 1023]))
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert "too large" in json.loads(body)["detail"]


def test_chunked_oversize_is_refused_after_the_limit(server) -> None:
    st = next(iter(server.stations.values()))
    head = (f"POST /v1/stations/{st['id']}/heartbeats HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {st['token']}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent = {"n": 0}

    def chunks() -> Iterator[bytes]:
        # 8 MB of chunks of 4 KB; the server must stop us long before the end.
        piece = b"1000\r\n" + b" " * 4096 + b"\r\n"
        for _ in range(2048):
            sent["n"] += 4096
            yield piece
        yield b"0\r\n\r\n"

    status, _, body = _raw(server.base_url, head, chunks())
    assert status == 413, body
    assert "too large" in json.loads(body)["detail"]


def test_unauthenticated_chunked_oversize_is_413_not_401(server) -> None:
    head = ("POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    piece = b"1000\r\n" + b" " * 4096 + b"\r\n"
    status, _, _ = _raw(server.base_url, head, iter([piece] * 64 + [b"0\r\n\r\n"]))
    assert status == 413


@pytest.mark.parametrize(("method", "path", "limit"), [
    ("POST", "/v1/applications", 16 * KB),
    ("POST", "/v1/stations/x/heartbeats", 16 * KB),
    ("POST", "/v1/jobs", 64 * KB),
    ("PUT", "/v1/jobs/x", 64 * KB),
    ("PUT", "/v1/stations/x/config", 16 * KB),
    ("PUT", "/v1/counties/east/config", 16 * KB),
    ("POST", "/admin/login", 4 * KB),
    ("POST", "/admin/jobs/new", 64 * KB),
    ("POST", "/admin/policies/p1", 320 * KB),
    ("PUT", "/v1/policies/p1", 320 * KB),
    ("POST", "/v1/registrations", 24 * KB),
    ("POST", "/v1/registrations/mine", 1 * KB),
    ("POST", "/v1/registrations/x/end", 1 * KB),
    ("POST", "/v1/matches/x/outcome", 8 * KB),
    ("POST", "/v1/matches/x/reveal", 1 * KB),
    ("POST", "/v1/some-future-endpoint", DEFAULT_LIMIT),
])
def test_limits_per_route(server, method: str, path: str, limit: int) -> None:
    assert limit_for(method, path) == limit
    # Just over the limit is refused over HTTP, without a token and before routing.
    r = server.client.request(method, path, content=b" " * (limit + 1),
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 413, (path, r.status_code)


def test_normal_requests_are_unaffected(server) -> None:
    st = next(iter(server.stations.values()))
    r = server.client.post(f"/v1/stations/{st['id']}/heartbeats", json=HEARTBEAT,
                           headers=server.as_(st["token"]))
    assert r.status_code == 200, r.text
    r = server.client.post("/v1/applications", json=application(st["id"], job_id="missing"),
                           headers={**server.as_(st["token"]), "Idempotency-Key": "limits-1"})
    assert r.status_code == 404  # parsed, authorised, then the unknown job
    staff = server.staff[st["county"]]
    r = server.client.post("/v1/jobs", json=job_body(title="限额测试"), headers=server.as_(staff["token"]))
    assert r.status_code == 201, r.text
    # A big but allowed body still reaches validation (422, not 413).
    r = server.client.post("/v1/jobs", json=job_body(title="x" * 40_000), headers=server.as_(staff["token"]))
    assert r.status_code == 422
    # The largest valid policy, every character escaped in JSON, is within its limit.
    big = "\U0001F600" * POLICY_BODY_MAX
    body = {"category": "c" * 64, "title": big[:200], "title_en": big[:200], "summary": big[:2000],
            "summary_en": big[:2000], "body": big, "body_en": big}
    content = json.dumps(body, ensure_ascii=True).encode()
    assert len(content) > 230 * KB
    r = server.client.put(f"/v1/policies/{st['county']}-limits-big", content=content,
                          headers={**server.as_(staff["token"]), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:300]
