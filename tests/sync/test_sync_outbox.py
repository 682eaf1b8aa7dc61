"""The outbox: durable before return, encrypted at rest, exactly once, refusals reported."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import stat
from pathlib import Path

import pytest
from sync_helpers import (
    Central,
    fake_id_number,
    fake_phone,
    key_file_for,
    kiosk_settings,
    make_outbox,
)

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
    outbox = make_outbox(tmp_path)
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
    key = key_file_for(tmp_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not (tmp_path / "outbox.key").exists()
    # a second Outbox on the same directory reuses the key and can read the row
    assert make_outbox(tmp_path).pending() == 1
    with pytest.raises(ValueError):
        outbox.submit(job_id="j1", station_id="s1", id_number=id_number, name="x", phone=phone,
                      consent_version="v1", consent_at=__import__("datetime").datetime(2025, 1, 1))


def test_flush_delivers_once_and_deletes(central: Central, tmp_path: Path) -> None:
    rng = random.Random(2)
    job = open_jobs(central, 1)[0]
    before = server_count(central, job)
    outbox = make_outbox(tmp_path)
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
    outbox = make_outbox(tmp_path)
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
    outbox = make_outbox(tmp_path)
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
    outbox = make_outbox(tmp_path)
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
    outbox = make_outbox(tmp_path)
    submit(outbox, central, open_jobs(central, 1)[0], rng)
    settings = kiosk_settings(central, tmp_path, base_url="http://127.0.0.1:9")  # discard port
    with pytest.raises(ApiOffline):
        outbox.flush(ApiClient(settings.api, retries=0))
    assert outbox.pending() == 1


def _forms(text: str) -> list[bytes]:
    return [text.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def test_delivered_personal_data_is_gone_from_data_dir(central: Central, tmp_path: Path) -> None:
    """After delivery no file under data_dir holds an ID number, name or phone in the clear
    (UTF-8, UTF-16) nor any piece of their ciphertext, and the key is not there either."""
    rng = random.Random(7)
    data_dir = tmp_path / "data"
    outbox = make_outbox(data_dir)
    job = open_jobs(central, 1)[0]
    people = [(fake_id_number(rng), f"隐私测试{i}", fake_phone(rng)) for i in range(20)]
    for id_number, name, phone in people:
        outbox.submit(job_id=job, station_id=central.station["id"], id_number=id_number, name=name,
                      phone=phone, consent_version="v1", consent_at=CONSENT)
    blobs = [b for (b,) in outbox._conn().execute("SELECT seeker FROM outbox")]
    assert len(blobs) == 20
    api = ApiClient(kiosk_settings(central, data_dir).api)
    assert outbox.flush(api) == (20, 0)
    # the kiosk keeps running (connection open): what a power cut or a pulled card leaves
    needles = [f for person in people for text in person for f in _forms(text)]
    # every 16-byte window of each ciphertext (past the nonce): no fragment may survive
    needles += [b[i:i + 16] for b in blobs for i in range(12, len(b) - 16, 8)]
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "outbox.db" for p in files)
    for path in files:
        raw = path.read_bytes()
        found = [n for n in needles if n in raw]
        assert not found, f"{path.name} still holds {len(found)} personal-data fragments"
    assert not [p for p in files if len(p.read_bytes()) == 32 or p.name.endswith(".key")]
    assert key_file_for(data_dir).exists() and not key_file_for(data_dir).is_relative_to(data_dir)


def test_key_inside_data_dir_is_refused_and_a_legacy_key_is_moved_out(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with pytest.raises(ValueError, match="outside data_dir"):
        Outbox(data_dir, data_dir / "outbox.key")
    # a kiosk of the previous release: its key in data_dir and a row waiting under it
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    outbox = make_outbox(data_dir)
    entry = outbox.submit(job_id="j1", station_id="s1", id_number="x", name="y", phone="z",
                          consent_version="v1", consent_at=CONSENT)
    outbox.close()
    legacy = AESGCM.generate_key(bit_length=256)
    (data_dir / "outbox.key").write_bytes(legacy)
    nonce = b"\0" * 12
    old_blob = nonce + AESGCM(legacy).encrypt(nonce, b'{"id_number":"1"}', entry.idempotency_key.encode())
    with sqlite3.connect(data_dir / "outbox.db") as conn:
        conn.execute("UPDATE outbox SET seeker = ?", (old_blob,))
    again = make_outbox(data_dir)
    assert not (data_dir / "outbox.key").exists()
    (blob,) = again._conn().execute("SELECT seeker FROM outbox").fetchone()
    assert blob != old_blob
    assert again._aead.decrypt(blob[:12], blob[12:], entry.idempotency_key.encode()) == b'{"id_number":"1"}'


def test_key_path_setting_and_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.outbox import key_path
    from kiosk.settings import SettingsError, from_dict

    s = from_dict({"storage": {"data_dir": str(tmp_path / "data"), "outbox_key_file": str(tmp_path / "k")}})
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert key_path(s) == tmp_path / "k"
    assert from_dict({}).storage.outbox_key_file == Path("/etc/gig-kiosk/outbox.key")
    creds = tmp_path / "creds"
    creds.mkdir()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert key_path(s) == tmp_path / "k"  # no credential of that name: the setting
    (creds / "outbox.key").write_bytes(b"k" * 32)
    (creds / "outbox.key").chmod(0o400)
    creds.chmod(0o500)  # systemd's credential directory is read-only
    assert key_path(s) == creds / "outbox.key"
    assert Outbox(tmp_path / "data", key_path(s))._aead is not None
    with pytest.raises(SettingsError, match="outbox_key_file"):
        from_dict({"storage": {"data_dir": str(tmp_path), "outbox_key_file": str(tmp_path / "x.key")}})
