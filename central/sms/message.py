"""What is sent, what the provider said, and what became of a request (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# What a provider's answer means for the message:
#   sent     - accepted by the provider
#   refused  - refused for good (bad number, bad template, account problem): do not resend
#   retry    - certainly not sent (connection never made, provider busy/limited): send later
#   unknown  - the request may have reached the provider (read timeout, connection dropped
#              after sending): SendSms has no idempotency key, so resending could text the
#              person twice; it is not resent.
ResultKind = Literal["sent", "refused", "retry", "unknown"]
Status = Literal["sent", "held", "refused", "failed"]


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # mainland mobile number, 11 digits
    template: str  # the provider's approved template code
    params: dict[str, str]  # template variables (no personal data, no links: policy.py)
    out_id: str = ""  # our sms_log id; the provider echoes it in delivery receipts


@dataclass(frozen=True)
class SendResult:
    kind: ResultKind
    code: str = ""  # the provider's Code ("OK", "isv.MOBILE_NUMBER_ILLEGAL", ...) or an error name
    detail: str = ""
    provider_id: str = ""  # Alibaba's BizId (delivery receipts are looked up by it)
    request_id: str = ""


class Notifier(Protocol):
    def send(self, message: SmsMessage) -> SendResult: ...


@dataclass(frozen=True)
class SmsRequest:
    """One message a caller wants sent to one person.

    `person` is the person's keyed hash (`DataCipher.seeker_hash(id_number)`, as applications
    and registrations keep it): the daily cap is counted by it. `ref` names what the message is
    about (e.g. "match:<id>"): a second request with the same county and ref is not sent again
    but answered with the first one's outcome, so a glue that runs twice texts nobody twice."""

    county: str
    person: str
    phone: str
    lang: str  # "zh" | "en"; others fall back to zh
    job_title: str
    pay: str  # as shown to the seeker, e.g. "150元/天"
    station_name: str
    help_phone: str  # the county's help / complaint line
    ref: str = ""
    kind: str = "match"


@dataclass(frozen=True)
class Outcome:
    """What `deliver` did with one request: `status` is the sms_log row's status now."""

    status: Status
    log_id: str
    detail: str = ""
    provider_id: str = ""
