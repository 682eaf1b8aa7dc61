"""`deliver` and `send_due` (central.sms.delivery) on SQLite and PostgreSQL with the Alibaba
protocol test server: daily cap (also under concurrent sessions), quiet hours, language,
refusals, provider answers, and the phone number never stored in clear."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from central import db, periodic
from central.models import County, SmsLog
from central.pgcluster import find_bindir
from central.security import DataCipher, new_data_key
from central.services import as_utc
from central.sms.aliyun import AliyunSms
from central.sms.delivery import cancel_for_person, deliver, send_due
from central.sms.message import SmsRequest
from central.sms.policy import SmsPolicy
from central.sms.testserver import TEST_KEY_ID, TEST_KEY_SECRET, SmsTestServer

NOON = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
MORNING = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 the next day
PHONE = "13912345678"
POLICY = SmsPolicy(templates={"zh": "SMS_ZH", "en": "SMS_EN"})
CIPHER = DataCipher(new_data_key())


def person(n: int) -> str:
    return CIPHER.seeker_hash(f"34010219900101{n:04d}")


def request(n: int = 1, **over: str) -> SmsRequest:
    base = {"county": "east", "person": person(n), "phone": PHONE, "lang": "zh", "job_title": "小区保洁",
            "pay": "150元/天", "station_name": "东关驿站", "help_phone": "0550-1234567"}
    return SmsRequest(**(base | over))


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    eng = db.make_engine(database_url)
    db.migrate(eng)
    with Session(eng) as s:
        for code in ("east", "west"):
            s.add(County(code=code, name=code, key_id="k", public_key=b"0" * 32, private_key_enc=b"x"))
        s.commit()
    yield eng
    eng.dispose()


@pytest.fixture()
def sms_server() -> Iterator[SmsTestServer]:
    srv = SmsTestServer().start()
    yield srv
    srv.stop()


@pytest.fixture()
def sms(sms_server: SmsTestServer) -> AliyunSms:
    return AliyunSms(TEST_KEY_ID, TEST_KEY_SECRET, "东关零工驿站", endpoint=sms_server.url, timeout=(1.0, 1.0))


def run(engine: Engine, requests: list[SmsRequest], notifier: AliyunSms | None, now: datetime,
        policy: SmsPolicy = POLICY) -> list[str]:
    with Session(engine) as s:
        return [o.status for o in deliver(s, requests, notifier, now, cipher=CIPHER, policy=policy)]


def rows(engine: Engine) -> list[SmsLog]:
    with Session(engine) as s:
        return list(s.scalars(select(SmsLog).order_by(SmsLog.created_at, SmsLog.ref, SmsLog.id)))


def test_sent_in_the_seekers_language_and_logged(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    assert run(engine, [request(1), request(2, lang="en"), request(3, lang="ug")], sms, NOON) == ["sent"] * 3
    assert [m.template for m in sms_server.messages] == ["SMS_ZH", "SMS_EN", "SMS_ZH"]
    assert sms_server.messages[0].params == {"job": "小区保洁", "pay": "150元/天", "station": "东关驿站",
                                             "phone": "0550-1234567"}
    log = rows(engine)
    assert {r.status for r in log} == {"sent"} and all(r.provider_id.endswith("^0") for r in log)
    assert all(r.phone_enc is None and as_utc(r.sent_at) == NOON for r in log)
    assert {m.out_id for m in sms_server.messages} == {r.id for r in log}


def test_at_most_n_a_day_per_person_then_again_the_next_day(engine: Engine, sms: AliyunSms,
                                                              sms_server: SmsTestServer) -> None:
    got = run(engine, [request(1, ref="match:1"), request(1, ref="match:2"), request(1, ref="match:3"),
                       request(2, ref="match:4")], sms, NOON)
    assert got == ["sent", "sent", "refused", "sent"]
    assert rows(engine)[2].detail == "daily cap reached"
    assert run(engine, [request(1, ref="match:5", county="west")], sms, NOON + timedelta(hours=8)) == ["refused"]
    assert run(engine, [request(1, ref="match:6")], sms, NOON + timedelta(days=1)) == ["sent"]
    assert len(sms_server.messages) == 4
    assert run(engine, [request(3, ref="m")], sms, NOON, SmsPolicy(templates={"zh": "Z"}, daily_cap=0)) == ["refused"]


def test_the_same_ref_is_sent_once(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    assert run(engine, [request(1, ref="match:9")], sms, NOON) == ["sent"]
    assert run(engine, [request(1, ref="match:9")], sms, NOON) == ["sent"]
    assert len(sms_server.messages) == 1 and len(rows(engine)) == 1


def test_the_cap_holds_across_concurrent_sessions(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    """Eight sessions (as on several instances) deliver to one person at once."""
    start = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            start.wait()
            results.extend(run(engine, [request(7, ref=f"race:{i}")], sms, NOON))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == ["refused"] * 6 + ["sent"] * 2
    assert len(sms_server.messages) == 2


def test_quiet_hours_hold_then_send_after(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    assert run(engine, [request(1, ref="a"), request(1, ref="b"), request(1, ref="c")], sms, NIGHT) == [
        "held", "held", "refused"]  # held ones count against the day they will go out
    assert sms_server.messages == []
    [held, _, _] = rows(engine)
    assert as_utc(held.next_attempt_at) == MORNING and held.phone_enc and held.day.isoformat() == "2026-12-01"
    assert send_due(engine, sms, CIPHER, MORNING - timedelta(minutes=1), POLICY)["sent"] == 0
    summary = send_due(engine, sms, CIPHER, MORNING, POLICY)
    assert (summary["sent"], summary["held"]) == (2, 0)
    assert [m.phone for m in sms_server.messages] == [PHONE, PHONE]
    assert all(r.phone_enc is None for r in rows(engine))
    assert run(engine, [request(1, ref="d")], sms, MORNING + timedelta(hours=1)) == ["refused"]  # the 08:00 day is full
    assert send_due(engine, sms, CIPHER, MORNING + timedelta(minutes=5), POLICY)["sent"] == 0  # nothing twice


def test_held_messages_of_a_person_can_be_cancelled(engine: Engine, sms: AliyunSms,
                                                    sms_server: SmsTestServer) -> None:
    assert run(engine, [request(1, ref="a"), request(2, ref="b")], sms, NIGHT) == ["held", "held"]
    with Session(engine) as s:
        assert cancel_for_person(s, person(1), "registration ended") == 1
    assert send_due(engine, sms, CIPHER, MORNING, POLICY)["sent"] == 1
    cancelled, sent = rows(engine)
    assert (cancelled.status, cancelled.detail, cancelled.phone_enc) == ("refused", "registration ended", None)
    assert sent.status == "sent" and len(sms_server.messages) == 1


def test_refusals_before_sending(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    got = run(engine, [request(1, ref="r1", job_title="日结 加微信 abc.com"),
                       request(2, ref="r2", job_title="先交押金"), request(3, ref="r3", phone="12345", lang="en"),
                       request(4, ref="r4", lang="en")], sms, NOON,
              SmsPolicy(templates={"en": "SMS_EN"}))
    assert got == ["refused", "refused", "refused", "sent"]
    details = [r.detail for r in rows(engine)]
    assert details[0].startswith("unsafe template parameter") and "fee" in details[1]
    assert details[2] == "not a mainland mobile number"
    assert len(sms_server.messages) == 1
    assert run(engine, [request(5, lang="zh")], sms, NOON, SmsPolicy(templates={"en": "SMS_EN"})) == ["refused"]


def test_not_configured_is_refused_not_faked(engine: Engine) -> None:
    assert run(engine, [request(1)], None, NOON) == ["refused"]
    [row] = rows(engine)
    assert row.detail == "sms not configured" and row.phone_enc is None


def test_provider_later_is_held_with_backoff_and_sent(engine: Engine, sms: AliyunSms,
                                                       sms_server: SmsTestServer) -> None:
    sms_server.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    sms_server.fail_next("isv.MOBILE_NUMBER_ILLEGAL")
    assert run(engine, [request(1, ref="x"), request(2, ref="y")], sms, NOON) == ["held", "refused"]
    held = rows(engine)[0]
    assert as_utc(held.next_attempt_at) == NOON + timedelta(minutes=5) and held.attempts == 1
    assert send_due(engine, sms, CIPHER, NOON + timedelta(minutes=5), POLICY)["sent"] == 1
    assert [r.status for r in rows(engine)] == ["sent", "refused"]


def test_unknown_outcome_fails_and_is_never_resent(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    sms_server.hang_next(2.0)
    assert run(engine, [request(1, ref="slow")], sms, NOON) == ["failed"]
    assert send_due(engine, sms, CIPHER, NOON + timedelta(hours=1), POLICY)["sent"] == 0
    assert sms_server.requests == 1
    assert rows(engine)[0].phone_enc is None


def test_gives_up_after_max_attempts(engine: Engine, sms: AliyunSms, sms_server: SmsTestServer) -> None:
    sms_server.fail_next("isp.SYSTEM_ERROR", times=5)
    at = NOON
    assert run(engine, [request(1, ref="x")], sms, at) == ["held"]
    for _ in range(4):
        at += timedelta(hours=1)
        send_due(engine, sms, CIPHER, at, POLICY)
    [row] = rows(engine)
    assert row.status == "failed" and row.attempts == 5 and row.phone_enc is None


def _dump(engine: Engine, database_url: str) -> bytes:
    if engine.dialect.name == "sqlite":
        path = Path(make_url(database_url).database)
        with engine.connect() as conn:
            text_dump = "\n".join(conn.connection.dbapi_connection.iterdump()).encode()
        wal = path.with_name(path.name + "-wal")
        return text_dump + path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run([str(find_bindir() / "pg_dump"), "--data-only", url], capture_output=True,
                          check=True).stdout


def test_the_phone_number_is_never_stored_in_clear(engine: Engine, database_url: str, sms: AliyunSms) -> None:
    run(engine, [request(1, ref="a"), request(2, ref="b")], sms, NOON)
    run(engine, [request(3, ref="c")], sms, NIGHT)  # held: kept encrypted until sent
    run(engine, [request(4, ref="d")], None, NOON)
    dump = _dump(engine, database_url)
    assert b"smslog" in dump.replace(b"_", b"") and person(1).encode() in dump  # the dump is real
    assert PHONE.encode() not in dump
    assert PHONE.encode("utf-16-le") not in dump


def test_person_hashes_are_forgotten_after_the_day(engine: Engine, sms: AliyunSms) -> None:
    run(engine, [request(1, ref="a")], sms, NOON)
    assert send_due(engine, sms, CIPHER, NOON + timedelta(days=1), POLICY)["forgotten"] == 0
    assert send_due(engine, sms, CIPHER, NOON + timedelta(days=2), POLICY)["forgotten"] == 1
    assert rows(engine)[0].person_hash is None


def test_registered_as_a_periodic_job(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from central.app import DATA_KEY_ENV
    from central.security import encode_key

    assert "sms" in periodic.REGISTRY
    run(engine, [request(1, ref="a")], AliyunSms("i", "s", "n", endpoint="http://127.0.0.1:9/"), NIGHT)
    monkeypatch.delenv("GIG_CENTRAL_SMS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv(DATA_KEY_ENV, encode_key(new_data_key()))
    # Not configured when the quiet hours end: refused, never reported as sent.
    assert periodic.REGISTRY["sms"].run(engine, MORNING)["refused"] == 1
    assert rows(engine)[0].detail == "sms not configured"
