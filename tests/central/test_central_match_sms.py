"""New matches told by SMS (central.match_sms) on SQLite and PostgreSQL, through the Alibaba
protocol test server: a match made while the seeker stands at the kiosk is not texted, a job
published later is, several at once make one message, a registration without SMS consent
gets none, an ended registration's held message never goes, and the phone number is never
in a template variable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from central_helpers import job_body
from registration_helpers import registration
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central import db
from central.match_sms import run
from central.models import Match, Registration
from central.security import DataCipher
from central.sms.aliyun import AliyunSms
from central.sms.policy import SmsPolicy
from central.sms.testserver import TEST_KEY_ID, TEST_KEY_SECRET, SmsTestServer

STATION = "e-park"
POLICY = SmsPolicy(templates={"zh": "SMS_ZH", "en": "SMS_EN"}, quiet_hours="")
NOON = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture()
def sms() -> Iterator[tuple[SmsTestServer, AliyunSms]]:
    srv = SmsTestServer().start()
    yield srv, AliyunSms(TEST_KEY_ID, TEST_KEY_SECRET, "东关零工驿站", endpoint=srv.url, timeout=(1.0, 1.0))
    srv.stop()


def _register(server, serial: int, sms: bool = True, lang: str = "zh") -> str:  # noqa: ANN001
    body = registration(serial=serial, birth="19900101", categories=["水电维修"], reach={"km": 5})
    body["consent"]["sms"], body["lang"] = sms, lang
    r = server.client.post("/v1/registrations", json=body, headers={
        **server.as_(server.stations[STATION]["token"]), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _job(server, title: str, pay: float = 200) -> str:  # noqa: ANN001
    body = job_body(title=title, category="水电维修", lat=31.303, lng=117.2, pay_unit="day",
                    pay_amount=pay, requirements={"age_min": 18, "age_max": 60, "notes": ""})
    r = server.client.post("/v1/jobs", json=body, headers=server.as_(server.staff["east"]["token"]))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _states(engine, reg_id: str) -> dict[str, str]:  # noqa: ANN001
    with Session(engine) as s:
        return dict(s.execute(select(Match.job_id, Match.sms_state).where(Match.registration_id == reg_id)).all())


def _age(engine, reg_id: str) -> None:  # noqa: ANN001
    """As if the registration was made an hour ago (matches from now on are news to the seeker)."""
    with Session(engine) as s:
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        s.execute(update(Registration).where(Registration.id == reg_id).values(updated_at=hour_ago))
        s.execute(update(Match).where(Match.registration_id == reg_id).values(created_at=hour_ago))
        s.commit()


def test_new_jobs_are_texted_once_per_registration(server, sms) -> None:  # noqa: ANN001
    srv, notifier = sms
    engine = db.make_engine(server.database_url)
    cipher = DataCipher(server.data_key)
    try:
        early = _job(server, "老小区水管检修")
        reg_id = _register(server, 801)
        quiet = _register(server, 802, sms=False)
        run(engine, NOON, notifier, cipher, POLICY)
        assert _states(engine, reg_id)[early] == "at_kiosk" and srv.messages == []
        assert set(_states(engine, quiet).values()) <= {"none"}

        _age(engine, reg_id)
        titles = {_job(server, "商场灯具更换", 260): ("商场灯具更换", "260元/天"),
                  _job(server, "学校水电巡检", 220): ("学校水电巡检", "220元/天")}
        later = list(titles)
        out = run(engine, NOON, notifier, cipher, POLICY)
        assert out["messages"] == {"sent": 1}
        states = _states(engine, reg_id)
        assert sorted(states[j] for j in later) == ["grouped", "sent"]
        (msg,) = srv.messages
        assert msg.phone == "13812345678" and msg.template == "SMS_ZH"
        params = msg.params
        sent = next(j for j in later if states[j] == "sent")  # the best scored (equal here)
        assert (params["job"], params["pay"]) == titles[sent]
        assert "13812345678" not in str(params) and "王" not in str(params)
        assert run(engine, NOON, notifier, cipher, POLICY)["messages"] == {}  # nothing twice
    finally:
        engine.dispose()


def test_an_ended_registration_is_not_texted(server, sms) -> None:  # noqa: ANN001
    srv, notifier = sms
    engine = db.make_engine(server.database_url)
    cipher = DataCipher(server.data_key)
    try:
        reg_id = _register(server, 803, lang="en")
        _age(engine, reg_id)
        job = _job(server, "夜间水电抢修")
        night = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: held
        sent_before = len(srv.messages)
        assert run(engine, night, notifier, cipher, SmsPolicy(templates=POLICY.templates))["messages"]["held"] >= 1
        assert _states(engine, reg_id)[job] == "held"
        body = registration(serial=803, birth="19900101")
        r = server.client.post(f"/v1/registrations/{reg_id}/end", json={
            "station_id": STATION, "id_number": body["seeker"]["id_number"]}, headers={
            **server.as_(server.stations[STATION]["token"]), "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 200, r.text
        from central.sms.delivery import send_due

        send_due(engine, notifier, cipher, night + timedelta(hours=11), SmsPolicy(templates=POLICY.templates))
        # Ended before the quiet hours were over: its (English) message never goes; others do.
        assert [m.template for m in srv.messages[sent_before:] if m.template == "SMS_EN"] == []
        run(engine, night + timedelta(hours=11), notifier, cipher, POLICY)
        assert _states(engine, reg_id) == {}  # its new matches went with the registration
    finally:
        engine.dispose()
