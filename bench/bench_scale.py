"""Central as several instances on one PostgreSQL (issue 19), same run, same fleet:

1. The 2,000-station fleet (heartbeats + conditional config polls, bench_central's mix) against
   1 instance and against 2 instances (`gig-central serve`, one worker each) on PostgreSQL, and
   1 instance on SQLite: req/s, p99, and server CPU per request (user+system time of the
   instance processes / requests served).
   The load generator shares the machine's 2 cores, so 2 instances cannot show a gain here:
   CPU per request is what sizes a province (cores ≈ req/s × CPU ms / 1000).
2. CPU per request per endpoint on 1 instance, each backend: heartbeat, config poll
   (If-None-Match → 304), jobs delta (since = the station's cursor, the steady-state poll).
   Goal: under 1 ms each (CPU_GOAL_MS), what 1,000 req/s from one process needs.
3. Thundering herd: after an outage all stations reconnect within 10 s and each runs a full
   sync cycle (config, jobs delta, one outbox application, heartbeat) against 2 instances,
   honouring 503/429 + Retry-After with full-jitter backoff as the kiosk does: server errors,
   duplicate applications, and the time until the last station finished.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime

from bench.bench_central import FLEET, P99_GOAL_MS, RPS_GOAL, _seed_fleet, _serve
from bench.run import Row

CONNECTIONS = 16
HERD_WINDOW_S = 10.0
HERD_GOAL_S = 60.0
READ_TIMEOUT_S = 10.0  # kiosk.settings.ApiSettings.read_timeout_s
# Server CPU per fleet request: 1,000 req/s from one process (one core at most, the GIL) needs
# under 1 ms each, and less while the load generator and the database share the cores.
CPU_GOAL_MS = 1.0
ENDPOINTS = {"heartbeat": "heartbeat", "config": "config poll (If-None-Match: 304)",
             "jobs": "jobs delta (since = cursor, nothing new)"}


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request(kind: str, station_id: str, token: str, etag: str | None, cursor: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n"
    if kind == "heartbeat":
        beat = json.dumps({"app_version": "1.0.0", "config_version": 1, "devices": {
            "printer": {"state": "ok"}, "idcard": {"state": "ok"}}, "outbox_depth": 0, "paper": "ok"}).encode()
        return (f"POST /v1/stations/{station_id}/heartbeats HTTP/1.1\r\nHost: x\r\n{auth}"
                f"Content-Type: application/json\r\nContent-Length: {len(beat)}\r\n\r\n").encode() + beat
    if kind == "config":
        inm = f"If-None-Match: {etag}\r\n" if etag else ""
        return f"GET /v1/stations/{station_id}/config HTTP/1.1\r\nHost: x\r\n{auth}{inm}\r\n".encode()
    since = f"&since={cursor}" if cursor else ""
    return f"GET /v1/stations/{station_id}/jobs?limit=200{since} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()


async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(head[9:12]), headers, body


async def _conn_loop(ports: list[int], kinds: list[str], fleet: list, stop_at: float, warm_until: float,
                     lat: list, errors: list, state: dict) -> None:
    rng = random.Random()
    await asyncio.sleep(rng.uniform(0, 0.2))
    port = rng.choice(ports)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    left = rng.randint(10, 40)
    while time.perf_counter() < stop_at:
        if left == 0:  # kiosks come and go (see bench_central)
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", rng.choice(ports))
            left = rng.randint(10, 40)
        left -= 1
        station_id, token = fleet[rng.randrange(len(fleet))]
        kind = rng.choice(kinds)
        etag, cursor = state.get(("etag", station_id)), state.get(("cursor", station_id))
        t0 = time.perf_counter()
        writer.write(_request(kind, station_id, token, etag, cursor))
        status, headers, body = await _read(reader)
        t1 = time.perf_counter()
        if "etag" in headers:
            state[("etag", station_id)] = headers["etag"]
        if kind == "jobs" and status == 200:
            state[("cursor", station_id)] = json.loads(body)["cursor"]
        state["total"] = state.get("total", 0) + 1
        if t0 >= warm_until:
            lat.append(t1 - t0)
            if status not in (200, 304):
                errors.append(status)
    writer.close()


def _load_process(ports: list[int], kinds: list[str], fleet: list, seconds: float, warmup: float,
                  out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> tuple[list, list, int]:
        lat: list[float] = []
        errors: list[int] = []
        state: dict = {}
        start = time.perf_counter()
        await asyncio.gather(*[_conn_loop(ports, kinds, fleet, start + warmup + seconds, start + warmup,
                                          lat, errors, state) for _ in range(CONNECTIONS)])
        return lat, errors, state.get("total", 0)

    lat, errors, total = asyncio.run(main())
    out.put((lat, errors, total, seconds))


def _load(ports: list[int], pids: list[int], kinds: list[str], fleet: list, seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    cpu0 = sum(_cpu_s(p) for p in pids)
    proc = ctx.Process(target=_load_process, args=(ports, kinds, fleet, seconds, min(2.0, seconds / 3), q))
    proc.start()
    lat, errors, total, measured = q.get(timeout=seconds + 180)
    proc.join(30)
    cpu = sum(_cpu_s(p) for p in pids) - cpu0
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("inf")
    return {"rps": len(lat) / measured, "p99": p99, "errors": len(errors),
            "cpu_ms": cpu * 1000 / max(total, 1)}


class _Instances:
    """`fast_path` False: central.station_fast off, every request through FastAPI (the baseline)."""

    def __init__(self, url: str, key: bytes, n: int, max_inflight: int | None = None,
                 fast_path: bool = True) -> None:
        from central.asgi import FAST_PATH_ENV
        from central.shedding import MAX_INFLIGHT_ENV
        from central.testing import free_port

        self.ports = [free_port() for _ in range(n)]
        env = {FAST_PATH_ENV: "1" if fast_path else "0"}
        if max_inflight is not None:  # `serve` reads it as its --max-inflight default
            env[MAX_INFLIGHT_ENV] = str(max_inflight)
        before = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            self.procs = [_serve(url, key, port, workers=1, pool=8) for port in self.ports]
        finally:
            for k, v in before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(30)


# -- thundering herd ---------------------------------------------------------------------------


async def _herd_station(ports: list[int], station: tuple[str, str], job_id: str, n: int,
                        t_zero: float, stats: dict) -> None:
    rng = random.Random(n)
    station_id, token = station
    await asyncio.sleep(rng.uniform(0, HERD_WINDOW_S))  # back from the outage within 10 s
    key = f"herd-{stats['run']}-{n}"
    body = json.dumps({
        "job_id": job_id, "station_id": station_id,
        "seeker": {"id_number": stats["ids"][n], "name": "张测试", "phone": "13812345678"},
        "consent": {"version": "2026-01", "at": datetime.now(UTC).isoformat()},
    }).encode()
    auth = f"Authorization: Bearer {token}\r\n"
    steps = [
        f"GET /v1/stations/{station_id}/config HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode(),
        f"GET /v1/stations/{station_id}/jobs?limit=200 HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode(),
        (f"POST /v1/applications HTTP/1.1\r\nHost: x\r\n{auth}Idempotency-Key: {key}\r\n"
         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body,
        _request("heartbeat", station_id, token, None, None),
    ]
    failures = 0
    port = ports[n % len(ports)]
    conn = None
    for step in steps:
        while True:
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                conn[1].write(step)
                # The kiosk's read timeout: a kiosk gives up on a slow answer and asks again.
                status, headers, _ = await asyncio.wait_for(_read(conn[0]), READ_TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                if conn is not None:
                    conn[1].close()
                status, headers, conn = (-1 if isinstance(exc, TimeoutError) else 0), {}, None
            if status in (200, 201, 304):
                failures = 0
                break
            stats["status"][status] = stats["status"].get(status, 0) + 1
            if status not in (-1, 0, 429, 503):
                return  # a real error: counted, the station gives up
            failures += 1
            # kiosk/api.py (urllib3): Retry-After when given, else full-jitter backoff.
            wait = rng.uniform(0, min(8.0, 0.5 * 2 ** failures))
            if "retry-after" in headers:
                wait = float(headers["retry-after"])
            if conn is not None and headers.get("connection") == "close":
                conn = None
            await asyncio.sleep(wait)
    if conn is not None:
        conn[1].close()
    stats["done"].append(time.perf_counter() - t_zero)


def _herd_process(ports: list[int], fleet: list, jobs: dict[str, str], ids: list[str], out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    stats: dict = {"status": {}, "done": [], "ids": ids, "run": uuid.uuid4().hex[:8]}

    async def main() -> None:
        t_zero = time.perf_counter()
        await asyncio.gather(*[_herd_station(ports, st, jobs[st[0]], n, t_zero, stats)
                               for n, st in enumerate(fleet)])

    asyncio.run(main())
    out.put((stats["status"], stats["done"]))


def _herd_fixture(url: str, fleet: list) -> tuple[dict[str, str], list[str]]:
    """One open job at each station's place ({station_id: job_id}) and an ID number each."""
    from datetime import date, timedelta

    from sqlalchemy import insert, update
    from stdnum.cn import ric

    from central import db
    from central.models import Counter, Job, Station

    engine = db.make_engine(url)
    today, now = date.today(), datetime.now(UTC)
    jobs: dict[str, str] = {}
    with db.session_factory(engine)() as s:
        rows = []
        for n, st in enumerate(s.query(Station).order_by(Station.id).all()):
            jobs[st.id] = f"herd-{n:05d}"
            rows.append({
                "id": jobs[st.id], "county": st.county, "seq": n + 1, "title": f"搬运工 {n}",
                "category": "搬运", "employer": "示例物流有限公司", "headcount": 3, "pay_amount": 200.0,
                "pay_unit": "day", "settlement": "daily", "start_date": today,
                "end_date": today + timedelta(days=3), "daily_hours": "08:00-17:00",
                "address": "示例路9号", "district": "", "directions": "", "lat": st.lat, "lng": st.lng,
                "contact": "王师傅 139-0000-0000", "requirements": {"age_min": 18, "notes": ""},
                "valid_through": today + timedelta(days=5), "status": "open", "updated_at": now,
            })
        s.execute(insert(Job), rows)
        s.execute(update(Counter).where(Counter.name == "jobs").values(value=len(rows)))
        s.commit()
    engine.dispose()
    ids = []
    for n in range(len(fleet)):
        base = f"340102{1960 + n // 365:04d}{1 + (n // 28) % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
        ids.append(base + ric.calc_check_digit(base + "0"))
    return jobs, ids


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(quick: bool, parts: tuple[str, ...] = ("fleet", "herd"), stations: int | None = None,
        limits: tuple[int, ...] | None = None) -> list[Row]:
    """`parts`: "fleet" (1 and 2 instances, CPU per endpoint), "herd" (shedding off and on);
    `limits`: the herd's --max-inflight values (0: off; default: off and the default)."""
    from central.pgcluster import PostgresUnavailable, create_database, start_cluster
    from central.security import new_data_key
    from central.shedding import DEFAULT_MAX_INFLIGHT

    seconds = 4.0 if quick else 12.0
    stations = stations or (500 if quick else FLEET)
    rows: list[Row] = []
    try:
        admin, stop = start_cluster()
    except PostgresUnavailable as exc:
        return [Row("scale", f"skipped: {exc}", 0, "")]
    key = new_data_key()
    try:
        if "fleet" in parts:
            rows.extend(_fleet_rows(create_database(admin, "scale"), key, stations, seconds, "postgres", (1, 2)))
            with tempfile.TemporaryDirectory() as tmp:  # one process per SQLite file: 1 instance
                rows.extend(_fleet_rows(f"sqlite:///{tmp}/scale.db", key, stations, seconds, "sqlite", (1,)))
        if "herd" in parts:
            # Same run, same machine: the server only queueing, then shedding at the default.
            for limit in limits or (0, DEFAULT_MAX_INFLIGHT):
                rows.extend(_herd_rows(create_database(admin, f"herd_{limit}"), key, stations, limit))
    finally:
        stop()
    return rows


