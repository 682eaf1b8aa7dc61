"""Central API under a simulated fleet, and a full paged jobs sync.

1. Fleet: 2,000 stations (distinct tokens) send heartbeats and conditional config polls
   (If-None-Match, as the kiosk does) from a second process over loopback, on keep-alive
   connections that are replaced every 10-40 requests, against `gig-central serve` (a
   separate process). Sustained requests/s and
   client-side p99 latency, on SQLite and on PostgreSQL. The load generator shares the 2 cores
   with the server, so the numbers are a floor for a server with the machine to itself.
2. Full sync: a station pages through 100,000 nearby jobs (limit 1000) from scratch.
3. Body flood: 4 clients (another process) each keep sending 48 MB unauthenticated bodies to
   POST /v1/applications (two with Content-Length, two chunked). Server RSS rise (peak) and
   /healthz p99 under the flood, against /healthz p99 measured just before without it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.run import Row

FLEET = 2000
CONNECTIONS = 16
P99_GOAL_MS = 100.0
RPS_GOAL = 1000.0
FLOOD_BODY = 48 * 1024 * 1024
FLOOD_CLIENTS = 4
FLOOD_RSS_GOAL_MB = 10.0
FLOOD_P99_GOAL_MS = 50.0  # extra /healthz p99 over the same run's baseline


# -- database set-up ---------------------------------------------------------------------------


def _seed_fleet(url: str, key: bytes, stations: int, jobs: int) -> list[tuple[str, str]]:
    """Creates counties and stations (and `jobs` jobs near the first station); returns
    [(station_id, token)]."""
    from sqlalchemy import insert, update

    from central import db, services
    from central.models import Counter, Job
    from central.security import DataCipher, new_token

    engine = db.make_engine(url)
    db.migrate(engine)
    keyring = services.Keyring(DataCipher(key))
    fleet: list[tuple[str, str]] = []
    rng = random.Random(7)
    with db.session_factory(engine)() as s:
        counties = [services.create_county(s, keyring, f"c{c:02d}", f"县{c}", f"County {c}") for c in range(10)]
        for i in range(stations):
            token = new_token()
            county = counties[i % len(counties)]
            st = {"id": f"st-{i:05d}", "name": f"驿站{i}", "lat": 30 + rng.random(), "lng": 117 + rng.random()}
            services.create_station(s, keyring, county, st, token)
            fleet.append((st["id"], token))
        s.commit()
        if jobs:
            today = date.today()
            now = datetime.now(UTC)
            first = s.get(services.Station, fleet[0][0])
            rows = [{
                "id": f"job-{n:06d}", "county": first.county, "seq": n + 1, "title": f"搬运工 {n}",
                "category": "搬运", "employer": "示例物流有限公司", "headcount": 3, "pay_amount": 200.0,
                "pay_unit": "day", "settlement": "daily", "start_date": today,
                "end_date": today + timedelta(days=3), "daily_hours": "08:00-17:00",
                "address": "示例路9号", "district": "", "directions": "",
                "lat": first.lat + rng.uniform(-0.1, 0.1), "lng": first.lng + rng.uniform(-0.1, 0.1),
                "contact": "王师傅 139-0000-0000", "requirements": {"age_min": 18, "notes": ""},
                "valid_through": today + timedelta(days=5), "status": "open", "updated_at": now,
            } for n in range(jobs)]
            for i in range(0, jobs, 5000):
                s.execute(insert(Job), rows[i:i + 5000])
            s.execute(update(Counter).where(Counter.name == "jobs").values(value=jobs))
            s.commit()
    engine.dispose()
    return fleet


def _serve(url: str, key: bytes, port: int, workers: int, pool: int) -> subprocess.Popen:
    from central.security import encode_key

    env = {**os.environ, "GIG_CENTRAL_DATA_KEY": encode_key(key)}
    cmd = [sys.executable, "-m", "central.cli", "serve", "--database", url, "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--pool-size", str(pool),
           "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parent.parent)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("central server did not start")


# -- load generator (runs in its own process) ------------------------------------------------------


async def _conn_loop(port: int, fleet: list, stop_at: float, warm_until: float, lat: list, errors: list,
                     etags: dict) -> None:
    rng = random.Random()
    # Kiosks come and go: a connection serves a few requests, then a new one is opened. With
    # 16 connections opened at once and kept for the whole run, asyncio's batched accept let
    # one server worker take all of them while the other idled (runs of 600 or 1,500 req/s).
    await asyncio.sleep(rng.uniform(0, 0.2))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    left = rng.randint(10, 40)
    beat = json.dumps({"app_version": "1.0.0", "config_version": 1, "devices": {"printer": {"state": "ok"},
                       "idcard": {"state": "ok"}}, "outbox_depth": 0, "paper": "ok"}).encode()
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        if left == 0:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            left = rng.randint(10, 40)
        left -= 1
        station_id, token = fleet[rng.randrange(len(fleet))]
        if rng.random() < 0.5:
            req = (f"POST /v1/stations/{station_id}/heartbeats HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(beat)}\r\n\r\n").encode() + beat
        else:
            etag = etags.get(station_id)
            inm = f"If-None-Match: {etag}\r\n" if etag else ""
            req = (f"GET /v1/stations/{station_id}/config HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {token}\r\n{inm}\r\n").encode()
        t0 = time.perf_counter()
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            low = line.lower()
            if low.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
            elif low.startswith(b"etag:"):
                etags[station_id] = line.split(b":", 1)[1].strip().decode()
        if length:
            await reader.readexactly(length)
        t1 = time.perf_counter()
        if t0 >= warm_until:
            lat.append(t1 - t0)
            if status not in (200, 304):
                errors.append(status)
    writer.close()


def _load_process(port: int, fleet: list, seconds: float, warmup: float, conns: int, out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> tuple[list, list]:
        lat: list[float] = []
        errors: list[int] = []
        etags: dict[str, str] = {}
        start = time.perf_counter()
        await asyncio.gather(*[
            _conn_loop(port, fleet, start + warmup + seconds, start + warmup, lat, errors, etags)
            for _ in range(conns)])
        return lat, errors

    lat, errors = asyncio.run(main())
    out.put((lat, errors, seconds))


def _fleet_run(url: str, key: bytes, fleet: list, seconds: float, workers: int) -> tuple[float, float, int]:
    from central.testing import free_port

    port = free_port()
    server = _serve(url, key, port, workers=workers, pool=8)
    try:
        q: mp.Queue = mp.get_context("spawn").Queue()
        proc = mp.get_context("spawn").Process(
            target=_load_process, args=(port, fleet, seconds, min(2.0, seconds / 3), CONNECTIONS, q))
        proc.start()
        lat, errors, measured = q.get(timeout=seconds + 120)
        proc.join(30)
    finally:
        server.terminate()
        server.wait(30)
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("inf")
    return len(lat) / measured, p99, len(errors)


def _full_sync(url: str, key: bytes, station: tuple[str, str]) -> tuple[float, int, int]:
    import httpx

    from central.testing import free_port

    port = free_port()
    server = _serve(url, key, port, workers=1, pool=4)
    try:
        # radius wide enough for every generated job (they lie within ~15 km)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                              headers={"Authorization": f"Bearer {station[1]}"})
        t0 = time.perf_counter()
        cursor, seen, pages = None, 0, 0
        while True:
            params = {"limit": 1000, **({"since": cursor} if cursor else {})}
            body = client.get(f"/v1/stations/{station[0]}/jobs", params=params).raise_for_status().json()
            seen += len(body["jobs"])
            pages += 1
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        return time.perf_counter() - t0, seen, pages
    finally:
        server.terminate()
        server.wait(30)


# -- body flood ------------------------------------------------------------------------------------


def _flood_client(port: int, chunked: bool, stop_at: float, out: mp.Queue) -> None:
    """Sends 48 MB bodies without a token, one connection after another, until `stop_at`;
    reports {status: count} (0 = the server hung up before answering)."""
    import socket

    # A real attacker is another machine: the flood's own CPU use should not count as the
    # server's, so these processes yield the shared cores to the server and the prober.
    os.nice(19)
    statuses: dict[int, int] = {}
    piece = b" " * 65536
    while time.monotonic() < stop_at:
        head = "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {FLOOD_BODY}\r\n\r\n"
        status = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(head.encode())
                try:
                    for _ in range(FLOOD_BODY // len(piece)):
                        sock.sendall(b"10000\r\n" + piece + b"\r\n" if chunked else piece)
                    if chunked:
                        sock.sendall(b"0\r\n\r\n")
                except OSError:
                    pass  # refused mid-body: the server closed the connection
                reply = sock.recv(4096)
                if reply.startswith(b"HTTP/1.1 "):
                    status = int(reply[9:12])
        except OSError:
            pass
        statuses[status] = statuses.get(status, 0) + 1
    out.put(statuses)


def _rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _healthz_p99(port: int, seconds: float) -> float:
    import httpx

    lat = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            client.get("/healthz").raise_for_status()
            lat.append(time.perf_counter() - t0)
            time.sleep(0.005)
    lat.sort()
    return lat[int(len(lat) * 0.99) - 1] * 1000


def _body_flood(url: str, key: bytes, seconds: float) -> tuple[float, float, float, dict[int, int]]:
    """(peak RSS rise MB, baseline /healthz p99 ms, p99 under flood ms, {status: count})"""
    from central.testing import free_port

    port = free_port()
    server = _serve(url, key, port, workers=1, pool=4)
    try:
        _healthz_p99(port, 1.0)  # warm up
        base_p99 = _healthz_p99(port, seconds)
        base_rss = _rss_kb(server.pid)
        clear_refs = Path(f"/proc/{server.pid}/clear_refs")
        clear_refs.write_text("5")  # reset the peak (VmHWM) to the current RSS
        ctx = mp.get_context("spawn")
        q: mp.Queue = ctx.Queue()
        stop_at = time.monotonic() + seconds + 1.0
        clients = [ctx.Process(target=_flood_client, args=(port, i % 2 == 1, stop_at, q))
                   for i in range(FLOOD_CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(0.5)
        flood_p99 = _healthz_p99(port, seconds)
        statuses: dict[int, int] = {}
        for _ in clients:
            for k, v in q.get(timeout=120).items():
                statuses[k] = statuses.get(k, 0) + v
        for c in clients:
            c.join(30)
        rise_mb = max(0, _rss_kb(server.pid, "VmHWM") - base_rss) / 1024
    finally:
        server.terminate()
        server.wait(30)
    return rise_mb, base_p99, flood_p99, statuses


def _backends(tmp: Path) -> list[tuple[str, object, object]]:
    """[(name, make_url(db_name) -> str, stop)]"""
    from central.pgcluster import PostgresUnavailable, create_database, start_cluster

    out = [("sqlite", lambda name: f"sqlite:///{tmp}/{name}.db", None)]
    try:
        admin, stop = start_cluster()
        out.append(("postgres", lambda name: create_database(admin, name), stop))
    except PostgresUnavailable as exc:
        print(f"bench_central: PostgreSQL skipped: {exc}", file=sys.stderr)
    return out


def run(quick: bool) -> list[Row]:
    from central.security import new_data_key

    seconds = 3.0 if quick else 12.0
    jobs = 10_000 if quick else 100_000
    rows: list[Row] = []
    key = new_data_key()
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        for name, make_url, stop in _backends(Path(tmp)):
            try:
                url = make_url("fleet")
                fleet = _seed_fleet(url, key, FLEET if not quick else 500, 0)
                # SQLite has one writer per file: worker processes would queue on its lock
                # (busy-wait sleeps), so one process serves it; PostgreSQL gets one per core.
                workers = 1 if name == "sqlite" else 2
                rps, p99, errors = _fleet_run(url, key, fleet, seconds, workers=workers)
                rows.append(Row("central", f"{name} ({workers} worker(s)): fleet heartbeats+config polls", rps, "req/s",
                                f">= {RPS_GOAL:g}", rps >= RPS_GOAL and errors == 0))
                rows.append(Row("central", f"{name}: fleet p99 latency", p99, "ms",
                                f"<= {P99_GOAL_MS:g}", p99 <= P99_GOAL_MS))
                url = make_url("sync")
                station = _seed_fleet(url, key, 1, jobs)[0]
                # widen the station's radius so every job counts as near
                _set_radius(url, key, station[0], 50)
                secs, seen, pages = _full_sync(url, key, station)
                rows.append(Row("central", f"{name}: full sync of {seen} jobs ({pages} pages)", secs, "s",
                                "<= 60", secs <= 60 and seen == jobs))
                if name == "sqlite":  # the flood never reaches the database: one backend is enough
                    rows.extend(_flood_rows(url, key, 3.0 if quick else 8.0))
            finally:
                if stop:
                    stop()
    return rows


def _flood_rows(url: str, key: bytes, seconds: float) -> list[Row]:
    rise, base, flood, statuses = _body_flood(url, key, seconds)
    refused = sum(v for k, v in statuses.items() if k in (0, 413))
    ok = refused == sum(statuses.values()) and refused > 0  # never 401 (parsed) or 5xx
    what = f"{FLOOD_CLIENTS} clients x 48 MB unauthenticated bodies ({refused} refused)"
    return [
        Row("central", f"body flood: server RSS rise ({what})", rise, "MB",
            f"<= {FLOOD_RSS_GOAL_MB:g}", ok and rise <= FLOOD_RSS_GOAL_MB),
        Row("central", "body flood: /healthz p99, no flood (baseline)", base, "ms"),
        Row("central", "body flood: /healthz p99 under the flood", flood, "ms",
            f"<= baseline + {FLOOD_P99_GOAL_MS:g}", flood <= base + FLOOD_P99_GOAL_MS),
    ]


def _set_radius(url: str, key: bytes, station_id: str, km: float) -> None:
    from central import db, services
    from central.models import Station
    from central.security import DataCipher

    engine = db.make_engine(url)
    with db.session_factory(engine)() as s:
        station = s.get(Station, station_id)
        services.set_station_config(s, services.Keyring(DataCipher(key)), station, {"radius_km": km}, "bench")
        s.commit()
    engine.dispose()
