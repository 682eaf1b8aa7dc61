"""HTTP client for the central job API (contract: central/README.md).

One `requests.Session` with (connect, read) timeouts on every call and urllib3 `Retry` with
full-jitter backoff. Only idempotent calls are retried after the request may have reached the
server: GETs, and `POST /v1/applications`, which carries an Idempotency-Key (the server replays
the first answer). That POST gets its own adapter, mounted on its URL, so one Session serves
both policies. Failures surface as typed `ApiError`s carrying a message for the seeker/UI in
Chinese and English; no personal data ever goes into an error or a log line.

A misbehaving server must not hold the kiosk: every body is streamed and counted (a call
refuses more than its cap, e.g. 32 MB for a delta page, and stops reading there), every
request has a total time limit (`request_deadline_s`, not only per-read timeouts: a server
dripping one byte every few seconds never trips a read timeout), and `deadline(seconds)`
bounds everything the calling thread does inside it (one sync cycle).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kiosk.i18n import N_
from kiosk.settings import ApiSettings
from kiosk.worker import Signal

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
MAX_BODY_BYTES = 1 << 20  # heartbeat ack, application record, public key: a few hundred bytes
MAX_CONFIG_BYTES = 256 << 10  # a signed station config is about 1 KB
MAX_PAGE_BYTES = 32 << 20  # one delta page of 1,000 jobs is ~1 MB; 32x headroom
_CHUNK = 64 << 10


class ApiError(Exception):
    """Base of every client error. `status` is the HTTP status (None: no answer)."""

    msgid = N_("The service is not available right now")  # what a person is told (kiosk.i18n)

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


class ApiOffline(ApiError):
    """No answer: connection refused/reset, DNS, timeout, or no base URL configured."""

    msgid = N_("Offline: showing saved data")


class ApiUnauthorised(ApiError):
    """401/403: the station token is missing, wrong or not for this station."""

    msgid = N_("This station is not authorised; please call the maintainer")


class ApiRejected(ApiError):
    """Another 4xx: the server understood and refused (e.g. 410 the job is closed)."""

    msgid = N_("The request was not accepted")

    @property
    def reason(self) -> str:
        return self.detail

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail, status)
        if status == 410:
            self.msgid = N_("This job is closed")
        elif status == 404:
            self.msgid = N_("This job no longer exists")


class ApiServerError(ApiError):
    """5xx (after retries) or an answer that is not what the contract says."""

    msgid = N_("Server error; will retry automatically")


class ApiAbandoned(ApiServerError):
    """The kiosk gave up on an answer: too large, too slow (deadline), or a delta that does
    not advance. The server did answer, but not usefully."""


class FullJitterRetry(Retry):
    """sleep = random(0, min(cap, base * 2^n)) (AWS "full jitter"); urllib3's own jitter
    only adds noise on top of the exponential value, which keeps a fleet in lock-step."""

    # Called at once when an attempt fails to connect or read (before any retry and its
    # backoff): the kiosk says it has no network within seconds, not after every retry.
    on_failed_attempt: Callable[[], None] | None = None

    def get_backoff_time(self) -> float:
        n = len([h for h in self.history if h.redirect_location is None])
        if n == 0:
            return 0.0
        return random.uniform(0, min(self.backoff_max, self.backoff_factor * 2**n))

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # The contract (central/README.md): a 503 with Retry-After was not processed at all
        # (the server shed it, or rolled back), so any call, heartbeats included, may be sent
        # again after Retry-After. Without this a shed heartbeat failed the whole sync cycle.
        if status_code == 503 and has_retry_after and self.total and self.respect_retry_after_header:
            return True
        return super().is_retry(method, status_code, has_retry_after)

    def new(self, **kw: Any) -> FullJitterRetry:
        retry = super().new(**kw)
        retry.on_failed_attempt = self.on_failed_attempt  # urllib3 copies only its own fields
        return retry

    def increment(self, *args: Any, **kw: Any) -> Retry:  # type: ignore[override]
        error = kw.get("error") if "error" in kw else (args[3] if len(args) > 3 else None)
        if error is not None and self.on_failed_attempt is not None:
            try:
                self.on_failed_attempt()
            except Exception:  # a listener must never change how a request is retried
                log.exception("on_failed_attempt listener failed")
        return super().increment(*args, **kw)


@dataclass
class Stats:
    """Round trips and bytes actually seen on the wire by this client (final responses)."""

    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


def _retry(methods: frozenset[str], total: int, backoff: float, cap: float,
           retry_after_max: float) -> Retry:
    return FullJitterRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        allowed_methods=methods,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=cap,
        retry_after_max=retry_after_max,  # type: ignore[arg-type]  # urllib3 says int; it only compares
        respect_retry_after_header=True,
        raise_on_status=False,  # hand the last response to us; we map it to a typed error
        raise_on_redirect=False,
    )


class ApiClient:
    """Every call the kiosk makes to the central API. Thread-safe enough for one sync thread
    plus occasional calls from elsewhere (requests.Session is shared; stats are locked)."""

    def __init__(
        self,
        settings: ApiSettings,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        backoff_cap_s: float = 8.0,
        retry_after_max_s: float = 30.0,
    ) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self.timeout = (settings.connect_timeout_s, settings.read_timeout_s)
        self._settings = settings
        self.stats = Stats()
        self._stats_lock = threading.Lock()
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "gig-kiosk"
        safe = _retry(frozenset({"GET", "HEAD", "PUT"}), retries, backoff_s, backoff_cap_s, retry_after_max_s)
        keyed = _retry(frozenset({"GET", "HEAD", "POST"}), retries, backoff_s, backoff_cap_s,
                       retry_after_max_s)
        # Other POSTs (heartbeats, my-applications) are retried only when the connection never
        # opened. The keyed adapter's prefix also covers /v1/applications/{id}/withdraw.
        self.session.mount("http://", HTTPAdapter(max_retries=safe))
        self.session.mount("https://", HTTPAdapter(max_retries=safe))
        if self.base_url:
            self.session.mount(f"{self.base_url}/v1/applications", HTTPAdapter(max_retries=keyed))
            self.session.mount(f"{self.base_url}/v1/job-reports", HTTPAdapter(max_retries=keyed))
            # Standing registrations (issue 16): POST and /end carry an Idempotency-Key; /mine
            # only reads, so a resend is harmless too.
            self.session.mount(f"{self.base_url}/v1/registrations", HTTPAdapter(max_retries=keyed))
        self.session.hooks["response"].append(self._count)
        # Emitted (on the calling thread) when an attempt cannot connect or read, before retries.
        self.attempt_failed: Signal[[]] = Signal("api.attempt_failed")
        for retry in (safe, keyed):
            assert isinstance(retry, FullJitterRetry)
            retry.on_failed_attempt = self.attempt_failed.emit
        self._local = threading.local()  # per-thread deadline (monotonic seconds)

    def close(self) -> None:
        self.session.close()

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Every call this thread makes inside the block ends by now + seconds (ApiAbandoned
        otherwise), including reading the body. Nested blocks keep the earlier deadline."""
        outer = getattr(self._local, "deadline", None)
        mine = time.monotonic() + seconds
        self._local.deadline = mine if outer is None else min(outer, mine)
        try:
            yield
        finally:
            self._local.deadline = outer

    def deadline_left(self) -> float | None:
        """Seconds left of this thread's deadline block, None outside one (to carry the
        cycle's deadline over to a helper thread, kiosk.sync's page fetched ahead)."""
        end = getattr(self._local, "deadline", None)
        return None if end is None else end - time.monotonic()

    # --- contract calls -------------------------------------------------------------------
    def jobs_page(self, station_id: str, since: str | None, limit: int = 500) -> dict[str, Any]:
        """One page of the jobs delta: {"jobs", "deleted", "cursor", "has_more", "reset"}."""
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        body = self._json("GET", f"/v1/stations/{station_id}/jobs", params=params,
                          max_bytes=MAX_PAGE_BYTES)
        return _delta(body, "jobs")

    def policies_page(self, since: str | None, limit: int = 500) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        return _delta(self._json("GET", "/v1/policies", params=params, max_bytes=MAX_PAGE_BYTES),
                      "policies")

    def station_config(self, station_id: str, etag: str | None = None) -> tuple[bytes | None, str | None]:
        """(raw signed document bytes, ETag); (None, etag) when If-None-Match matched (304).
        Raw bytes because the signature is checked over them by kiosk.remote_config."""
        headers = {"If-None-Match": etag} if etag else {}
        r = self._call("GET", f"/v1/stations/{station_id}/config", headers=headers,
                       max_bytes=MAX_CONFIG_BYTES)
        if r.status_code == 304:
            return None, r.headers.get("ETag", etag)
        return r.content, r.headers.get("ETag")

    def public_key(self, county: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/counties/{county}/public-key")

    def submit_application(self, idempotency_key: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/applications; 201 (first time or replayed) -> the server's record."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        r = self._call("POST", "/v1/applications", data=data,
                       headers={"Idempotency-Key": idempotency_key,
                                "Content-Type": "application/json"})
        return _object(r)

    def my_applications(self, id_number: str, *, station_id: str) -> list[dict[str, Any]]:
        """POST /v1/stations/{id}/my-applications: the seeker's open registrations at this
        county, newest first. A POST so the ID number travels in the body, never in a URL or
        an access log. Read-only, but retried only when the connection never opened (a
        person is waiting; the next tap asks again)."""
        body = self._json("POST", f"/v1/stations/{station_id}/my-applications",
                          json={"id_number": id_number})
        rows = body.get("applications")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ApiServerError("my-applications response without an applications list")
        for r in rows:
            if not isinstance(r.get("id"), str | int) or not isinstance(r.get("status"), str):
                raise ApiServerError("my-applications row without id/status")
        return rows

    def withdraw_application(self, app_id: str, id_number: str, idempotency_key: str, *,
                             station_id: str) -> dict[str, Any]:
        """POST /v1/applications/{id}/withdraw; 200 {"id", "status": "withdrawn"}, the same
        for a repeat (key replayed or row already withdrawn), so the outbox may resend it.
        Retried inside the client like submit_application (same keyed adapter)."""
        r = self._call("POST", f"/v1/applications/{quote(str(app_id), safe='')}/withdraw",
                       json={"station_id": station_id, "id_number": id_number},
                       headers={"Idempotency-Key": idempotency_key})
        answer = _object(r)
        if answer.get("status") != "withdrawn":
            raise ApiServerError(f"{r.status_code}: withdraw answered without status withdrawn")
        return answer

    def report_job(self, idempotency_key: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/job-reports (issue 16: "report this job"); 201 first time or replayed.
        Keyed like an application, so the outbox may resend it."""
        r = self._call("POST", "/v1/job-reports", json=body, headers={"Idempotency-Key": idempotency_key})
        return _object(r)
    # --- standing registrations (issue 16, CONTRACTS "Registration API") ----------------------
    def submit_registration(self, idempotency_key: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/registrations: 201 new, 200 the person's open one updated ("renewed": true);
        the same Idempotency-Key replays the first answer."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        r = self._call("POST", "/v1/registrations", data=data,
                       headers={"Idempotency-Key": idempotency_key, "Content-Type": "application/json"})
        answer = _object(r)
        if not isinstance(answer.get("id"), str | int) or not isinstance(answer.get("reference"), str):
            raise ApiServerError(f"{r.status_code}: registration answered without id/reference")
        return answer

    def standing_registrations(self, id_number: str, *, station_id: str) -> list[dict[str, Any]]:
        """POST /v1/registrations/mine: the person's registrations at this county, newest
        first (the ID number in the body, never in a URL)."""
        body = self._json("POST", "/v1/registrations/mine", json={"station_id": station_id, "id_number": id_number})
        rows = body.get("registrations")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ApiServerError("registrations/mine response without a registrations list")
        for r in rows:
            if not isinstance(r.get("id"), str | int) or not isinstance(r.get("status"), str):
                raise ApiServerError("registrations/mine row without id/status")
        return rows

    def end_registration(self, reg_id: str, id_number: str, idempotency_key: str, *,
                         station_id: str) -> dict[str, Any]:
        """POST /v1/registrations/{id}/end: 200 {"id", "status": "ended"}, the same again."""
        r = self._call("POST", f"/v1/registrations/{quote(str(reg_id), safe='')}/end",
                       json={"station_id": station_id, "id_number": id_number},
                       headers={"Idempotency-Key": idempotency_key})
        answer = _object(r)
        if answer.get("status") != "ended":
            raise ApiServerError(f"{r.status_code}: end answered without status ended")
        return answer

    def put_stats(self, station_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """PUT absolute hourly counts; {"stored": n}. Idempotent (central sets values), so
        retried like a GET."""
        return self._json("PUT", f"/v1/stations/{station_id}/stats", json={"rows": rows})

    def heartbeat(self, station_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """{"received_at", "config_version"}."""
        return self._json("POST", f"/v1/stations/{station_id}/heartbeats", json=body)

    def command_result(self, station_id: str, command_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a remote command's result (kiosk.commands); a screenshot or log bundle rides
        along base64-encoded, so this body may be a few MB."""
        return self._json("POST", f"/v1/stations/{station_id}/commands/{command_id}/result", json=body)

    # --- plumbing -------------------------------------------------------------------------
    def _json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        return _object(self._call(method, path, **kw))

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None,
              max_bytes: int = MAX_BODY_BYTES, **kw: Any) -> requests.Response:
        if not self.base_url:
            raise ApiOffline("no central API configured")
        try:
            token = self._settings.resolved_token()
        except OSError as exc:
            raise ApiUnauthorised(f"cannot read token file: {type(exc).__name__}") from None
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        end = time.monotonic() + self._settings.request_deadline_s
        cycle_end = getattr(self._local, "deadline", None)
        if cycle_end is not None:
            end = min(end, cycle_end)
        left = end - time.monotonic()
        if left <= 0:
            raise ApiAbandoned(f"{method} {path}: sync cycle deadline passed")
        timeout = (min(self.timeout[0], left), min(self.timeout[1], left))
        try:
            r = self.session.request(method, self.base_url + path, headers=all_headers,
                                     timeout=timeout, stream=True, **kw)
            try:
                body = _read_capped(r, max_bytes, end, f"{method} {path}")
            finally:
                r.close()
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ApiOffline(f"{method} {path}: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise ApiOffline(f"{method} {path}: {type(exc).__name__}") from None
        r._content = body  # what r.content / r.json() read from now on
        with self._stats_lock:
            self.stats.bytes_received += len(body)
        if r.status_code < 400:
            return r
        detail = _detail(r)
        if r.status_code in (401, 403):
            raise ApiUnauthorised(f"{r.status_code}: {detail}", r.status_code)
        if r.status_code in RETRY_STATUSES or r.status_code >= 500:
            raise ApiServerError(f"{r.status_code}: {detail}", r.status_code)
        raise ApiRejected(detail, r.status_code)

    def _count(self, r: requests.Response, *_a: Any, **_kw: Any) -> None:
        req = r.request
        sent = len(req.method or "") + len(req.path_url) + 12
        sent += sum(len(k) + len(v) + 4 for k, v in req.headers.items())
        body = req.body or b""
        # requests prepares str or bytes here (a streamed body would have no length to count)
        sent += len(body.encode()) if isinstance(body, str) else len(body) if isinstance(body, bytes) else 0
        got = 15 + sum(len(k) + len(v) + 4 for k, v in r.headers.items())  # body: in _call
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.bytes_sent += sent
            self.stats.bytes_received += got


def _read_capped(r: requests.Response, max_bytes: int, end: float, what: str) -> bytes:
    """The body, read as it arrives (read1: whatever one recv gives, so the clock is checked
    between small reads) and refused past max_bytes or the deadline; nothing more is read."""
    declared = r.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ApiAbandoned(f"{what}: response of {declared} bytes is over {max_bytes}", r.status_code)
    buf = bytearray()
    while True:
        if time.monotonic() > end:
            raise ApiAbandoned(f"{what}: answer too slow, gave up at the deadline", r.status_code)
        try:
            chunk = r.raw.read1(_CHUNK, decode_content=True)
        except Exception as exc:  # urllib3's protocol/timeout/decode errors: no usable answer
            raise ApiOffline(f"{what}: {type(exc).__name__} while reading") from None
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > max_bytes:
            raise ApiAbandoned(f"{what}: response over {max_bytes} bytes", r.status_code)


def _detail(r: requests.Response) -> str:
    """The server's reason (FastAPI puts it in "detail"), kept short; never request data."""
    try:
        detail = r.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # 422: [{"loc": [...], "msg": ...}] — field names only
        detail = "; ".join(
            ".".join(str(p) for p in d.get("loc", [])[1:]) + ": " + str(d.get("msg", ""))
            for d in detail if isinstance(d, dict)
        )
    return str(detail or r.reason or r.status_code)[:300]


def _object(r: requests.Response) -> dict[str, Any]:
    try:
        # orjson: a 1,000-job delta page (~1 MB) parses in about half json's time. JSON is
        # UTF-8 by definition (RFC 8259), which is what orjson reads.
        body = orjson.loads(r.content)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        raise ApiServerError(f"{r.status_code}: response is not JSON", r.status_code) from None
    if not isinstance(body, dict):
        raise ApiServerError(f"{r.status_code}: response is not an object", r.status_code)
    return body


def _delta(body: dict[str, Any], items: str) -> dict[str, Any]:
    if not (isinstance(body.get(items), list) and isinstance(body.get("deleted"), list)
            and isinstance(body.get("cursor"), str)):
        raise ApiServerError(f"delta response without {items}/deleted/cursor")
    body.setdefault("has_more", False)
    body.setdefault("reset", False)
    return body