def _fleet_rows(url: str, key: bytes, stations: int, seconds: float, backend: str,
                instances: tuple[int, ...]) -> list[Row]:
    """The fleet mix against each number of `instances`, then each endpoint alone on 1; first
    of all the same on 1 instance with central.station_fast off (same run: the baseline)."""
    rows: list[Row] = []
    fleet = _seed_fleet(url, key, stations, 0)
    for n, fast in [(1, False), *((n, True) for n in instances)]:
        inst = _Instances(url, key, n, fast_path=fast)
        try:
            r = _load(inst.ports, inst.pids, ["heartbeat", "config"], fleet, seconds)
        finally:
            inst.stop()
        what = f"{backend}, {n} instance(s)" + ("" if fast else ", fast path off (baseline)")
        goal = fast and n == 1
        ok = r["errors"] == 0 and (n > 1 or (r["rps"] >= RPS_GOAL and r["p99"] <= P99_GOAL_MS))
        load = f"load avg {_loadavg()}"
        rows.append(Row("scale", f"{what}, {stations} stations: req/s ({load})", r["rps"],
                        "req/s", f">= {RPS_GOAL:g} (1 instance)" if goal else "", ok if goal else None))
        rows.append(Row("scale", f"{what}: p99 ({r['errors']} errors)", r["p99"], "ms",
                        f"<= {P99_GOAL_MS:g}" if fast else "", r["p99"] <= P99_GOAL_MS and r["errors"] == 0
                        if fast else None))
        rows.append(Row("scale", f"{what}: server CPU per request (fleet mix)",
                        r["cpu_ms"], "ms", f"<= {CPU_GOAL_MS:g}" if fast else "",
                        r["cpu_ms"] <= CPU_GOAL_MS if fast else None))
    for fast in (False, True):
        inst = _Instances(url, key, 1, fast_path=fast)
        try:
            for kind in ("heartbeat", "config", "jobs"):
                r = _load(inst.ports, inst.pids, [kind], fleet, seconds / 2)
                rows.append(Row("scale", f"{backend}: CPU per request, {ENDPOINTS[kind]} (1 instance"
                                f"{'' if fast else ', fast path off'}, {r['rps']:.0f} req/s, "
                                f"p99 {r['p99']:.0f} ms, {r['errors']} errors)",
                                r["cpu_ms"], "ms", f"<= {CPU_GOAL_MS:g}" if fast else "",
                                r["cpu_ms"] <= CPU_GOAL_MS if fast else None))
        finally:
            inst.stop()
    return rows


