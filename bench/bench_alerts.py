"""Alert evaluation for a fleet of 2,000 stations, one cycle a minute (central/alerts.py).

The fleet's latest heartbeats are written straight into the stations table: most stations
healthy, about 8 % with a problem (paper low or out, a device fault, a backlog, a rejected
config, a clock off, a full disk) and 2 % silent (offline). Then `run_alerts` runs as the
periodic runner would, once per simulated minute for 12 minutes, so problems go pending,
open, and (for a quarter of them, fixed half-way) clear and resolve.

Measured: the evaluating process's CPU time (time.process_time) per cycle — the first cycle
(every problem new), the worst steady cycle, and the median. On SQLite the database work runs
inside this process, so its CPU is counted too; on PostgreSQL the server's CPU is not (it is
the evaluator's own cost). Baseline, informational: CPU of only reading the 2,000 rows.
Last, a mass outage: every station silent, about 2,000 offline alerts opened (and 4,000
delivery rows queued) in one cycle. Goal: <= 1 s of CPU per cycle.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.run import Row

FLEET = 2000
CYCLES = 12
GOAL_S = 1.0


def _devices(rng: random.Random, fault: str | None) -> dict[str, Any]:
    devices = {"idcard": {"state": "ok", "detail": "115200 baud"}, "printer": {"state": "ok"},
               "speech": {"state": "ok"}, "camera": {"state": "ok"}, "serial-scanner": {"state": "ok"},
               "sync": {"state": "ok"}}
    if fault:
        devices[fault] = {"state": rng.choice(["error", "no_device"]), "detail": "no reply"}
    return devices


def _vitals(rng: random.Random, i: int, now: datetime) -> dict[str, Any]:
    problem = rng.random()
    row: dict[str, Any] = {
        "last_heartbeat_at": now - timedelta(seconds=rng.uniform(0, 60)), "heartbeat_interval_s": 60,
        "paper": "ok", "devices": _devices(rng, None), "outbox_depth": 0, "outbox_oldest_s": 0,
        "clock_skew_s": rng.uniform(-2, 2), "disk_free_mb": 9000, "disk_total_mb": 16000,
        "rejected_config_version": None, "rejected_config_reason": None, "update_failed": None,
    }
    if problem < 0.02:
        row["last_heartbeat_at"] = now - timedelta(minutes=rng.uniform(4, 600))
    elif problem < 0.04:
        row["paper"] = rng.choice(["low", "out"])
    elif problem < 0.06:
        row["devices"] = _devices(rng, rng.choice(["printer", "idcard", "camera", "serial-scanner"]))
    elif problem < 0.07:
        row["outbox_depth"], row["outbox_oldest_s"] = 3, 7200
    elif problem < 0.08:
        row["rejected_config_version"], row["rejected_config_reason"] = 5, "opening_hours invalid"
    elif problem < 0.09:
        row["clock_skew_s"] = 400.0
    elif problem < 0.10:
        row["disk_free_mb"] = 200
    return row


def _seed(url: str, now: datetime) -> list[dict[str, Any]]:
    from sqlalchemy import insert

    from central import db, services
    from central.models import AlertSettings, Station
    from central.security import DataCipher, hash_token, new_data_key

    engine = db.make_engine(url)
    db.migrate(engine)
    keyring = services.Keyring(DataCipher(new_data_key()))
    rng = random.Random(13)
    rows = []
    with db.session_factory(engine)() as s:
        counties = [services.create_county(s, keyring, f"c{c:02d}", f"县{c}", f"County {c}").code
                    for c in range(10)]
        for i in range(FLEET):
            rows.append({"id": f"st-{i:05d}", "county": counties[i % 10], "name": f"驿站{i}", "name_en": "",
                         "kind": "", "lat": 30.0, "lng": 117.0, "address": "", "token_hash": hash_token(f"t{i}"),
                         "config": {}, "config_version": 1, "disabled": False, **_vitals(rng, i, now)})
        s.execute(insert(Station), rows)
        for code in counties:  # every county delivers by e-mail and webhook: openings queue rows
            s.add(AlertSettings(county=code, smtp_host="mail.example", smtp_port=25, smtp_starttls=False,
                                smtp_from="a@example.org", smtp_to=["m@example.org"], webhook_url="https://h.example/",
                                webhook_secret="x", quiet_hours="", timezone="Asia/Shanghai"))
        s.commit()
    engine.dispose()
    return rows


def _fix_quarter(url: str, rows: list[dict[str, Any]], at: datetime) -> None:
    """A maintainer fixes a quarter of the problem stations: their heartbeats turn healthy."""
    from sqlalchemy import update

    from central import db
    from central.models import Station

    healthy = {"paper": "ok", "devices": _devices(random.Random(0), None), "outbox_depth": 0, "outbox_oldest_s": 0,
               "clock_skew_s": 0.0, "disk_free_mb": 9000, "rejected_config_version": None,
               "rejected_config_reason": None, "last_heartbeat_at": at}
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for r in rows[::4]:
            conn.execute(update(Station).where(Station.id == r["id"]).values(**healthy))
    engine.dispose()


def _heartbeats(engine: Any, alive: list[str], at: datetime) -> None:
    from sqlalchemy import update

    from central.models import Station

    with engine.begin() as conn:
        conn.execute(update(Station).where(Station.id.in_(alive)).values(last_heartbeat_at=at - timedelta(seconds=30)))


def _measure(url: str) -> dict[str, float]:
    from sqlalchemy import select

    from central import db
    from central.alerts import _COLUMNS, run_alerts

    now = datetime.now(UTC).replace(microsecond=0)
    rows = _seed(url, now)
    alive = [r["id"] for r in rows if r["last_heartbeat_at"] > now - timedelta(minutes=2)]
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:  # warm the connection and caches, then the baseline read
            conn.execute(select(*_COLUMNS)).all()
            c0 = time.process_time()
            conn.execute(select(*_COLUMNS)).all()
            read = time.process_time() - c0
        cpu, summaries = [], []
        for minute in range(CYCLES):
            at = now + timedelta(minutes=minute)
            if minute == CYCLES // 2:
                _fix_quarter(url, rows, at)
            _heartbeats(engine, alive, at)  # the live stations reported in the last minute
            c0 = time.process_time()
            summaries.append(run_alerts(engine, at))
            cpu.append(time.process_time() - c0)
        # A mass outage (the county's network is down): every station goes offline at once.
        c0 = time.process_time()
        outage = run_alerts(engine, now + timedelta(minutes=CYCLES + 5))
        cpu_outage = time.process_time() - c0
    finally:
        engine.dispose()
    opened = sum(s["opened"] for s in summaries)
    resolved = sum(s["resolved"] for s in summaries)
    return {"first": cpu[0], "worst": max(cpu[1:]), "median": statistics.median(cpu[1:]), "read": read,
            "opened": opened, "resolved": resolved, "open_end": summaries[-1]["open"],
            "outage": cpu_outage, "outage_opened": outage["opened"]}


def _backends(tmp: Path) -> list[tuple[str, str, Any]]:
    from central.pgcluster import PostgresUnavailable, create_database, start_cluster

    out: list[tuple[str, str, Any]] = [("sqlite", f"sqlite:///{tmp}/alerts.db", None)]
    try:
        admin, stop = start_cluster()
        out.append(("postgres", create_database(admin, "bench_alerts"), stop))
    except PostgresUnavailable as exc:
        print(f"bench_alerts: PostgreSQL skipped: {exc}", file=sys.stderr)
    return out


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        for name, url, stop in _backends(Path(tmp)):
            try:
                m = _measure(url)
            finally:
                if stop:
                    stop()
            goal = f"<= {GOAL_S:g} s"
            rows += [
                Row("alerts", f"{name}: CPU of one cycle, {FLEET} stations, first (all new)", m["first"], "s",
                    goal, m["first"] <= GOAL_S),
                Row("alerts", f"{name}: CPU of one cycle, worst of {CYCLES - 1} later", m["worst"], "s",
                    goal, m["worst"] <= GOAL_S),
                Row("alerts", f"{name}: CPU of one cycle, median", m["median"], "s"),
                Row("alerts", f"{name}: CPU of a mass-outage cycle ({m['outage_opened']:g} opened at once)",
                    m["outage"], "s", goal, m["outage"] <= GOAL_S),
                Row("alerts", f"{name}: baseline, CPU of reading the {FLEET} rows", m["read"], "s"),
                Row("alerts", f"{name}: alerts opened in {CYCLES} cycles (resolved: {m['resolved']:g}, "
                              f"open at the end: {m['open_end']:g})", m["opened"], "alerts"),
            ]
    return rows
