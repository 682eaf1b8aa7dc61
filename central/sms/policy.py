"""The rules a message to a seeker must pass: how many a day, when, in which language, and
what its template variables may say."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from central import quiet_hours
from central.sms.message import SmsRequest

DEFAULT_LANG = "zh"
TITLE_MAX = 20  # characters; Alibaba refuses longer variables (isv.PARAM_LENGTH_LIMIT at 35)
FIELD_MAX = 20
MOBILE = re.compile(r"1[3-9]\d{9}")

# Why variables may hold no link and no fee word: the template text is fixed and reviewed,
# so the variables are the only free text, and the job title comes from an employer. The
# commonest scams on day labourers ask for money first (押金 deposit, 中介费 / 报名费 /
# 服装费 / 体检费 fees: every fee word contains 费) or send a link to a paid "app" or a
# phishing page. An SMS under the county's signature would lend them its authority, so such a
# message is refused rather than cleaned up. (Alibaba also refuses URL variables:
# isv.PARAM_NOT_SUPPORT_URL.) Dots between letters count as a link: "abc.com", "t.cn",
# also with the full-width dots used to dodge filters.
LINK = re.compile(r"(?i)(://|www[.。．]|[a-z0-9-][.。．][a-z]{2,}|https?)")
FEE_WORDS = ("押金", "费")


class UnsafeParam(ValueError):
    """A template variable holds a link or a fee word."""


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_params(params: Mapping[str, str]) -> None:
    for name, value in params.items():
        if LINK.search(value):
            raise UnsafeParam(f"{name}: looks like a link")
        if any(word in value for word in FEE_WORDS):
            raise UnsafeParam(f"{name}: mentions a fee or deposit")


@dataclass(frozen=True)
class SmsPolicy:
    """`daily_cap` messages per person and local day; none between `quiet_hours`
    ("HH:MM-HH:MM" local, "" for none; held until they end); `templates`: language → the
    provider's template code (both approved with the variables job, pay, station, phone)."""

    templates: Mapping[str, str] = field(default_factory=dict)
    daily_cap: int = 2
    quiet_hours: str = "21:00-08:00"
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if self.daily_cap < 0:
            raise ValueError("daily_cap must be >= 0")
        quiet_hours.parse(self.quiet_hours)  # ValueError when malformed
        ZoneInfo(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours `now` falls in (in now's timezone), or None."""
        return quiet_hours.until(self.quiet_hours, self.zone, now)

    def template_for(self, lang: str) -> tuple[str, str] | None:
        """(language, template code): the seeker's language, else the default's, else None."""
        for candidate in (lang, DEFAULT_LANG):
            if self.templates.get(candidate):
                return candidate, self.templates[candidate]
        return None

    def params(self, request: SmsRequest) -> dict[str, str]:
        """The template variables; raises UnsafeParam. Nothing personal goes in."""
        params = {"job": _cut(request.job_title, TITLE_MAX), "pay": _cut(request.pay, FIELD_MAX),
                  "station": _cut(request.station_name, FIELD_MAX),
                  "phone": _cut(request.help_phone, FIELD_MAX)}
        check_params(params)
        return params


def valid_phone(phone: str) -> bool:
    return bool(MOBILE.fullmatch(phone))
