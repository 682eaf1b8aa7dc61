"""Sends queued alert events (alert_deliveries rows) by e-mail (smtplib) and signed webhook.

`deliver_pending(engine, now)` is called by the periodic runner, never by a request: the API
and the evaluation only insert queue rows, so a slow or dead mail server never holds up a
request. Each due row is claimed first (its next attempt moved past the send timeout, in a
short transaction; on PostgreSQL with SKIP LOCKED), so two instances never send one row twice
at once, then sent outside any transaction, then marked. A failure is retried with doubling
backoff (1, 2, 4 ... 60 min) and given up after MAX_ATTEMPTS (about 9 hours of trying).

Quiet hours (per county, local time): a warning event due inside them is deferred to their
end, without counting an attempt; critical events (offline, paper out, printer or ID reader
down) are sent at once.

Webhook: POST of the JSON event with headers `X-Gig-Timestamp` (unix seconds) and
`X-Gig-Signature: sha256=<hex HMAC-SHA-256(secret, timestamp + "." + body)>` (central/README.md).
The secret is stored sealed (AES-256-GCM under the data key, bound to the county): a copy of the
database alone cannot forge the county's webhook calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central import quiet_hours
from central.alerts import alert_dict, channels
from central.models import Alert, AlertDelivery, AlertSettings, Station
from central.security import DataCipher, decode_key
from central.services import iso

MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(minutes=60)
SEND_TIMEOUT_S = 10.0
CLAIM = timedelta(minutes=5)  # a claimed row whose sender died is retried after this
BATCH = 200

KIND_NAMES = {
    "offline": "驿站离线 station offline", "paper_out": "缺纸 paper out", "paper_low": "纸将用完 paper low",
    "device_printer": "打印机故障 printer fault", "device_idcard": "读卡器故障 ID reader fault",
    "device_scanner": "扫码器故障 scanner fault", "device_camera": "摄像头故障 camera fault",
    "outbox_backlog": "待发送积压 outbox backlog", "config_rejected": "配置被拒 config rejected",
    "clock_skew": "时钟偏差 clock skew", "disk_low": "磁盘将满 disk almost full",
    "update_failed": "更新失败 update failed",
}


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """"22:00-07:00" -> (22:00, 07:00); "" -> None. Raises ValueError when malformed."""
    return quiet_hours.parse(value)


def quiet_until(settings: AlertSettings, now: datetime) -> datetime | None:
    """The end of the quiet period `now` falls in (UTC), or None outside quiet hours."""
    return quiet_hours.until(settings.quiet_hours, ZoneInfo(settings.timezone or "Asia/Shanghai"), now)


def event_json(alert: Alert, station: Station | None, event: str, now: datetime) -> dict[str, Any]:
    return {"event": f"alert.{event}", "sent_at": iso(now), "alert": {
        **alert_dict(alert), "station_name": station.name if station else "",
        "kind_name": KIND_NAMES.get(alert.kind, alert.kind)}}


SEALED = "v1:"  # prefix of a sealed secret; anything else is a clear one from before sealing


def seal_secret(cipher: DataCipher, county: str, secret: str) -> str:
    """The webhook secret as stored: AES-GCM under the data key, the county as associated data
    (a sealed value copied to another county's row does not open)."""
    if not secret:
        return ""
    blob = cipher.encrypt(secret.encode("utf-8"), b"webhook-secret:" + county.encode())
    return SEALED + base64.b64encode(blob).decode("ascii")


def open_secret(cipher: DataCipher | None, county: str, stored: str) -> str:
    if not stored.startswith(SEALED):
        return stored  # saved before sealing; sealed on the next save
    if cipher is None:
        cipher = env_cipher()
    blob = base64.b64decode(stored[len(SEALED):])
    return cipher.decrypt(blob, b"webhook-secret:" + county.encode()).decode("utf-8")


def env_cipher() -> DataCipher:
    """The data key `serve` puts in the environment (the periodic runner has no app)."""
    from central.app import DATA_KEY_ENV

    return DataCipher(decode_key(os.environ[DATA_KEY_ENV]))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(settings: AlertSettings, payload: dict[str, Any], now: datetime,
                 cipher: DataCipher | None = None) -> None:
    secret = open_secret(cipher, settings.county, settings.webhook_secret)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ts = str(int(now.timestamp()))
    r = requests.post(settings.webhook_url, data=body, allow_redirects=False, timeout=SEND_TIMEOUT_S, headers={
        "Content-Type": "application/json", "User-Agent": "gig-central-alerts",
        "X-Gig-Timestamp": ts, "X-Gig-Signature": sign(secret, ts, body)})
    if r.status_code >= 300:
        raise RuntimeError(f"webhook answered {r.status_code}")


def send_email(settings: AlertSettings, payload: dict[str, Any]) -> None:
    a = payload["alert"]
    verb = {"alert.opened": "告警 ALERT", "alert.resolved": "已恢复 RESOLVED"}[payload["event"]]
    msg = EmailMessage()
    msg["Subject"] = f"[{verb}] {a['station_name'] or a['station_id']}: {a['kind_name']}"
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(settings.smtp_to)
    lines = [f"驿站 Station: {a['station_name']} ({a['station_id']}, {a['county']})",
             f"问题 Problem: {a['kind_name']} — {a['detail']}", f"级别 Severity: {a['severity']}",
             f"开始 Opened: {a['opened_at']}"]
    if a["resolved_at"]:
        lines.append(f"恢复 Resolved: {a['resolved_at']}")
    if a["acknowledged_by"]:
        lines.append(f"确认 Acknowledged: {a['acknowledged_by']} {a['acknowledged_at']}")
    msg.set_content("\n".join(lines) + "\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SEND_TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        smtp.send_message(msg)


def _claim(engine: Engine, now: datetime) -> list[int]:
    with Session(engine) as s:
        q = (select(AlertDelivery).where(AlertDelivery.state == "pending", AlertDelivery.next_attempt_at <= now)
             .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id).limit(BATCH))
        if engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = s.scalars(q).all()
        for row in rows:
            row.next_attempt_at = now + CLAIM
        s.commit()
        return [r.id for r in rows]


def _deliver_one(engine: Engine, delivery_id: int, now: datetime, summary: dict[str, int],
                 cipher: DataCipher | None) -> None:
    with Session(engine) as s:
        row = s.get(AlertDelivery, delivery_id)
        alert = s.get(Alert, row.alert_id) if row else None
        settings = s.get(AlertSettings, row.county) if row else None
        if row is None or alert is None:
            return
        if settings is None or row.channel not in channels(settings):
            row.state, row.last_error = "failed", "channel no longer configured"
            summary["failed"] += 1
            s.commit()
            return
        until = quiet_until(settings, now) if alert.severity != "critical" else None
        if until is not None:
            row.next_attempt_at = until  # deferred, not dropped; no attempt counted
            summary["deferred"] += 1
            s.commit()
            return
        payload = event_json(alert, s.get(Station, alert.station_id), row.event, now)
        s.commit()  # no transaction held open while talking to a mail or web server
        try:
            if row.channel == "email":
                send_email(settings, payload)
            else:
                send_webhook(settings, payload, now, cipher)
        except Exception as exc:  # any failure of the far end is retried
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"
                summary["failed"] += 1
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                summary["retry"] += 1
        else:
            row.attempts += 1
            row.state, row.sent_at, row.last_error = "sent", now, ""
            summary["sent"] += 1
        s.commit()


def deliver_pending(engine: Engine, now: datetime, cipher: DataCipher | None = None) -> dict[str, int]:
    """Sends every due queued event once; returns counts {"sent", "retry", "failed", "deferred"}.
    `cipher` opens the sealed webhook secret (default: the data key in the environment)."""
    summary = {"sent": 0, "retry": 0, "failed": 0, "deferred": 0}
    for delivery_id in _claim(engine, now):
        _deliver_one(engine, delivery_id, now, summary, cipher)
    return summary
