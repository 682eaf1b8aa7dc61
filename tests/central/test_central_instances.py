"""Several real `gig-central serve` instances on one PostgreSQL: revocations reach every
instance within 1 s, periodic jobs run once per period (and resume when their holder is
killed), an Idempotency-Key raced across instances makes one record, and a kill -9 mid-request
loses nothing when the client retries on another instance."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from central_helpers import DEMO, HEARTBEAT, admin_login, application, csrf_of, id_number
from instances import Cluster, Instance

pytestmark = pytest.mark.postgres

PROBE_PERIOD_S = 6.0


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="module")
def cluster(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from periodic_probe import TABLES

    from central.pgcluster import create_database

    url = create_database(pg_admin_url, f"t_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for statement in TABLES:
            conn.execute(statement)
    c = Cluster(url, tmp_path_factory.mktemp("instances"), DEMO, 3, env={
        "GIG_CENTRAL_PERIODIC_MODULES": "periodic_probe", "PROBE_PERIOD_S": str(PROBE_PERIOD_S),
        "GIG_CENTRAL_APPLICATION_RATE": "100000/300"})
    yield c
    c.stop()


def _sql(cluster: Cluster, query: str, *args: object) -> list[tuple]:
    with psycopg.connect(_dsn(cluster.database_url), autocommit=True) as conn:
        cur = conn.execute(query, args or None)
        return cur.fetchall() if cur.description else []


def _until_refused(urls: list[str], path: str, token: str, limit_s: float = 5.0) -> dict[str, float]:
    """Seconds until each instance answered 401 to `token`."""
    start, seen = time.monotonic(), {}
    while len(seen) < len(urls) and time.monotonic() - start < limit_s:
        for url in urls:
            if url not in seen and httpx.get(url + path, headers={"Authorization": f"Bearer {token}"},
                                             timeout=5).status_code == 401:
                seen[url] = time.monotonic() - start
        time.sleep(0.02)
    return seen


def test_revocation_reaches_every_instance_within_one_second(cluster: Cluster) -> None:
    urls = [i.url for i in cluster.instances]
    station = next(s for s in cluster.seed["stations"] if s["id"] == "e-mall")
    jobs = "/v1/stations/e-mall/jobs"
    for url in urls:  # every instance has the token in its cache (60 s TTL)
        for _ in range(2):
            assert httpx.get(url + jobs, headers={"Authorization": f"Bearer {station['token']}"}).status_code == 200
    # The admin rotates the station's token on instance 0: the old one stops everywhere.
    admin = next(s for s in cluster.seed["staff"] if s["username"] == "east-admin")
    c = admin_login(urls[0], admin["username"], admin["password"])
    for url in urls[1:]:  # the admin session (a database row) works on every instance
        assert httpx.get(url + "/admin/stations", cookies=c.cookies).status_code == 200
    page = c.get("/admin/stations/e-mall/manage").text
    assert c.post("/admin/stations/e-mall/rotate", data={"csrf": csrf_of(page)}).status_code == 200
    seen = _until_refused(urls, jobs, station["token"])
    assert set(seen) == set(urls) and max(seen.values()) < 1.0, seen

    # A staff account disabled by plain SQL (the CLI, a DBA): the database trigger tells all.
    maint = next(s for s in cluster.seed["staff"] if s["username"] == "east-maint")
    for url in urls:
        assert httpx.get(url + "/v1/stations", headers={"Authorization": f"Bearer {maint['token']}"}).status_code == 200
    _sql(cluster, "UPDATE staff SET disabled = true WHERE username = %s", "east-maint")
    seen = _until_refused(urls, "/v1/stations", maint["token"])
    assert set(seen) == set(urls) and max(seen.values()) < 1.0, seen


def _done_by_period(cluster: Cluster) -> dict[str, list[int]]:
    done: dict[str, list[int]] = {}
    for period, pid in _sql(cluster, "SELECT period, pid FROM probe_done ORDER BY period"):
        done.setdefault(period, []).append(pid)
    return done


def _run_in_progress(cluster: Cluster) -> tuple[Instance, str]:
    """A live instance that has started the probe's current period and not finished it."""
    by_pid = {i.proc.pid: i for i in cluster.instances if i.proc.poll() is None}
    deadline = time.monotonic() + PROBE_PERIOD_S * 3
    while time.monotonic() < deadline:
        rows = _sql(cluster, "SELECT s.period, s.pid FROM probe_started s LEFT JOIN probe_done d "
                             "ON d.period = s.period WHERE d.period IS NULL")
        for period, pid in rows:
            if pid in by_pid:
                return by_pid[pid], period
        time.sleep(0.05)
    raise AssertionError("no run in progress seen")


