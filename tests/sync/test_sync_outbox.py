"""The outbox: durable before return, encrypted at rest, exactly once, refusals reported."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import stat
from pathlib import Path

import pytest
from sync_helpers import Central, fake_id_number, fake_phone, kiosk_settings

from kiosk.api import ApiClient, ApiOffline
from kiosk.netsim import FaultProxy
from kiosk.outbox import Outbox

CONSENT = dt.datetime.now(dt.UTC).isoformat()  # central accepts consent of the last 30 days


def submit(outbox: Outbox, central: Central, job_id: str, rng: random.Random, name: str = "测试甲"):
    return outbox.submit(job_id=job_id, station_id=central.station["id"], id_number=fake_id_number(rng),
                         name=name, phone=fake_phone(rng), consent_version="v1", consent_at=CONSENT)


def open_jobs(central: Central, n: int) -> list[str]:
    r = central.station_client().get(f"/v1/stations/{central.station['id']}/jobs", params={"limit": n})
    return [j["id"] for j in r.json()["jobs"]]


def server_count(central: Central, job_id: str | None = None) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(central.database_url)
    with engine.connect() as conn:
        q = "SELECT count(*) FROM applications" + (" WHERE job_id = :j" if job_id else "")
        n = conn.execute(text(q), {"j": job_id}).scalar_one()
    engine.dispose()
    return n


def test_submit_is_committed_encrypted_and_keyed(tmp_path: Path) -> None:
    rng = random.Random(1)
    outbox = Outbox(tmp_path)
    id_number, phone = fake_id_number(rng), fake_phone(rng)
    entry = outbox.submit(job_id="j1", station_id="s1", id_number=id_number, name="王小明",
                          phone=phone, consent_version="v1", consent_at=CONSENT)
    assert len(entry.reference) == 9 and entry.reference[4] == "-"
    assert len(entry.idempotency_key) == 36 and entry.created_at > 0
    # another connection (another process) sees it at once: committed before returning
    other = sqlite3.connect(tmp_path / "outbox.db")
    assert other.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._conn().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # personal data never in the clear on disk
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.db*"))
    for secret in (id_number, phone, "王小明"):
        assert secret.encode() not in raw
    key = tmp_path / "outbox.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    # a second Outbox on the same directory reuses the key and can read the row
    assert Outbox(tmp_path).pending() == 1
    with pytest.raises(ValueError):
        outbox.submit(job_id="j1", station_id="s1", id_number=id_number, name="x", phone=phone,
                      consent_version="v1", consent_at=__import__("datetime").datetime(2025, 1, 1))


def test_flush_delivers_once_and_deletes(central: Central, tmp_path: Path) -> None:
    rng = random.Random(2)
    job = open_jobs(central, 1)[0]
    before = server_count(central, job)
    outbox = Outbox(tmp_path)
    entries = [submit(outbox, central, job, rng, name=f"测试{i}") for i in range(5)]
    api = ApiClient(kiosk_settings(central, tmp_path).api)
    assert outbox.flush(api) == (5, 0)
    assert server_count(central, job) == before + 5
    assert all(outbox.status_of(e.reference) == "delivered" for e in entries)
    assert outbox.flush(api) == (0, 0)


def test_lost_answer_is_replayed_not_duplicated(central: Central, proxy: FaultProxy, tmp_path: Path) -> None:
    """The server stores the application but the answer is cut: the retry with the same
    Idempotency-Key gets the stored answer and no second application exists."""
    rng = random.Random(3)
    job = open_jobs(central, 2)[1]
    before = server_count(central, job)
    outbox = Outbox(tmp_path)
    submit(outbox, central, job, rng)
    api = ApiClient(kiosk_settings(central, tmp_path, base_url=proxy.url).api, retries=0)
    proxy.set("cut")
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    assert outbox.pending() == 1
    assert server_count(central, job) == before + 1  # it did arrive
    proxy.set("pass")
    assert outbox.flush(api) == (1, 0)
    assert server_count(central, job) == before + 1


def test_retry_inside_the_client_reuses_the_key(central: Central, proxy: FaultProxy, tmp_path: Path) -> None:
    """With retries on, a cut answer is retried by urllib3 (POST allowed only because it
    carries an Idempotency-Key) and still lands once."""
    rng = random.Random(4)
    job = open_jobs(central, 3)[2]
    before = server_count(central, job)
    outbox = Outbox(tmp_path)
    submit(outbox, central, job, rng)
    api = ApiClient(kiosk_settings(central, tmp_path, base_url=proxy.url).api, retries=3, backoff_s=0.01)
    proxy.set("cut")
    import threading

    threading.Timer(0.3, proxy.set, args=("pass",)).start()
    result = None
    for _ in range(50):
        try:
            result = outbox.flush(api)
            break
        except ApiOffline:
            continue
    assert result == (1, 0)
    assert server_count(central, job) == before + 1


def test_closed_job_is_rejected_reported_and_not_retried(fresh_central: Central, tmp_path: Path) -> None:
    rng = random.Random(5)
    job_open, job_closed = open_jobs(fresh_central, 2)
    assert fresh_central.staff_client().post(f"/v1/jobs/{job_closed}/close").status_code == 200
    outbox = Outbox(tmp_path)
    bad = submit(outbox, fresh_central, job_closed, rng)
    missing = outbox.submit(job_id="no-such-job", station_id=fresh_central.station["id"],
                            id_number=fake_id_number(rng), name="测试乙", phone=fake_phone(rng),
                            consent_version="v1", consent_at=CONSENT)
    good = submit(outbox, fresh_central, job_open, rng)
    api = ApiClient(kiosk_settings(fresh_central, tmp_path).api)
    assert outbox.flush(api) == (1, 0)  # the good one went; the others left the queue
    assert outbox.status_of(good.reference) == "delivered"
    rejected = {r.reference: r for r in outbox.rejections()}
    assert rejected[bad.reference].status == 410 and "closed" in rejected[bad.reference].reason
    assert rejected[missing.reference].status == 404
    assert outbox.rejected_count() == 2
    # personal data of refused rows is gone from the file
    conn = sqlite3.connect(tmp_path / "outbox.db")
    assert [c[1] for c in conn.execute("PRAGMA table_info(rejected)")] == [
        "reference", "job_id", "status", "reason", "created_at", "rejected_at"]
    assert outbox.flush(api) == (0, 0)


def test_offline_flush_keeps_rows(central: Central, tmp_path: Path) -> None:
    rng = random.Random(6)
    outbox = Outbox(tmp_path)
    submit(outbox, central, open_jobs(central, 1)[0], rng)
    settings = kiosk_settings(central, tmp_path, base_url="http://127.0.0.1:9")  # discard port
    with pytest.raises(ApiOffline):
        outbox.flush(ApiClient(settings.api, retries=0))
    assert outbox.pending() == 1
