"""Retention (issue 12): `run_purge` and `gig-central purge` erase personal data after a final
status + the county's days and after the maximum age, replacing the ciphertext bytes in the
database file (SQLite scanned byte by byte); statuses and counts stay. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from central_helpers import DEMO, application, id_number
from sqlalchemy import text

from central import db
from central.retention import run_purge
from central.security import new_data_key
from central.services import now
from central.testing import start_seeded_server

ROOT = Path(__file__).resolve().parents[2]


def _files(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists())


def _remnants(blob: bytes, raw: bytes, size: int = 12) -> int:
    """How many `size`-byte slices of `blob` are still somewhere in `raw` (random bytes: a
    12-byte match by chance is out of the question)."""
    return sum(blob[i:i + size] in raw for i in range(0, len(blob) - size + 1, size))


def test_purge_erases_bytes_and_keeps_counts(database_url: str) -> None:
    base_url, seed, stop = start_seeded_server(database_url, demo_dir=DEMO, data_key=new_data_key())
    engine = db.make_engine(database_url)
    api = httpx.Client(base_url=base_url, timeout=30)
    token = {s["id"]: s["token"] for s in seed["stations"]}
    staff = {s["username"]: s["token"] for s in seed["staff"]}
    try:
        def apply(station: str, job: str, serial: int, name: str, phone: str) -> str:
            r = api.post("/v1/applications", json=application(station, job_id=job, name=name, phone=phone,
                                                               id_number=id_number(serial)),
                         headers={"Authorization": f"Bearer {token[station]}", "Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        def outcome(app_id: str, status: str, user: str = "east-admin") -> None:
            r = api.post(f"/v1/applications/{app_id}/outcome", json={"status": status, "note": "备注 13900000000"},
                         headers={"Authorization": f"Bearer {staff[user]}"})
            assert r.status_code == 200, r.text

        def counts(county: str = "east", user: str = "east-admin") -> dict:
            r = api.get(f"/v1/counties/{county}/applications", headers={"Authorization": f"Bearer {staff[user]}"})
            return r.json()["counts"]

        waiting = apply("e-park", "e-001", 401, "等待甲", "13822220001")
        hired = apply("e-park", "e-002", 402, "录用乙", "13822220002")
        talking = apply("e-mall", "e-010", 403, "联系丙", "13822220003")
        west_hired = apply("w-park", "w-001", 404, "西录丁", "13822220004")
        for app_id in (hired, talking):
            outcome(app_id, "contacted")
        outcome(hired, "hired")
        outcome(west_hired, "contacted", "west-admin")
        outcome(west_hired, "not_hired", "west-admin")
        with engine.begin() as conn:  # west keeps final applications 1 day, east the default 30
            conn.execute(text("UPDATE counties SET retention_final_days = 1 WHERE code = 'west'"))
            blobs = dict(conn.execute(text("SELECT id, seeker_enc FROM applications")).all())
        before = counts()
        sqlite = database_url.startswith("sqlite")
        if sqlite:
            with engine.connect() as conn:  # on every build, not only those compiled with it
                assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
            raw = _files(database_url)
            assert bytes(blobs[hired]) in raw  # the scan finds the ciphertext while it is kept
            for plain in ("录用乙", "13822220002", id_number(402)):
                assert plain.encode() not in raw

        t0 = now()
        assert run_purge(engine, t0 + timedelta(hours=1)) == {"erased": 0, "kept": 4}
        assert run_purge(engine, t0 + timedelta(days=2)) == {"erased": 1, "kept": 3}  # west's final one
        assert run_purge(engine, t0 + timedelta(days=31)) == {"erased": 1, "kept": 2}  # east's hired
        assert run_purge(engine, t0 + timedelta(days=31)) == {"erased": 0, "kept": 2}  # nothing twice
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(text("SELECT * FROM applications")).all()}
            notes = conn.execute(text("SELECT application_id, note FROM application_events")).all()
        for app_id in (hired, west_hired):
            row = rows[app_id]
            assert bytes(row.seeker_enc) == b"" and row.erased_at is not None
            assert row.seeker_hash is None and row.person_hash is None and row.request_hash == ""
        assert rows[hired].status == "hired" and rows[west_hired].status == "not_hired"
        assert all(note == "" for app_id, note in notes if app_id in (hired, west_hired))
        assert any(note for app_id, note in notes if app_id == talking)  # not due yet
        assert rows[waiting].erased_at is None
        if sqlite:
            raw = _files(database_url)
            assert _remnants(bytes(blobs[hired]), raw) == 0 and _remnants(bytes(blobs[west_hired]), raw) == 0
            assert bytes(blobs[waiting]) in raw

        # The maximum age (90 days) takes everything left, through the command line.
        later = (t0 + timedelta(days=91)).isoformat()
        out = subprocess.run([sys.executable, "-m", "central.cli", "purge", "--database", database_url,
                              "--now", later], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == {"erased": 2, "kept": 0}
        assert counts() == before  # statistics survive: rows and statuses stay
        assert counts()["hired"] == 1 and counts()["contacted"] == 1 and counts()["new"] == 1
        if sqlite:
            raw = _files(database_url)
            for blob in blobs.values():
                assert _remnants(bytes(blob), raw) == 0
        bad = subprocess.run([sys.executable, "-m", "central.cli", "purge", "--database", database_url,
                              "--now", "yesterday"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and "ISO 8601" in bad.stderr
        r = api.get("/v1/counties/east/applications", headers={"Authorization": f"Bearer {staff['east-admin']}"})
        assert all(a["seeker"] is None and a["erased"] for a in r.json()["applications"])
    finally:
        api.close()
        engine.dispose()
        stop()
