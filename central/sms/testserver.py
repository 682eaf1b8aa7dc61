"""A local stand-in for Alibaba Cloud's Dysmsapi SendSms endpoint, on 127.0.0.1 only.

It checks what the real service checks first (the RPC signature with its AccessKey, the
common and SendSms parameters, a fresh Timestamp, an unused SignatureNonce, the phone number
and TemplateParam format) and answers in the same JSON shape. Accepted messages are recorded;
`fail_next(code)` makes the next answers carry error codes and `hang_next(seconds)` makes the
next request go unanswered that long (a read timeout at the client).

    python -m central.sms.testserver --port 8790   # prints what it receives (demos)
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from central.sms.aliyun import API_VERSION, signature

TEST_KEY_ID = "LTAItestkey0000000000001"
TEST_KEY_SECRET = "test-secret-for-local-sms-server"  # noqa: S105 - a test credential
REQUIRED = ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce",
            "SignatureVersion", "Timestamp", "Version", "Signature",
            "PhoneNumbers", "SignName", "TemplateCode")
MOBILE = re.compile(r"1[3-9]\d{9}")
MAX_SKEW = timedelta(minutes=15)
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Received:
    phone: str
    sign_name: str
    template: str
    params: dict[str, str]
    out_id: str
    biz_id: str


class SmsTestServer:
    def __init__(self, keys: dict[str, str] | None = None, port: int = 0, echo: bool = False) -> None:
        self.keys = dict(keys or {TEST_KEY_ID: TEST_KEY_SECRET})
        self.messages: list[Received] = []
        self.requests = 0  # every POST that arrived, answered or not
        self.echo = echo
        self._lock = threading.Lock()
        self._failures: list[str] = []
        self._hangs: list[float] = []
        self._nonces: set[str] = set()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="sms-testserver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> SmsTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail_next(self, code: str, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([code] * times)

    def hang_next(self, seconds: float) -> None:
        with self._lock:
            self._hangs.append(seconds)

    def answer(self, params: dict[str, str]) -> tuple[int, dict]:
        """(HTTP status, JSON body) for one request's parameters."""
        request_id = str(uuid.uuid4()).upper()

        def error(status: int, code: str, message: str) -> tuple[int, dict]:
            return status, {"RequestId": request_id, "Code": code, "Message": message}

        missing = [p for p in REQUIRED if not params.get(p)]
        if missing:
            return error(400, f"Missing{missing[0]}", f"{missing[0]} is mandatory for this action.")
        if params["Action"] != "SendSms" or params["Version"] != API_VERSION:
            return error(400, "InvalidParameter", "Action or Version not supported")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return error(400, "InvalidParameter", "unsupported signature method or version")
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if params["Signature"] != signature(secret, "POST", unsigned):
            return error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return error(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if abs(datetime.now(UTC) - at) > MAX_SKEW:
            return error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                return error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(params["SignatureNonce"])
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return error(200, failure, "test server told to refuse")
        if not MOBILE.fullmatch(params["PhoneNumbers"]):
            return error(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        try:
            template_params = json.loads(params.get("TemplateParam") or "{}")
            if not isinstance(template_params, dict) or not all(
                    isinstance(v, str) for v in template_params.values()):
                raise ValueError
        except ValueError:
            return error(200, "isv.INVALID_JSON_PARAM", "JSON parameter is invalid")
        biz_id = f"{uuid.uuid4().int % 10**15}^0"
        received = Received(params["PhoneNumbers"], params["SignName"], params["TemplateCode"],
                            template_params, params.get("OutId", ""), biz_id)
        with self._lock:
            self.messages.append(received)
        if self.echo:
            print(f"SMS {received.template} {received.params}", flush=True)  # no phone number
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": biz_id}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                with server._lock:
                    server.requests += 1
                    hang = server._hangs.pop(0) if server._hangs else 0.0
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length).decode("utf-8", "replace")
                query = urlsplit(self.path).query
                params = dict(parse_qsl(query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                if hang:
                    time.sleep(hang)
                status, answer = server.answer(params)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # request lines carry phone numbers: not logged

        return Handler


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8790)
    args = p.parse_args()
    srv = SmsTestServer(port=args.port, echo=True).start()
    print(f"SMS test server on {srv.url} (AccessKey id {TEST_KEY_ID})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
