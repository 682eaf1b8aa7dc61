"""Routing of scanned payloads: what a QR code (or a serial/HID scan) asks the kiosk to do.

- `job:<id>`, a job link of the central job site (https://HOST/j/<id>), a link made from the
  county's `public_job_url` template, or the readable job summary this kiosk puts in its
  QR codes (several lines, the last ending in `job:<id>`: kiosk.jobcode) -> ("job", id)
- `seeker:<opaque token>` -> ("seeker", token); resolved to a person through the central API
- `enrol:<CODE>` (the county admin page's station enrolment QR) -> ("enrol", CODE): the
  kiosk does not enrol itself from a scan yet; it tells the maintainer to run `gig-kiosk enrol`
- `maint:v1.<payload>.<signature>` -> ("maintenance", operator) only if the county's Ed25519
  signature verifies with `security.maintenance_code_key`, the code is for this station,
  unexpired and not used before on this station (its nonce, kiosk.used_codes)
- `ptest:<A|B>:<nonce>` (the maintenance test page's QR codes, kiosk.printer_check) ->
  ("printer_test", "A:<nonce>"); the visit accepts it only while a self-check is pending
- anything else -> ("unrecognised", "") with a clear message (a msgid)

Payloads are untrusted: length-limited, matched against strict patterns, never executed or
followed as links, and never logged: use `Route.log_text()` (kind, length, short digest).

Maintenance key setting (`security.maintenance_code_key`): "ed25519:<base64 32-byte public
key>". Only the county holds the signing key; a station holds nothing that could mint codes
(the former shared-secret HMAC mode let one station's secret open every station: removed).
The signed payload is compact JSON {"v":1,"sid":station,"exp":unix_s,"op":operator,"n":nonce}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.i18n import N_
from kiosk.jobcode import job_id_in_summary
from kiosk.used_codes import UsedCodes

MAX_PAYLOAD_CHARS = 2048
MAX_MAINT_LIFETIME_S = 31 * 24 * 3600  # a code valid for longer than this is refused anyway
JOB_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,256}")
OPERATOR_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ENROL_RE = re.compile(r"[A-HJ-NP-Z2-9]{4}-?[A-HJ-NP-Z2-9]{4}-?[A-HJ-NP-Z2-9]{4}")  # central.onboarding
NONCE_RE = re.compile(r"[0-9a-f]{16,64}")

JOB, SEEKER, MAINTENANCE, UNRECOGNISED = "job", "seeker", "maintenance", "unrecognised"
ENROL = "enrol"
PRINTER_TEST = "printer_test"
PTEST_RE = re.compile(r"([AB]):([0-9a-f]{16})")  # kiosk.printer_check.payload

# What the seeker is told, by msgid (kiosk.i18n; Chinese in assets/locale/zh).
_MSG = {
    JOB: N_("Opening the job"),
    SEEKER: N_("Identifying you"),
    MAINTENANCE: N_("Maintenance access verified"),
    UNRECOGNISED: N_("Code not recognised"),
    ENROL: N_("This is a station enrolment code: the maintainer enters it with gig-kiosk enrol"),
    PRINTER_TEST: N_("This is a code from the printer test page"),
    "too_long": N_("Code not recognised (too long)"),
    "expired": N_("Maintenance code has expired; get a new one"),
    "wrong_station": N_("This maintenance code is for another station"),
    "no_key": N_("Maintenance codes are not set up on this station"),
    "used": N_("This maintenance code has already been used; get a new one"),
}


@dataclass(frozen=True, slots=True)
class Route:
    kind: str  # job | seeker | maintenance | unrecognised
    value: str = ""  # job id, seeker token, maintenance operator id; "" when unrecognised
    msgid: str = ""  # what to tell the seeker (kiosk.i18n)
    reason: str = ""  # short English cause when unrecognised; safe to log
    expires_at: float | None = None  # maintenance: unix time the access ends
    digest: str = ""  # first 8 hex of SHA-256 of the payload, to correlate logs

    @property
    def recognised(self) -> bool:
        return self.kind != UNRECOGNISED

    def log_text(self) -> str:
        """What may be logged: never the payload, the token or a person's data."""
        extra = f" job={self.value}" if self.kind == JOB else ""
        why = f" reason={self.reason}" if self.reason else ""
        return f"code kind={self.kind}{extra}{why} digest={self.digest}"


def _route(kind: str, value: str = "", *, digest: str, reason: str = "", msg: str = "",
           expires_at: float | None = None) -> Route:
    return Route(kind, value, _MSG[msg or kind], reason, expires_at, digest)


