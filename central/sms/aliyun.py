"""Alibaba Cloud SMS (Dysmsapi, API version 2017-05-25), action SendSms, RPC-style signature.

Signature (Alibaba Cloud "signature method" for RPC APIs, SignatureVersion 1.0):
1. every parameter but Signature, sorted by name; names and values percent-encoded as UTF-8
   (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay; so space is %20, * is %2A, ~ stays ~), joined
   "name=value" with "&": the canonicalised query;
2. StringToSign = HTTPMethod + "&" + encode("/") + "&" + encode(canonicalised query);
3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).

Retries: urllib3 retries a request only when the connection could not be made (nothing was
sent). A read timeout or a connection dropped after the request went out is answered
"unknown" and never resent: SendSms has no idempotency key (OutId is only echoed back in the
receipts), so a resend could text the person twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry

from central.sms.message import SendResult, SmsMessage

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"
TIMEOUT_S = (3.05, 10.0)  # (connect, read)
CONNECT_RETRIES = 2

# Codes whose message was certainly not sent and may go later; anything else that is not "OK"
# is a refusal for good (bad number, template, signature, account). Alibaba's error-code list.
RETRY_CODES = frozenset({
    "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.UNKNOWN",
    "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.BUSINESS_LIMIT_HOUR",
    "isv.BUSINESS_LIMIT_DAY", "BUSINESS_LIMIT_CONTROL_MINUTE", "BUSINESS_LIMIT_CONTROL_PHONE",
    "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE",  # the account runs dry: staff top it up
    "isv.DATA_NOT_EXIST", "Throttling", "Throttling.User", "Throttling.Api",
    "ServiceUnavailable", "SignatureNonceUsed", "InvalidTimeStamp.Expired",
})


def percent_encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 of the string to sign under AccessKeySecret + "&"."""
    mac = hmac.new((secret + "&").encode(), string_to_sign(method, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def classify(code: str) -> str:
    if code == "OK":
        return "sent"
    return "retry" if code in RETRY_CODES or code.startswith("Throttling") else "refused"


def _never_reached(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (the request cannot have been seen)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class AliyunSms:
    """Notifier for Alibaba Cloud SMS. `endpoint` may point at central.sms.testserver."""

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str,
                 endpoint: str = ENDPOINT, region: str = REGION,
                 timeout: tuple[float, float] = TIMEOUT_S, connect_retries: int = CONNECT_RETRIES) -> None:
        if not (access_key_id and access_key_secret and sign_name):
            raise ValueError("AccessKey id, secret and SignName are all required")
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout
        # connect only: read=False and other=0 make any error after sending final at once.
        retry = Retry(total=None, connect=connect_retries, read=False, status=0, other=0,
                      redirect=0, backoff_factor=0.2, raise_on_status=False)
        self._http = requests.Session()
        self._http.mount("https://", HTTPAdapter(max_retries=retry))
        self._http.mount("http://", HTTPAdapter(max_retries=retry))

    def __repr__(self) -> str:  # never the secret
        return f"AliyunSms({self.access_key_id!r}, sign_name={self.sign_name!r}, endpoint={self.endpoint!r})"

    def signed_params(self, message: SmsMessage, at: datetime | None = None,
                      nonce: str | None = None) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": self.region, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": timestamp(at or datetime.now(UTC)), "Version": API_VERSION,
            "PhoneNumbers": message.phone, "SignName": self.sign_name,
            "TemplateCode": message.template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
        }
        if message.out_id:
            params["OutId"] = message.out_id
        params["Signature"] = signature(self._secret, "POST", params)
        return params

    def send(self, message: SmsMessage) -> SendResult:
        params = self.signed_params(message)
        try:
            r = self._http.post(self.endpoint, data=params, timeout=self.timeout, allow_redirects=False,
                                headers={"Accept": "application/json", "User-Agent": "gig-central-sms"})
        except requests.ConnectionError as exc:
            if _never_reached(exc):
                return SendResult("retry", "connect", type(exc).__name__)
            return SendResult("unknown", "connection", f"{type(exc).__name__} after sending")
        except requests.Timeout:  # read timeout: the provider may have sent it
            return SendResult("unknown", "timeout", "no answer in time; not resent")
        except requests.RequestException as exc:
            return SendResult("unknown", "error", type(exc).__name__)
        try:
            body = r.json()
            code = str(body["Code"])
        except (ValueError, KeyError, TypeError):
            # A throttle or overload page (429, 503): not processed. Anything else: cannot tell.
            kind = "retry" if r.status_code in (429, 503) else "unknown"
            return SendResult(kind, f"http {r.status_code}", "no JSON Code in the answer")
        return SendResult(classify(code), code, str(body.get("Message", ""))[:200],
                          provider_id=str(body.get("BizId", "") or ""),
                          request_id=str(body.get("RequestId", "") or ""))