def test_periodic_job_runs_once_per_period_and_resumes_after_kill9(cluster: Cluster) -> None:
    # Three instances tick every second for several periods: each period ran exactly once.
    time.sleep(PROBE_PERIOD_S * 3.5)
    done = _done_by_period(cluster)
    assert len(done) >= 3 and all(len(pids) == 1 for pids in done.values()), done
    started = Counter(p for (p,) in _sql(cluster, "SELECT period FROM probe_started"))
    assert all(n == 1 for n in started.values()), started  # nobody started a claimed period
    housekeeping = _sql(cluster, "SELECT count(*), count(finished_at) FROM periodic_runs "
                                 "WHERE name = 'housekeeping'")
    assert housekeeping == [(1, 1)]

    # Kill -9 the instance holding the current period mid-run: another one runs it again. On a
    # loaded machine the run seen in progress can finish before the kill lands (the victim's
    # own "done" row is then there): that attempt proves nothing, so try the next period.
    for _attempt in range(3):
        victim, period = _run_in_progress(cluster)
        victim.kill9()
        killed_pid = victim.proc.pid
        if killed_pid not in _done_by_period(cluster).get(period, []):
            break
        cluster.add()
    else:
        raise AssertionError("every run seen in progress finished before its kill")
    deadline = time.monotonic() + PROBE_PERIOD_S
    while period not in _done_by_period(cluster) and time.monotonic() < deadline:
        time.sleep(0.1)
    done = _done_by_period(cluster)
    assert len(done.get(period, [])) == 1 and done[period][0] != killed_pid, (period, done)
    cluster.add()  # back to three live instances for the next tests


def _apply(url: str, token: str, key: str, body: dict) -> httpx.Response:
    return httpx.post(url + "/v1/applications", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def _park(cluster: Cluster) -> dict:
    return next(s for s in cluster.seed["stations"] if s["id"] == "e-park")


def test_same_idempotency_key_on_two_instances_at_once_makes_one_record(cluster: Cluster) -> None:
    a, b = [i.url for i in cluster.instances if i.proc.poll() is None][:2]
    station = _park(cluster)
    token = station["token"]
    keys = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(20):
            key = f"race-{uuid.uuid4()}"
            keys.append(key)
            body = application(station["id"])
            body["seeker"]["id_number"] = id_number(serial=100 + n)
            barrier = threading.Barrier(2)

            def send(url: str, body: dict = body, key: str = key, barrier: threading.Barrier = barrier) -> httpx.Response:
                barrier.wait()
                return _apply(url, token, key, body)

            r1, r2 = pool.map(send, [a, b])
            assert r1.status_code == r2.status_code == 201, (r1.text, r2.text)
            assert r1.json() == r2.json()
    rows = _sql(cluster, "SELECT idempotency_key, count(*) FROM applications WHERE idempotency_key = ANY(%s) "
                         "GROUP BY idempotency_key", keys)
    assert sorted(rows) == sorted((k, 1) for k in keys)


def test_kill9_mid_request_loses_nothing_when_the_client_retries_elsewhere(cluster: Cluster) -> None:
    survivor = next(i for i in cluster.instances if i.proc.poll() is None)
    victim = cluster.add()
    token = _park(cluster)["token"]
    run = uuid.uuid4().hex[:8]
    answers: dict[str, dict] = {}
    retried: list[str] = []

    def submit(n: int) -> None:
        key = f"kill-{run}-{n}"
        body = application("e-park")
        body["seeker"]["id_number"] = id_number(serial=n % 1000, birth=f"1980{1 + n // 1000:02d}01")
        try:
            r = _apply(victim.url, token, key, body)
            if r.status_code == 201:
                answers[key] = r.json()
                return
        except httpx.TransportError:  # the instance died under the request
            pass
        retried.append(key)
        r = _apply(survivor.url, token, key, body)  # same key, same body, another instance
        assert r.status_code == 201, r.text
        answers[key] = r.json()

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(submit, n) for n in range(300)]
        time.sleep(1.0)
        victim.kill9()
        for f in futures:
            f.result()
    assert retried, "the kill came after every request had finished"
    assert len(answers) == 300
    rows = dict(_sql(cluster, "SELECT idempotency_key, id FROM applications WHERE idempotency_key LIKE %s",
                     f"kill-{run}-%"))
    # One record per key, and it is the one the client was told about (nothing lost, no twin).
    assert rows == {k: a["id"] for k, a in answers.items()}


