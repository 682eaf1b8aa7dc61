"""TEST FIXTURE, not the reference server: a small HTTP server on 127.0.0.1 that speaks the two
issue-12 station endpoints exactly as CONTRACTS.md specifies them, for the kiosk's tests while
central's real endpoints (built in parallel) are not in this tree. The lead switches the tests
that use it to the real reference server when merging (see each test's docstring).

    POST /v1/stations/{station_id}/my-applications  {"id_number"}          -> 200 {"applications": [...]}
    POST /v1/applications/{id}/withdraw  Idempotency-Key, {"station_id", "id_number"} -> 200

Rows are found by HMAC-SHA-256("seeker:" + upper-cased ID number), as central does; a
withdrawal erases the row's ID number at once. Every other request is forwarded unchanged to
`upstream` (the real reference server) when one is given, so a whole kiosk can run against
"reference server + these two endpoints". Counters let tests prove exactly-once:
`erasures[app_id]` counts withdrawals that took effect, `withdraw_requests` every request seen.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BODY_LIMIT = 1024  # CONTRACTS.md: 1 KB for both endpoints
_KEY = b"fixture-seeker-hash-key"
_MY = re.compile(r"^/v1/stations/([^/]+)/my-applications$")
_WITHDRAW = re.compile(r"^/v1/applications/([^/]+)/withdraw$")


def seeker_hash(id_number: str) -> str:
    return hmac.new(_KEY, ("seeker:" + id_number.upper()).encode(), hashlib.sha256).hexdigest()


@dataclass
class Row:
    id: str
    job_id: str
    job_title: str
    created_at: str
    seeker_hash: str
    county: str
    status: str = "new"
    job_open: bool = True
    id_number: str | None = None  # "ciphertext" stand-in: erased (None) on withdrawal


@dataclass
class ContractFixture:
    """stations: station id -> (token, county)."""

    stations: dict[str, tuple[str, str]]
    upstream: tuple[str, int] | None = None
    rows: dict[str, Row] = field(default_factory=dict)
    erasures: Counter = field(default_factory=Counter)
    withdraw_requests: int = 0
    lookups: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> app id

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        fixture = self

        class Handler(_Handler):
            owner = fixture

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, name="issue12-fixture", daemon=True).start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, app_id: str, id_number: str, county: str, *, job_id: str = "j1", job_title: str = "job",
            created_at: str = "2026-11-20T09:30:00+08:00", status: str = "new", job_open: bool = True) -> Row:
        row = Row(app_id, job_id, job_title, created_at, seeker_hash(id_number), county, status, job_open,
                  id_number)
        with self.lock:
            self.rows[app_id] = row
        return row

    # --- the two endpoints ----------------------------------------------------------------
    def my_applications(self, station_id: str, token: str, body: dict[str, Any]) -> tuple[int, dict]:
        if station_id not in self.stations:
            return 404, {"detail": "unknown station"}
        if self.stations[station_id][0] != token:
            return 403, {"detail": "not this station's token"}
        number = body.get("id_number")
        if not isinstance(number, str) or len(number) != 18:
            return 422, {"detail": "id_number must be 18 characters"}
        h, county = seeker_hash(number), self.stations[station_id][1]
        with self.lock:
            self.lookups += 1
            mine = [r for r in self.rows.values()
                    if r.seeker_hash == h and r.county == county and r.status != "withdrawn"]
        mine.sort(key=lambda r: r.created_at, reverse=True)
        return 200, {"applications": [
            {"id": r.id, "job_id": r.job_id, "job_title": r.job_title, "created_at": r.created_at,
             "status": r.status, "job_open": r.job_open} for r in mine]}

    def withdraw(self, app_id: str, token: str, key: str, body: dict[str, Any]) -> tuple[int, dict]:
        station_id = body.get("station_id")
        with self.lock:
            self.withdraw_requests += 1
            if not key:
                return 422, {"detail": "Idempotency-Key required"}
            station = self.stations.get(str(station_id))
            if station is None or station[0] != token:
                return 403, {"detail": "station only"}
            if self.keys.get(key) == app_id:
                return 200, {"id": app_id, "status": "withdrawn"}  # replay
            row = self.rows.get(app_id)
            number = body.get("id_number")
            if (row is None or row.county != station[1] or not isinstance(number, str)
                    or seeker_hash(number) != row.seeker_hash):
                return 404, {"detail": "no such application"}
            self.keys[key] = app_id
            if row.status != "withdrawn":
                row.status, row.id_number = "withdrawn", None
                self.erasures[app_id] += 1
            return 200, {"id": app_id, "status": "withdrawn"}


class _Handler(BaseHTTPRequestHandler):
    owner: ContractFixture
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:  # never print request lines (ID numbers in bodies)
        pass

    def _answer(self, status: int, body: dict | bytes, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        my, wd = _MY.match(path), _WITHDRAW.match(path)
        if not (my or wd):
            return self._forward()
        raw = self._body()
        if len(raw) > BODY_LIMIT:
            return self._answer(413, {"detail": "body too large"})
        try:
            body = json.loads(raw)
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return self._answer(422, {"detail": "body must be a JSON object"})
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if my:
            status, answer = self.owner.my_applications(urllib.parse.unquote(my.group(1)), token, body)
        else:
            assert wd is not None
            status, answer = self.owner.withdraw(urllib.parse.unquote(wd.group(1)), token,
                                                 self.headers.get("Idempotency-Key", ""), body)
        self._answer(status, answer)

    def do_GET(self) -> None:  # noqa: N802
        self._forward()

    def do_PUT(self) -> None:  # noqa: N802
        self._forward()

    def _forward(self) -> None:
        """Everything else goes to the real reference server (jobs, config, heartbeats…)."""
        up = self.owner.upstream
        body = self._body() if self.command in ("POST", "PUT") else None
        if up is None:
            return self._answer(404, {"detail": "Not Found"})
        conn = http.client.HTTPConnection(*up, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            keep = {k: v for k, v in r.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")}
            self._answer(r.status, data, keep)
        finally:
            conn.close()