def _herd_rows(url: str, key: bytes, stations: int, max_inflight: int) -> list[Row]:
    from sqlalchemy import func, select

    from central import db
    from central.models import Application

    fleet = _seed_fleet(url, key, stations, 0)
    jobs, ids = _herd_fixture(url, fleet)
    inst = _Instances(url, key, 2, max_inflight=max_inflight)
    load_before = _loadavg()
    try:
        ctx = mp.get_context("spawn")
        q: mp.Queue = ctx.Queue()
        proc = ctx.Process(target=_herd_process, args=(inst.ports, fleet, jobs, ids, q))
        proc.start()
        statuses, done = q.get(timeout=900)
        proc.join(30)
    finally:
        load_after = _loadavg()
        inst.stop()
    engine = db.make_engine(url)
    with engine.connect() as conn:
        apps = conn.execute(select(func.count()).select_from(Application)).scalar_one()
        keys = conn.execute(select(func.count(func.distinct(Application.idempotency_key)))).scalar_one()
    engine.dispose()
    errors = sum(v for k, v in statuses.items() if k >= 500 and k != 503)
    last = max(done) if done else float("inf")
    shed = f"shedding {'on, --max-inflight ' + str(max_inflight) if max_inflight else 'off'}"
    what = (f"{stations} stations back within {HERD_WINDOW_S:g} s, 2 instances, {shed}; "
            f"load avg {load_before} -> {load_after}")
    return [
        Row("scale", f"herd: last station synced ({what}; {len(done)} done)", last, "s",
            f"<= {HERD_GOAL_S:g}", len(done) == stations and last <= HERD_GOAL_S),
        Row("scale", f"herd ({shed}): 503 answers (all retried: {statuses}; -1: read timeout, 0: "
            "connection refused/reset)",
            statuses.get(503, 0), ""),
        Row("scale", f"herd ({shed}): server errors (5xx other than 503)", errors, "", "0", errors == 0),
        Row("scale", f"herd ({shed}): applications stored ({keys} distinct keys)", apps, "",
            f"= {stations}", apps == stations == keys),
    ]


if __name__ == "__main__":
    import argparse

    from bench.run import format_table

    parser = argparse.ArgumentParser(prog="bench_scale")
    parser.add_argument("--quick", action="store_true", help="500 stations, 4 s per load run")
    parser.add_argument("--stations", type=int, default=None, help="fleet size (default 2,000)")
    parser.add_argument("--only", choices=["fleet", "herd"], default=None,
                        help="fleet: 1/2-instance req/s, p99, CPU; herd: shedding off and on")
    parser.add_argument("--limits", default=None, metavar="N,N",
                        help="herd: --max-inflight values to compare (0: off; default 0 and 32)")
    a = parser.parse_args()
    limits = tuple(int(n) for n in a.limits.split(",")) if a.limits else None
    with tempfile.TemporaryDirectory():
        print(format_table(run(a.quick, (a.only,) if a.only else ("fleet", "herd"), a.stations, limits)))