HERD = 60


def _add_stations(cluster: Cluster, n: int) -> list[tuple[str, str]]:
    """n more stations of county east beside e-park (job e-000 is within their radius)."""
    from central import db, services
    from central.models import County
    from central.security import DataCipher, decode_key, new_token

    engine = db.make_engine(cluster.database_url)
    keyring = services.Keyring(DataCipher(decode_key(cluster.key_file.read_text())))
    out = []
    with db.session_factory(engine)() as s:
        county = s.get(County, "east")
        for i in range(n):
            token = new_token()
            services.create_station(s, keyring, county, {"id": f"e-herd-{i:03d}", "name": f"驿站{i}",
                                                         "lat": 31.30, "lng": 117.20}, token)
            out.append((f"e-herd-{i:03d}", token))
        s.commit()
    engine.dispose()
    return out


def test_small_herd_of_real_kiosk_clients_all_sync_across_instances(cluster: Cluster) -> None:
    """60 stations back from an outage within 2 s, spread over the instances, each running a
    full cycle with the kiosk's own ApiClient (urllib3 Retry, full jitter, Retry-After)."""
    from kiosk.api import ApiClient
    from kiosk.settings import ApiSettings

    urls = [i.url for i in cluster.instances if i.proc.poll() is None]
    stations = _add_stations(cluster, HERD)
    run = uuid.uuid4().hex[:8]
    done: dict[str, float] = {}
    start = time.monotonic()

    def cycle(n: int) -> None:
        station_id, token = stations[n]
        time.sleep((n % 20) / 10)  # reconnecting within 2 s
        api = ApiClient(ApiSettings(base_url=urls[n % len(urls)], token=token))
        try:
            document, etag = api.station_config(station_id)
            assert document and etag
            page = api.jobs_page(station_id, None)
            assert any(j["id"] == "e-000" for j in page["jobs"])
            body = application(station_id)
            body["seeker"]["id_number"] = id_number(serial=n, birth="19750505")
            first = api.submit_application(f"herd-{run}-{n}", body)
            assert api.submit_application(f"herd-{run}-{n}", body) == first  # an outbox retry
            api.heartbeat(station_id, HEARTBEAT)
            done[station_id] = time.monotonic() - start
        finally:
            api.close()

    with ThreadPoolExecutor(HERD) as pool:
        list(pool.map(cycle, range(HERD)))
    assert len(done) == HERD
    rows = _sql(cluster, "SELECT count(*), count(DISTINCT idempotency_key) FROM applications "
                         "WHERE idempotency_key LIKE %s", f"herd-{run}-%")
    assert rows == [(HERD, HERD)]
