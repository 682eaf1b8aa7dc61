"""Station alerts, raised at central from heartbeats and their absence.

`run_alerts(engine, now)` is one evaluation cycle (the periodic runner calls it about once a
minute). Each station's latest heartbeat (the columns of `stations`) is turned into a set of
conditions (`conditions`); each condition is an `alerts` row, one active row per station and
kind (a partial unique index). Flapping is damped by time, not by counting cycles, so the
numbers hold whatever the cycle length:

- a condition seen for the first time is `pending`; it opens once it has held for `open_after`
  (a pending row whose condition clears before that is deleted: a blip never pages anyone);
- an open alert whose condition clears records `clear_since`, and resolves once it has stayed
  clear for `clear_after`; a condition that comes back before that cancels `clear_since`.

While a station is offline its other conditions are frozen (its last report is stale: paper
changed or not, we cannot know), so they neither open nor resolve until it reports again.
Opening and resolving enqueue deliveries (central.alert_delivery); nothing here sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central.models import Alert, AlertDelivery, AlertSettings, County, Station
from central.services import as_utc, iso

MIN = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Rule:
    severity: str  # critical: delivered even in quiet hours
    open_after: timedelta
    clear_after: timedelta


# Why these numbers (the evaluation runs every minute; a heartbeat comes every minute):
# - offline already waits 3 heartbeat intervals, so it opens at once; it resolves after 5 min
#   back online, so a station on a failing mobile link does not page every few minutes.
# - paper out: a maintainer changing a roll takes a minute or two; 2 min hides that.
# - paper low: the near-end sensor flickers as the roll wobbles, and low is not urgent.
# - devices: drivers reconnect with backoff within seconds to a minute (a USB re-plug, a
#   reader's reset); 3 min is past that, and they must work 5 min to count as fixed.
# - config rejected and update failed are reports of a finished event, not noisy readings.
# - outbox, clock, disk change slowly; 10 min keeps a reading taken mid-change from paging.
RULES: dict[str, Rule] = {
    "offline": Rule("critical", timedelta(0), 5 * MIN),
    "paper_out": Rule("critical", 2 * MIN, 5 * MIN),
    "paper_low": Rule("warning", 10 * MIN, 30 * MIN),
    "device_printer": Rule("critical", 3 * MIN, 5 * MIN),
    "device_idcard": Rule("critical", 3 * MIN, 5 * MIN),
    "device_scanner": Rule("warning", 3 * MIN, 5 * MIN),
    "device_camera": Rule("warning", 3 * MIN, 5 * MIN),
    "outbox_backlog": Rule("warning", 10 * MIN, 10 * MIN),
    "config_rejected": Rule("warning", timedelta(0), timedelta(0)),
    "clock_skew": Rule("warning", 10 * MIN, 10 * MIN),
    "disk_low": Rule("warning", 10 * MIN, 30 * MIN),
    "update_failed": Rule("warning", timedelta(0), timedelta(0)),
}
KINDS = tuple(RULES)

OFFLINE_AFTER_INTERVALS = 3
DEFAULT_HEARTBEAT_S = 60
# Applications wait in the kiosk's outbox for the next sync (every 5 min by default): 30 min
# is six missed flushes; 50 rows is more than two hours of a busy station's registrations.
OUTBOX_MAX_DEPTH = 50
OUTBOX_MAX_AGE_S = 30 * 60
CLOCK_SKEW_MAX_S = 120  # consent times are checked against central's clock (schemas.Consent)
DISK_MIN_FREE_MB = 500  # a day of logs and the job cache with room to spare
DISK_MIN_FREE_FRACTION = 0.05
FAULTY = {"error": "fault", "no_device": "missing"}
_DEVICE_KIND = {"printer": "device_printer", "idcard": "device_idcard", "camera": "device_camera",
                "serial-scanner": "device_scanner"}

_COLUMNS = (Station.id, Station.county, Station.disabled, Station.last_heartbeat_at,
            Station.heartbeat_interval_s, Station.config, Station.paper, Station.devices,
            Station.outbox_depth, Station.outbox_oldest_s, Station.rejected_config_version,
            Station.rejected_config_reason, Station.clock_skew_s, Station.disk_free_mb,
            Station.disk_total_mb, Station.update_failed_version,
            Station.update_failed_reason)


def _utc(value: datetime) -> datetime:
    return as_utc(value)  # type: ignore[return-value]


def interval_s(row: Any, county_config: dict[str, Any]) -> int:
    """The heartbeat interval the station said it uses, else the one its config sets."""
    if row.heartbeat_interval_s:
        return int(row.heartbeat_interval_s)
    for layer in (row.config or {}, county_config):
        if isinstance(layer.get("heartbeat_interval_s"), int):
            return int(layer["heartbeat_interval_s"])
    return DEFAULT_HEARTBEAT_S


def _device_kind(name: str) -> str | None:
    if name.startswith("scanner"):
        return "device_scanner"
    return _DEVICE_KIND.get(name)


def conditions(row: Any, now: datetime, county_config: dict[str, Any]) -> tuple[dict[str, str], bool]:
    """(kind -> detail for each condition that holds, offline). Offline: only "offline"."""
    age = (now - _utc(row.last_heartbeat_at)).total_seconds()
    interval = interval_s(row, county_config)
    if age > OFFLINE_AFTER_INTERVALS * interval:
        return {"offline": f"no heartbeat for {int(age // 60)} min (interval {interval} s)"}, True
    found: dict[str, str] = {}
    if row.paper == "out":
        found["paper_out"] = "printer is out of paper"
    elif row.paper == "low":
        found["paper_low"] = "paper roll is nearly used up"
    for name, dev in sorted((row.devices or {}).items()):
        kind = _device_kind(name)
        state = dev.get("state") if isinstance(dev, dict) else None
        if kind == "device_printer" and dev.get("paper_end") and not dev.get("cover_open"):
            continue  # a printer out of paper reports an error too: that is paper_out's alert
        if kind and state in FAULTY:
            text = f"{name}: {FAULTY[state]}"
            if dev.get("detail"):
                text += f" ({dev['detail']})"
            found[kind] = (found[kind] + "; " + text) if kind in found else text
    depth, oldest = row.outbox_depth or 0, row.outbox_oldest_s or 0
    if depth >= OUTBOX_MAX_DEPTH or oldest >= OUTBOX_MAX_AGE_S:
        found["outbox_backlog"] = f"{depth} unsent, oldest {oldest // 60} min"
    if row.rejected_config_version is not None or row.rejected_config_reason:
        found["config_rejected"] = f"v{row.rejected_config_version}: {row.rejected_config_reason or ''}"
    if row.clock_skew_s is not None and abs(row.clock_skew_s) > CLOCK_SKEW_MAX_S:
        found["clock_skew"] = f"kiosk clock is {row.clock_skew_s:+.0f} s off"
    if row.disk_free_mb is not None:
        total = row.disk_total_mb or 0
        if row.disk_free_mb < DISK_MIN_FREE_MB or (total and row.disk_free_mb < DISK_MIN_FREE_FRACTION * total):
            found["disk_low"] = f"{row.disk_free_mb} MB free of {total} MB"
    if row.update_failed_version:
        found["update_failed"] = f"{row.update_failed_version}: {row.update_failed_reason or ''}"
    return {k: v[:300] for k, v in found.items()}, False


class _Cycle:
    def __init__(self, s: Session, now: datetime) -> None:
        self.s, self.now = s, now
        self.channels: dict[str, list[str]] = {}
        for st in s.scalars(select(AlertSettings)):
            self.channels[st.county] = channels(st)
        self.events: list[tuple[Alert, str]] = []
        self.summary = {"stations": 0, "opened": 0, "resolved": 0, "pending": 0, "open": 0, "queued": 0}

    def enqueue(self, alert: Alert, event: str) -> None:
        if self.channels.get(alert.county):
            self.events.append((alert, event))

    def write_deliveries(self) -> None:
        """One flush for every alert row, then one multi-row insert of the queue rows: a mass
        outage opens ~2,000 alerts in one cycle, and a flush per alert cost seconds."""
        self.s.flush()  # alert ids, for the delivery rows
        rows = [{"alert_id": a.id, "county": a.county, "channel": channel, "event": event, "state": "pending",
                 "attempts": 0, "next_attempt_at": self.now, "last_error": "", "created_at": self.now}
                for a, event in self.events for channel in self.channels[a.county]]
        if rows:
            self.s.execute(insert(AlertDelivery), rows)
        self.summary["queued"] = len(rows)

    def open(self, alert: Alert) -> None:
        alert.state, alert.opened_at, alert.clear_since = "open", self.now, None
        self.enqueue(alert, "opened")
        self.summary["opened"] += 1

    def resolve(self, alert: Alert) -> None:
        if alert.state == "pending":  # never opened: nobody was told, nothing to keep
            self.s.delete(alert)
            return
        alert.state, alert.resolved_at = "resolved", self.now
        self.enqueue(alert, "resolved")
        self.summary["resolved"] += 1

    def seen(self, station: str, county: str, kind: str, detail: str, alert: Alert | None) -> None:
        rule = RULES[kind]
        if alert is None:
            alert = Alert(station_id=station, county=county, kind=kind, severity=rule.severity,
                          state="pending", detail=detail, first_seen_at=self.now)
            self.s.add(alert)
        alert.detail, alert.clear_since = detail, None
        if alert.state == "pending" and self.now - _utc(alert.first_seen_at) >= rule.open_after:
            self.open(alert)

    def cleared(self, alert: Alert) -> None:
        if alert.state == "pending":
            self.resolve(alert)
            return
        if alert.clear_since is None:
            alert.clear_since = self.now
        if self.now - _utc(alert.clear_since) >= RULES[alert.kind].clear_after:
            self.resolve(alert)


def channels(settings: AlertSettings) -> list[str]:
    """The delivery channels a county has configured."""
    out = []
    if settings.smtp_host and settings.smtp_from and settings.smtp_to:
        out.append("email")
    if settings.webhook_url:
        out.append("webhook")
    return out


def evaluate(s: Session, now: datetime) -> dict[str, int]:
    """One evaluation over every station (the caller commits)."""
    cycle = _Cycle(s, now)
    active: dict[str, dict[str, Alert]] = {}
    for alert in s.scalars(select(Alert).where(Alert.resolved_at.is_(None))):
        active.setdefault(alert.station_id, {})[alert.kind] = alert
    county_config = {c: cfg or {} for c, cfg in s.execute(select(County.code, County.config))}
    for row in s.execute(select(*_COLUMNS)):
        mine = active.get(row.id, {})
        if row.disabled or row.last_heartbeat_at is None:
            # A disabled station is nobody's problem; one never seen has nothing to compare.
            for alert in mine.values():
                cycle.resolve(alert)
            continue
        cycle.summary["stations"] += 1
        found, offline = conditions(row, now, county_config.get(row.county, {}))
        for kind, detail in found.items():
            cycle.seen(row.id, row.county, kind, detail, mine.get(kind))
        for kind, alert in mine.items():
            if kind not in found and (not offline or kind == "offline"):
                cycle.cleared(alert)
    cycle.write_deliveries()
    cycle.summary.update({"pending": 0, "open": 0} | dict(s.execute(
        select(Alert.state, func.count()).where(Alert.resolved_at.is_(None)).group_by(Alert.state)).all()))
    return cycle.summary


def run_alerts(engine: Engine, now: datetime) -> dict[str, int]:
    """One alert evaluation cycle in its own transaction; returns a JSON-able summary."""
    with Session(engine) as s:
        summary = evaluate(s, now)
        s.commit()
    return summary


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id, "station_id": alert.station_id, "county": alert.county, "kind": alert.kind,
        "severity": alert.severity, "state": alert.state, "detail": alert.detail,
        "opened_at": iso(alert.opened_at) if alert.opened_at else None,
        "acknowledged_at": iso(alert.acknowledged_at) if alert.acknowledged_at else None,
        "acknowledged_by": alert.acknowledged_by,
        "resolved_at": iso(alert.resolved_at) if alert.resolved_at else None,
    }


def station_open_alerts(s: Session, station_id: str) -> list[dict[str, Any]]:
    """What the heartbeat answer carries: the station's own open alerts, oldest first."""
    rows = s.execute(select(Alert.kind, Alert.opened_at, Alert.detail).where(
        Alert.station_id == station_id, Alert.state == "open").order_by(Alert.opened_at)).all()
    return [{"kind": k, "opened_at": iso(at), "detail": d} for k, at, d in rows]


def acknowledge(alert: Alert, by: str, now: datetime) -> Alert:
    """Marks an alert seen by `by` (first acknowledgement wins; resolved ones stay as they were)."""
    if alert.acknowledged_at is None and alert.state == "open":
        alert.acknowledged_at, alert.acknowledged_by = now, by
    return alert
