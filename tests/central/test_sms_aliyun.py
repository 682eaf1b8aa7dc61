"""The Alibaba Cloud SendSms client (central.sms.aliyun) against the documented signature and
against central.sms.testserver on 127.0.0.1, which verifies what the real service verifies."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from central.sms.aliyun import AliyunSms, classify, percent_encode, signature, string_to_sign
from central.sms.message import SmsMessage
from central.sms.testserver import TEST_KEY_ID, TEST_KEY_SECRET, SmsTestServer

# The SendSms example of Alibaba Cloud's SMS "HTTP protocol and signature" page (AccessKey
# testId / testSecret, GET): its string to sign and signature, copied from the page.
DOC_PARAMS = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
    "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
}
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D"
    "%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
    "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
PHONE = "13912345678"
MESSAGE = SmsMessage(PHONE, "SMS_100001", {"job": "保洁", "pay": "150元/天", "station": "东关驿站",
                                           "phone": "0550-1234567"}, out_id="abc123")


def test_signature_matches_the_documented_sendsms_example() -> None:
    assert string_to_sign("GET", DOC_PARAMS) == DOC_STRING_TO_SIGN
    assert signature("testSecret", "GET", DOC_PARAMS) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_is_rfc3986_with_the_documented_exceptions() -> None:
    assert percent_encode("a b*c~d+e/f=") == "a%20b%2Ac~d%2Be%2Ff%3D"
    assert percent_encode("-_.~AZaz09") == "-_.~AZaz09"
    assert percent_encode("驿") == "%E9%A9%BF"


def test_codes_map_to_what_happens_next() -> None:
    assert classify("OK") == "sent"
    for code in ("isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isv.AMOUNT_NOT_ENOUGH", "Throttling.User"):
        assert classify(code) == "retry", code
    for code in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.PARAM_NOT_SUPPORT_URL",
                 "SignatureDoesNotMatch", "isv.SOMETHING_NEW"):
        assert classify(code) == "refused", code


@pytest.fixture()
def sms_server() -> Iterator[SmsTestServer]:
    srv = SmsTestServer().start()
    yield srv
    srv.stop()


def client(url: str, secret: str = TEST_KEY_SECRET, read_s: float = 2.0) -> AliyunSms:
    return AliyunSms(TEST_KEY_ID, secret, "东关零工驿站", endpoint=url, timeout=(1.0, read_s))


def test_ok_the_server_verifies_the_signature_and_records_the_message(sms_server: SmsTestServer) -> None:
    result = client(sms_server.url).send(MESSAGE)
    assert result.kind == "sent" and result.code == "OK"
    assert result.provider_id.endswith("^0") and result.request_id
    [got] = sms_server.messages
    assert (got.phone, got.sign_name, got.template, got.out_id) == (PHONE, "东关零工驿站", "SMS_100001", "abc123")
    assert got.params == MESSAGE.params


def test_a_wrong_secret_is_refused_by_the_server(sms_server: SmsTestServer) -> None:
    result = client(sms_server.url, secret="not-the-secret").send(MESSAGE)
    assert (result.kind, result.code) == ("refused", "SignatureDoesNotMatch")
    assert sms_server.messages == []


@pytest.mark.parametrize(("code", "kind"), [
    ("isv.BUSINESS_LIMIT_CONTROL", "retry"), ("isp.SYSTEM_ERROR", "retry"),
    ("isv.AMOUNT_NOT_ENOUGH", "retry"), ("isv.MOBILE_NUMBER_ILLEGAL", "refused"),
    ("isv.SMS_TEMPLATE_ILLEGAL", "refused"), ("isv.BLACK_KEY_CONTROL_LIMIT", "refused"),
])
def test_each_error_code_from_the_server(sms_server: SmsTestServer, code: str, kind: str) -> None:
    sms_server.fail_next(code)
    result = client(sms_server.url).send(MESSAGE)
    assert (result.kind, result.code) == (kind, code)
    assert sms_server.messages == []
    assert client(sms_server.url).send(MESSAGE).kind == "sent"  # the next one goes


def test_a_bad_number_is_refused_by_the_server_itself(sms_server: SmsTestServer) -> None:
    bad = SmsMessage("1234", "SMS_100001", {"job": "x"})
    result = client(sms_server.url).send(bad)
    assert (result.kind, result.code) == ("refused", "isv.MOBILE_NUMBER_ILLEGAL")


def test_the_server_refuses_a_replayed_nonce_and_a_stale_timestamp(sms_server: SmsTestServer) -> None:
    sms = client(sms_server.url)
    params = sms.signed_params(MESSAGE)
    assert requests.post(sms_server.url, data=params, timeout=5).json()["Code"] == "OK"
    assert requests.post(sms_server.url, data=params, timeout=5).json()["Code"] == "SignatureNonceUsed"
    old = sms.signed_params(MESSAGE, at=datetime.now(UTC) - timedelta(hours=1))
    assert requests.post(sms_server.url, data=old, timeout=5).json()["Code"] == "InvalidTimeStamp.Expired"
    unsigned = {k: v for k, v in sms.signed_params(MESSAGE).items() if k != "SignName"}
    assert requests.post(sms_server.url, data=unsigned, timeout=5).json()["Code"] == "MissingSignName"
    assert len(sms_server.messages) == 1


def test_no_connection_is_retry_later() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = client(f"http://127.0.0.1:{port}/").send(MESSAGE)
    assert result.kind == "retry" and result.code == "connect"


def test_a_read_timeout_is_unknown_and_never_resent(sms_server: SmsTestServer) -> None:
    """The provider got the request and sends the SMS after our timeout: resending would text
    the person twice, so the answer is "unknown" and exactly one request was made."""
    sms_server.hang_next(1.5)
    result = client(sms_server.url, read_s=0.5).send(MESSAGE)
    assert (result.kind, result.code) == ("unknown", "timeout")
    deadline = time.monotonic() + 5
    while not sms_server.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sms_server.requests == 1 and len(sms_server.messages) == 1


def test_a_connection_dropped_after_sending_is_unknown_and_not_retried() -> None:
    """A server that reads the request and hangs up: urllib3 must not try again."""
    seen = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                seen.append(conn.recv(65536))
                conn.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=serve, daemon=True).start()
    try:
        result = client(f"http://127.0.0.1:{listener.getsockname()[1]}/").send(MESSAGE)
    finally:
        listener.close()
    assert result.kind == "unknown"
    assert len(seen) == 1


def test_repr_never_shows_the_secret() -> None:
    assert TEST_KEY_SECRET not in repr(client("http://127.0.0.1:1/"))


def test_only_connection_errors_are_retried_by_urllib3() -> None:
    retry = client("http://127.0.0.1:1/")._http.get_adapter("https://dysmsapi.aliyuncs.com/").max_retries
    assert (retry.connect, retry.read, retry.status, retry.other, retry.redirect) == (2, False, 0, 0, 0)
