"""Alert delivery to real local receivers: an aiosmtpd SMTP server and an HTTP server that checks
the webhook's HMAC; retry with backoff after a receiver failure; quiet hours defer warnings
but not critical alerts. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from alert_helpers import beat, new_station
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central import db
from central.alert_delivery import BACKOFF_FIRST, deliver_pending, seal_secret
from central.alerts import run_alerts
from central.app import DATA_KEY_ENV
from central.models import Alert, AlertDelivery, AlertSettings
from central.security import DataCipher, encode_key, new_data_key
from central.services import now
from central.testing import free_port

SECRET = "s3cret-webhook-key"
DATA_KEY = new_data_key()


@pytest.fixture(autouse=True)
def data_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """As `serve` does: the periodic runner opens the sealed webhook secret with this key."""
    monkeypatch.setenv(DATA_KEY_ENV, encode_key(DATA_KEY))


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd API
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


class Receiver:
    """A webhook endpoint on 127.0.0.1: verifies the signature; can fail the next N posts."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers["X-Gig-Timestamp"]
                want = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, self.headers.get("X-Gig-Signature", "")):
                    outer.bad_signatures += 1
                    self.send_response(401)
                elif outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(503)
                else:
                    outer.events.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def engine(server) -> Iterator[Engine]:  # noqa: ANN001
    e = db.make_engine(server.database_url)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.httpd.shutdown()


def _settings(engine: Engine, mailbox: Mailbox, receiver: Receiver, quiet: str = "") -> None:
    with Session(engine) as s:
        row = s.get(AlertSettings, "west") or AlertSettings(county="west")
        row.smtp_host, row.smtp_port, row.smtp_starttls = "127.0.0.1", mailbox.port, False  # type: ignore[attr-defined]
        row.smtp_from, row.smtp_to = "alerts@county.example", ["maint@county.example", "boss@county.example"]
        row.webhook_url, row.webhook_secret = receiver.url, seal_secret(DataCipher(DATA_KEY), "west", SECRET)
        row.quiet_hours, row.timezone = quiet, "Asia/Shanghai"
        s.add(row)
        s.commit()


def _mine(items: list, sid: str) -> list:
    return [i for i in items if sid in json.dumps(i, default=str)]


def _mails(mailbox: Mailbox, sid: str) -> list[tuple[list[str], str, str]]:
    out = []
    for rcpt, msg in mailbox.messages:
        subject = str(make_header(decode_header(msg["Subject"])))
        body = msg.get_payload(decode=True).decode()
        if sid in body:
            out.append((rcpt, subject, body))
    return out


def test_email_and_webhook_delivered_then_resolved(server, engine, mailbox, receiver) -> None:  # noqa: ANN001
    _settings(engine, mailbox, receiver)
    sid, token = new_station(engine, "west")
    beat(server, sid, token, rejected_config={"version": 9, "reason": "radius_km too large"})
    t = now()
    summary = run_alerts(engine, t)
    assert summary["queued"] >= 2
    deliver_pending(engine, t)
    (mail,) = _mails(mailbox, sid)
    assert mail[0] == ["maint@county.example", "boss@county.example"]
    assert "配置被拒 config rejected" in mail[1] and "ALERT" in mail[1] and "radius_km too large" in mail[2]
    (event,) = _mine(receiver.events, sid)
    assert event["event"] == "alert.opened" and event["alert"]["kind"] == "config_rejected"
    assert event["alert"]["county"] == "west" and receiver.bad_signatures == 0
    # fixed: a "resolved" event on both channels
    beat(server, sid, token)
    run_alerts(engine, t + timedelta(minutes=1))
    deliver_pending(engine, t + timedelta(minutes=1))
    assert [m[1].startswith("[已恢复 RESOLVED]") for m in _mails(mailbox, sid)] == [False, True]
    assert [e["event"] for e in _mine(receiver.events, sid)] == ["alert.opened", "alert.resolved"]
    assert _mine(receiver.events, sid)[1]["alert"]["resolved_at"]


def test_webhook_failure_is_retried_with_backoff(server, engine, mailbox, receiver) -> None:  # noqa: ANN001
    _settings(engine, mailbox, receiver)
    sid, token = new_station(engine, "west")
    beat(server, sid, token, update_failed={"version": "2.0", "reason": "rolled back"})
    t = now()
    run_alerts(engine, t)
    receiver.fail_next = 2
    first = deliver_pending(engine, t)
    assert first["retry"] >= 1 and _mine(receiver.events, sid) == []
    # not due before the backoff has passed
    assert deliver_pending(engine, t + BACKOFF_FIRST / 2)["sent"] == 0
    deliver_pending(engine, t + BACKOFF_FIRST)  # second failure: next try 2 min later
    assert _mine(receiver.events, sid) == []
    deliver_pending(engine, t + BACKOFF_FIRST * 3)
    (event,) = _mine(receiver.events, sid)
    assert event["alert"]["kind"] == "update_failed"
    assert len(_mails(mailbox, sid)) == 1  # the e-mail went the first time, once
    deliver_pending(engine, t + timedelta(hours=2))
    assert len(_mine(receiver.events, sid)) == 1 and len(_mails(mailbox, sid)) == 1


