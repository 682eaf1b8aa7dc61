"""The SMS rules (central.sms.policy): quiet hours, language, safe template variables."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from central.sms.config import notifier_from_env, policy_from_env
from central.sms.message import SmsRequest
from central.sms.policy import SmsPolicy, UnsafeParam, check_params

SH = ZoneInfo("Asia/Shanghai")
POLICY = SmsPolicy(templates={"zh": "SMS_ZH", "en": "SMS_EN"})


def request(**over: str) -> SmsRequest:
    base = {"county": "east", "person": "a" * 64, "phone": "13912345678", "lang": "zh",
            "job_title": "保洁", "pay": "150元/天", "station_name": "东关驿站", "help_phone": "0550-12345"}
    return SmsRequest(**(base | over))


@pytest.mark.parametrize(("local", "until"), [
    ("2026-11-29 20:59", None), ("2026-11-29 21:00", "2026-11-30 08:00"),
    ("2026-11-29 23:30", "2026-11-30 08:00"), ("2026-11-30 03:00", "2026-11-30 08:00"),
    ("2026-11-30 07:59", "2026-11-30 08:00"), ("2026-11-30 08:00", None), ("2026-11-30 12:00", None),
])
def test_quiet_hours_in_the_countys_time(local: str, until: str | None) -> None:
    now = datetime.fromisoformat(local).replace(tzinfo=SH).astimezone(UTC)
    got = POLICY.quiet_until(now)
    assert (got.astimezone(SH).strftime("%Y-%m-%d %H:%M") if got else None) == until


def test_no_quiet_hours_and_a_daytime_span() -> None:
    noon = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    assert SmsPolicy(quiet_hours="").quiet_until(noon) is None
    assert SmsPolicy(quiet_hours="11:00-13:00").quiet_until(noon) == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        SmsPolicy(quiet_hours="9pm-8am")


def test_the_template_follows_the_seekers_language() -> None:
    assert POLICY.template_for("zh") == ("zh", "SMS_ZH")
    assert POLICY.template_for("en") == ("en", "SMS_EN")
    assert POLICY.template_for("ug") == ("zh", "SMS_ZH")  # no template in that language: Chinese
    assert SmsPolicy(templates={"en": "SMS_EN"}).template_for("zh") is None


def test_params_are_only_job_pay_station_and_help_phone_truncated() -> None:
    params = POLICY.params(request(job_title="小区保洁 " * 10))
    assert set(params) == {"job", "pay", "station", "phone"}
    assert len(params["job"]) == 20 and params["job"].endswith("…")
    assert "13912345678" not in params.values()


@pytest.mark.parametrize("text", [
    "http://x.cn/a", "HTTPS://jobs", "www.jobs", "加微信 abc.com 报名", "t.cn/xyz", "jobs。top",
    "交押金200元", "报名费50", "服装费", "免费体检",
])
def test_links_and_fee_words_are_refused(text: str) -> None:
    with pytest.raises(UnsafeParam):
        check_params({"job": text})
    with pytest.raises(UnsafeParam):
        POLICY.params(request(job_title=text))


@pytest.mark.parametrize("text", ["保洁", "150元/天", "12.5元/小时", "Cleaner, 3 p.m. start", "0550-1234567"])
def test_ordinary_words_pass(text: str) -> None:
    check_params({"job": text})


def test_configuration_from_the_environment() -> None:
    assert notifier_from_env({}) is None
    assert notifier_from_env({"GIG_CENTRAL_SMS_ACCESS_KEY_ID": "id", "GIG_CENTRAL_SMS_SIGN_NAME": "s"}) is None
    env = {"GIG_CENTRAL_SMS_ACCESS_KEY_ID": "id", "GIG_CENTRAL_SMS_ACCESS_KEY_SECRET": "sec",
           "GIG_CENTRAL_SMS_SIGN_NAME": "东关驿站", "GIG_CENTRAL_SMS_ENDPOINT": "http://127.0.0.1:9/",
           "GIG_CENTRAL_SMS_TEMPLATE_ZH": "SMS_1", "GIG_CENTRAL_SMS_DAILY_CAP": "3",
           "GIG_CENTRAL_SMS_QUIET_HOURS": "22:00-07:00"}
    sms = notifier_from_env(env)
    assert sms is not None and sms.endpoint == "http://127.0.0.1:9/" and "sec" not in repr(sms)
    policy = policy_from_env(env)
    assert (policy.daily_cap, policy.quiet_hours, dict(policy.templates)) == (3, "22:00-07:00", {"zh": "SMS_1"})