def route(text: str, settings: Any, now: float | None = None, used: UsedCodes | None = None,
          public_job_url: str = "") -> Route:
    """Decide what a scanned payload means. Never raises on any input text.
    `used`: this station's ledger of used maintenance codes; without one no maintenance code
    is accepted (it could not be made single-use). `public_job_url`: the county's job page
    template (station config), whose links open the job too."""
    text = text if isinstance(text, str) else ""
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:8]
    if len(text) > MAX_PAYLOAD_CHARS:
        return _route(UNRECOGNISED, digest=digest, reason="too long", msg="too_long")
    t = text.strip().replace("\r\n", "\n")
    if any((ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7F for ch in t):
        return _route(UNRECOGNISED, digest=digest, reason="control characters")
    if "\n" in t:  # only our own job summary has several lines
        summary_job_id = job_id_in_summary(t)
        if summary_job_id:
            return _route(JOB, summary_job_id, digest=digest)
        return _route(UNRECOGNISED, digest=digest, reason="unknown text")
    low = t.lower()
    try:
        if low.startswith("job:"):
            job_id = t[4:].strip()
            if JOB_ID_RE.fullmatch(job_id):
                return _route(JOB, job_id, digest=digest)
            return _route(UNRECOGNISED, digest=digest, reason="bad job id")
        if low.startswith(("https://", "http://")):
            url_job_id = _job_id_from_template(t, public_job_url) or _job_id_from_url(t, settings)
            if url_job_id:
                return _route(JOB, url_job_id, digest=digest)
            return _route(UNRECOGNISED, digest=digest, reason="foreign link")
        if low.startswith("seeker:"):
            token = t[7:].strip()
            if TOKEN_RE.fullmatch(token):
                return _route(SEEKER, token, digest=digest)
            return _route(UNRECOGNISED, digest=digest, reason="bad seeker token")
        if low.startswith("enrol:"):
            code = t[6:].strip().upper()
            if ENROL_RE.fullmatch(code):
                return _route(ENROL, code, digest=digest)
            return _route(UNRECOGNISED, digest=digest, reason="bad enrolment code")
        if t.startswith("ptest:"):
            if PTEST_RE.fullmatch(t[6:]):
                return _route(PRINTER_TEST, t[6:], digest=digest)
            return _route(UNRECOGNISED, digest=digest, reason="bad printer test code")
        if low.startswith("maint:"):
            return _maintenance(t[6:], settings, time.time() if now is None else now, digest, used)
    except Exception:  # belt and braces: a routing bug must not crash the scan path
        return _route(UNRECOGNISED, digest=digest, reason="router error")
    return _route(UNRECOGNISED, digest=digest, reason="unknown scheme")


# --- job links -----------------------------------------------------------------------------
def _job_hosts(settings: Any) -> tuple[set[str], str]:
    """Accepted hosts and the path prefix of job links, from settings."""
    hosts = {h.lower() for h in getattr(settings.devices.scanner, "job_hosts", [])}
    prefix = "/j/"
    template = getattr(settings.api, "job_url", "")  # e.g. https://jobs.example.gov.cn/j/{id}
    if "{id}" in template:
        parts = urlsplit(template.split("{id}")[0])
        if parts.hostname:
            hosts.add(parts.hostname.lower())
            prefix = parts.path or prefix
    return hosts, prefix


def _job_id_from_template(url: str, template: str) -> str | None:
    """The job id of a link made from `template` (with {job_id}), exactly as the kiosk makes it."""
    head, sep, tail = template.partition("{job_id}")
    if not sep or len(url) <= len(head) + len(tail):
        return None
    if not (url[:len(head)].lower() == head.lower() and url[len(url) - len(tail):].lower() == tail.lower()):
        return None
    job_id = url[len(head):len(url) - len(tail)]
    return job_id if JOB_ID_RE.fullmatch(job_id) else None


def _job_id_from_url(url: str, settings: Any) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    hosts, prefix = _job_hosts(settings)
    # http is accepted too: the link is never opened, only its job id is read
    if parts.scheme.lower() not in ("https", "http") or parts.username or parts.password \
            or port not in (None, 80, 443):
        return None
    if (parts.hostname or "").lower() not in hosts:
        return None
    paths = {prefix, "/j/"}
    for p in paths:
        if parts.path.startswith(p):
            job_id = parts.path[len(p):].rstrip("/")
            if JOB_ID_RE.fullmatch(job_id):
                return job_id
    return None


# --- maintenance codes ----------------------------------------------------------------------
def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _parse_key(setting: str) -> tuple[str, bytes] | None:
    """("ed25519", public key bytes); None if unset, malformed or of another kind."""
    kind, _, b64 = setting.strip().partition(":")
    try:
        raw = base64.b64decode(b64, validate=True) if b64 else b""
    except (binascii.Error, ValueError):
        return None
    if kind.lower() == "ed25519" and len(raw) == 32:
        return "ed25519", raw
    return None


def _maintenance(body: str, settings: Any, now: float, digest: str, used: UsedCodes | None) -> Route:
    key = _parse_key(settings.security.maintenance_code_key)
    if key is None:
        return _route(UNRECOGNISED, digest=digest, reason="no maintenance key", msg="no_key")
    version, _, rest = body.partition(".")
    payload_b64, _, sig_b64 = rest.partition(".")
    if version != "v1" or not payload_b64 or not sig_b64 or len(body) > 512:
        return _route(UNRECOGNISED, digest=digest, reason="bad maintenance code")
    try:
        payload, sig = _b64d(payload_b64), _b64d(sig_b64)
    except (binascii.Error, ValueError):
        return _route(UNRECOGNISED, digest=digest, reason="bad maintenance code")
    signed = b"maint:v1." + payload_b64.encode("ascii")
    if not _verify(key, signed, sig):
        return _route(UNRECOGNISED, digest=digest, reason="bad signature")
    # only signed bytes are parsed from here on
    try:
        claims = json.loads(payload)
        sid, exp, op = claims["sid"], claims["exp"], claims.get("op", "maintainer")
        nonce = claims["n"]
    except (ValueError, KeyError, TypeError):
        return _route(UNRECOGNISED, digest=digest, reason="bad maintenance claims")
    if not (isinstance(exp, int | float) and isinstance(sid, str) and isinstance(op, str)
            and OPERATOR_RE.fullmatch(op) and claims.get("v") == 1
            and isinstance(nonce, str) and NONCE_RE.fullmatch(nonce)):
        return _route(UNRECOGNISED, digest=digest, reason="bad maintenance claims")
    if sid != settings.station.id:
        return _route(UNRECOGNISED, digest=digest, reason="other station", msg="wrong_station")
    if exp <= now:
        return _route(UNRECOGNISED, digest=digest, reason="expired", msg="expired")
    if exp - now > MAX_MAINT_LIFETIME_S:
        return _route(UNRECOGNISED, digest=digest, reason="lifetime too long")
    if used is None:
        return _route(UNRECOGNISED, digest=digest, reason="no code ledger", msg="no_key")
    state = used.use(nonce, float(exp), now)
    if state != "ok":
        return _route(UNRECOGNISED, digest=digest, reason="already used", msg="used")
    return _route(MAINTENANCE, op, digest=digest, expires_at=float(exp))


def _verify(key: tuple[str, bytes], signed: bytes, sig: bytes) -> bool:
    _, material = key
    try:
        Ed25519PublicKey.from_public_bytes(material).verify(sig, signed)
        return True
    except (InvalidSignature, ValueError):
        return False


def make_maintenance_code(
    signing_key: str,
    station_id: str,
    ttl_s: float = 8 * 3600,
    operator: str = "maintainer",
    now: float | None = None,
) -> str:
    """A signed maintenance payload for a QR code (for the county's tools and tests).

    `signing_key`: "ed25519-private:<base64 32-byte seed>"."""
    if not OPERATOR_RE.fullmatch(operator):
        raise ValueError("operator: 1-64 of A-Z a-z 0-9 _ . -")
    now = time.time() if now is None else now
    claims = {"v": 1, "sid": station_id, "exp": int(now + ttl_s), "op": operator,
              "n": secrets.token_hex(8)}  # 64 bits: the single-use ledger's key
    payload_b64 = _b64e(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    signed = b"maint:v1." + payload_b64.encode("ascii")
    kind, _, b64 = signing_key.partition(":")
    raw = base64.b64decode(b64, validate=True)
    if kind != "ed25519-private" or len(raw) != 32:
        raise ValueError("signing key must be ed25519-private:<b64 32 bytes>")
    sig = Ed25519PrivateKey.from_private_bytes(raw).sign(signed)
    return f"maint:v1.{payload_b64}.{_b64e(sig)}"


def new_ed25519_keys() -> tuple[str, str]:
    """(signing key for make_maintenance_code, value for security.maintenance_code_key)."""
    from cryptography.hazmat.primitives import serialization as ser

    priv = Ed25519PrivateKey.generate()
    seed = priv.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    pub = priv.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return ("ed25519-private:" + base64.b64encode(seed).decode(), "ed25519:" + base64.b64encode(pub).decode())