def test_quiet_hours_defer_warnings_not_critical(server, engine, mailbox, receiver) -> None:  # noqa: ANN001
    # 03:00 in Shanghai, quiet 22:00-07:00: warnings wait until 07:00 local (23:00 UTC)
    t = datetime(2030, 3, 1, 19, 0, tzinfo=UTC)
    _settings(engine, mailbox, receiver, quiet="22:00-07:00")
    sid, token = new_station(engine, "west")
    beat(server, sid, token, rejected_config={"version": 1, "reason": "quiet test"})
    loud, loud_token = new_station(engine, "west")
    beat(server, loud, loud_token, paper="out")
    with Session(engine) as s:  # move their heartbeats to the simulated night
        from sqlalchemy import update

        from central.models import Station
        s.execute(update(Station).where(Station.id.in_([sid, loud])).values(last_heartbeat_at=t))
        s.commit()
    run_alerts(engine, t)
    run_alerts(engine, t + timedelta(minutes=2))  # paper out holds 2 min: opens (critical)
    deliver_pending(engine, t + timedelta(minutes=2))
    assert len(_mine(receiver.events, loud)) == 1 and len(_mails(mailbox, loud)) == 1
    assert _mine(receiver.events, sid) == [] and _mails(mailbox, sid) == []
    with Session(engine) as s:
        due = {r.next_attempt_at.replace(tzinfo=UTC) if r.next_attempt_at.tzinfo is None else r.next_attempt_at
               for r in s.scalars(select(AlertDelivery).where(AlertDelivery.state == "pending"))}
    assert datetime(2030, 3, 1, 23, 0, tzinfo=UTC) in due
    deliver_pending(engine, datetime(2030, 3, 1, 22, 59, tzinfo=UTC))
    assert _mine(receiver.events, sid) == []
    deliver_pending(engine, datetime(2030, 3, 1, 23, 0, tzinfo=UTC))
    assert len(_mine(receiver.events, sid)) == 1 and len(_mails(mailbox, sid)) == 1
    _settings(engine, mailbox, receiver)  # other tests of the module: no quiet hours


def _tls_files(tmp: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1, made here."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (tmp / "ca.pem", tmp / "server.pem", tmp / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def test_starttls_is_used_and_verified(server, engine, mailbox, receiver, tmp_path: Path,  # noqa: ANN001
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that requires STARTTLS gets the mail over TLS, its certificate checked against
    the system's trust store (here: SSL_CERT_FILE naming a test CA)."""
    ca, cert, key = _tls_files(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    tls = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    tls.start()
    try:
        _settings(engine, mailbox, receiver)
        with Session(engine) as s:
            row = s.get(AlertSettings, "west")
            row.smtp_port, row.smtp_starttls, row.webhook_url = tls.port, True, ""
            s.commit()
        sid, token = new_station(engine, "west")
        beat(server, sid, token, disk_free_mb=10, disk_total_mb=8000)
        t = now()
        run_alerts(engine, t)
        run_alerts(engine, t + timedelta(minutes=10))  # disk_low holds 10 min before opening
        # untrusted certificate: refused, retried later
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing.pem"))
        deliver_pending(engine, t + timedelta(minutes=10))
        assert _mails(box, sid) == []
        with Session(engine) as s:
            error = s.scalars(select(AlertDelivery.last_error).join(Alert, Alert.id == AlertDelivery.alert_id)
                              .where(Alert.station_id == sid, AlertDelivery.state == "pending")).one()
        assert "SSLCertVerificationError" in error
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        deliver_pending(engine, t + timedelta(minutes=12))
        (mail,) = _mails(box, sid)
        assert "磁盘将满 disk almost full" in mail[1]
    finally:
        tls.stop()
        _settings(engine, mailbox, receiver)


def test_gives_up_after_max_attempts(server, engine, mailbox, receiver) -> None:  # noqa: ANN001
    from central.alert_delivery import MAX_ATTEMPTS, backoff

    _settings(engine, mailbox, receiver)
    sid, token = new_station(engine, "west")
    beat(server, sid, token, update_failed={"version": "2.1", "reason": "signature"})
    t = now()
    run_alerts(engine, t)
    receiver.fail_next = 1000
    try:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deliver_pending(engine, t)
            t += backoff(attempt)
    finally:
        receiver.fail_next = 0
    with Session(engine) as s:
        row = s.scalars(select(AlertDelivery).join(Alert, Alert.id == AlertDelivery.alert_id)
                        .where(Alert.station_id == sid, AlertDelivery.channel == "webhook")).one()
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS) and "503" in row.last_error
    assert _mine(receiver.events, sid) == [] and len(_mails(mailbox, sid)) == 1
