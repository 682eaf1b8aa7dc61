"""SMS configuration from the environment (never from the database: the AccessKey secret
would then sit in every backup). Read by the periodic job and by whatever calls `deliver`.

    GIG_CENTRAL_SMS_ACCESS_KEY_ID        Alibaba Cloud AccessKey id (a RAM user allowed SendSms only)
    GIG_CENTRAL_SMS_ACCESS_KEY_SECRET_FILE  file holding the secret (or ..._SECRET itself)
    GIG_CENTRAL_SMS_SIGN_NAME            the approved signature (签名)
    GIG_CENTRAL_SMS_TEMPLATE_ZH / _EN    approved template codes per language
    GIG_CENTRAL_SMS_ENDPOINT             default https://dysmsapi.aliyuncs.com/
    GIG_CENTRAL_SMS_DAILY_CAP            messages per person and day (default 2)
    GIG_CENTRAL_SMS_QUIET_HOURS          "21:00-08:00" (default; "" for none)
    GIG_CENTRAL_SMS_TIMEZONE             "Asia/Shanghai" (default)

Without an AccessKey id, secret and SignName the notifier is None: requests are recorded as
refused ("sms not configured"), never as sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from central.sms.aliyun import ENDPOINT, AliyunSms
from central.sms.policy import SmsPolicy

PREFIX = "GIG_CENTRAL_SMS_"
LANGS = ("zh", "en")


def policy_from_env(env: Mapping[str, str] | None = None) -> SmsPolicy:
    env = os.environ if env is None else env
    templates = {lang: env[f"{PREFIX}TEMPLATE_{lang.upper()}"] for lang in LANGS
                 if env.get(f"{PREFIX}TEMPLATE_{lang.upper()}")}
    return SmsPolicy(templates=templates, daily_cap=int(env.get(f"{PREFIX}DAILY_CAP", "2")),
                     quiet_hours=env.get(f"{PREFIX}QUIET_HOURS", "21:00-08:00"),
                     timezone=env.get(f"{PREFIX}TIMEZONE", "Asia/Shanghai"))


def notifier_from_env(env: Mapping[str, str] | None = None) -> AliyunSms | None:
    env = os.environ if env is None else env
    secret = env.get(f"{PREFIX}ACCESS_KEY_SECRET", "")
    if not secret and env.get(f"{PREFIX}ACCESS_KEY_SECRET_FILE"):
        secret = Path(env[f"{PREFIX}ACCESS_KEY_SECRET_FILE"]).read_text(encoding="utf-8").strip()
    key_id, sign_name = env.get(f"{PREFIX}ACCESS_KEY_ID", ""), env.get(f"{PREFIX}SIGN_NAME", "")
    if not (key_id and secret and sign_name):
        return None
    return AliyunSms(key_id, secret, sign_name, endpoint=env.get(f"{PREFIX}ENDPOINT") or ENDPOINT)

