"""Payload routing (kiosk.codes): job, seeker, signed maintenance codes, everything else."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kiosk import codes
from kiosk.i18n import tr
from kiosk.settings import from_dict
from kiosk.used_codes import UsedCodes

NOW = 1_750_000_000.0
ED_PRIV, ED_PUB = codes.new_ed25519_keys()


def cfg(key: str = ED_PUB, station: str = "demo-park"):
    return from_dict({"station": {"id": station}, "security": {"maintenance_code_key": key}})


S = cfg()


@pytest.mark.parametrize(
    "text, job_id",
    [
        ("job:qh-0001", "qh-0001"),
        ("  JOB:qh-0001\n", "qh-0001"),
        ("https://jobs.example.gov.cn/j/qh-0001", "qh-0001"),
        ("https://JOBS.example.gov.cn/j/qh-0001/?src=poster#x", "qh-0001"),
        ("http://jobs.example.gov.cn/j/qh-0001", "qh-0001"),
    ],
)
def test_job_codes_and_links(text, job_id):
    r = codes.route(text, S)
    assert (r.kind, r.value) == ("job", job_id)
    assert r.msgid and tr(r.msgid, "zh") != r.msgid


@pytest.mark.parametrize(
    "text",
    [
        "https://jobs.example.gov.cn.evil.example/j/qh-0001",  # look-alike host
        "https://evil.example/j/qh-0001?jobs.example.gov.cn",
        "https://jobs.example.gov.cn@evil.example/j/qh-0001",  # userinfo trick
        "https://user@jobs.example.gov.cn/j/qh-0001",
        "https://jobs.example.gov.cn:8443/j/qh-0001",
        "https://jobs.example.gov.cn/admin/qh-0001",
        "https://jobs.example.gov.cn/j/../../etc/passwd",
        "javascript:alert(1)",
        "job:../../x",
        "job:",
        "job:qh 0001",
        "seeker:short",
        "seeker:" + "a" * 300,
        "WIFI:S:net;T:WPA;P:secret;;",
        "hello 你好",
        "",
        "job:qh-0001\x00",
    ],
)
def test_everything_else_is_unrecognised_with_zh_en_message(text):
    r = codes.route(text, S)
    assert r.kind == "unrecognised" and r.value == ""
    assert tr(r.msgid, "zh").startswith("无法识别此二维码") and r.msgid.startswith("Code not recognised")


def test_job_host_from_settings_and_api_job_url():
    s = from_dict({"devices": {"scanner": {"job_hosts": ["zp.county.example"]}},
                   "api": {"job_url": "https://jobs.example.gov.cn/j/{id}"}})
    assert codes.route("https://zp.county.example/j/A1", s).value == "A1"
    # the host of api.job_url (the link printed on slips) is always accepted
    assert codes.route("https://jobs.example.gov.cn/j/A1", s).value == "A1"


def test_seeker_token_routed_but_never_in_log_text():
    token = "Zx9_" + "q" * 28
    r = codes.route(f"seeker:{token}", S)
    assert (r.kind, r.value) == ("seeker", token)
    assert token not in r.log_text() and "seeker" in r.log_text()


def test_too_long_payload_is_refused_before_parsing():
    r = codes.route("job:" + "a" * 5000, S)
    assert r.kind == "unrecognised" and r.reason == "too long" and "过长" in tr(r.msgid, "zh")


@pytest.fixture
def used(tmp_path: Path) -> UsedCodes:
    return UsedCodes.in_dir(tmp_path)


def test_signed_maintenance_code_verifies(used: UsedCodes):
    code = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=3600, operator="tech-07", now=NOW)
    r = codes.route(code, cfg(ED_PUB), now=NOW + 10, used=used)
    assert (r.kind, r.value) == ("maintenance", "tech-07")
    assert r.expires_at == pytest.approx(NOW + 3600, abs=1)


def test_maintenance_code_works_once_even_across_a_restart(tmp_path: Path):
    code = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=3600, now=NOW)
    first = codes.route(code, S, now=NOW + 1, used=UsedCodes.in_dir(tmp_path))
    assert first.kind == "maintenance"
    again = codes.route(code, S, now=NOW + 2, used=UsedCodes.in_dir(tmp_path))  # a new process
    assert (again.kind, again.reason) == ("unrecognised", "already used")
    assert "已使用" in tr(again.msgid, "zh") and "already been used" in again.msgid
    other = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=3600, now=NOW)
    assert codes.route(other, S, now=NOW + 3, used=UsedCodes.in_dir(tmp_path)).kind == "maintenance"
    # past its expiry the code is refused as expired, and the ledger forgets it
    ledger = UsedCodes.in_dir(tmp_path)
    assert codes.route(code, S, now=NOW + 3601, used=ledger).reason == "expired"
    fresh = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=60, now=NOW + 3601)
    assert codes.route(fresh, S, now=NOW + 3602, used=ledger).kind == "maintenance"
    assert len(UsedCodes.in_dir(tmp_path)) == 1


def test_without_a_ledger_no_maintenance_code_is_accepted():
    code = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=3600, now=NOW)
    assert codes.route(code, S, now=NOW).kind == "unrecognised"


def test_ledger_is_bounded_and_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kiosk import used_codes

    monkeypatch.setattr(used_codes, "MAX_ENTRIES", 3)
    ledger = UsedCodes.in_dir(tmp_path)
    assert [ledger.use(f"{i:016x}", NOW + 60, NOW) for i in range(4)] == ["ok", "ok", "ok", "full"]
    assert ledger.use("0" * 16, NOW + 60, NOW) == "used"
    assert ledger.use(f"{9:016x}", NOW + 200, NOW + 61) == "ok"  # the expired ones made room
    (tmp_path / UsedCodes.FILE).write_text("{not json")
    broken = UsedCodes.in_dir(tmp_path)
    assert broken.use(f"{10:016x}", NOW + 60, NOW) == "used"  # unreadable: refuse, never reopen


def test_maintenance_code_rejections(used: UsedCodes):
    code = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=600, now=NOW)
    assert codes.route(code, S, now=NOW + 601, used=used).reason == "expired"
    assert "过期" in tr(codes.route(code, S, now=NOW + 601, used=used).msgid, "zh")
    assert codes.route(code, cfg(station="other-park"), now=NOW, used=used).reason == "other station"
    other_priv, other_pub = codes.new_ed25519_keys()
    assert codes.route(code, cfg(other_pub), now=NOW, used=used).reason == "bad signature"
    assert codes.route(code, cfg(""), now=NOW, used=used).reason == "no maintenance key"
    assert codes.route(code, cfg("ed25519:bm90LWEta2V5"), now=NOW, used=used).reason == "no maintenance key"
    # the removed shared-secret mode is no longer a valid key setting
    hmac_key = "hmac-sha256:" + "a2" * 22
    assert codes.route(code, cfg(hmac_key), now=NOW, used=used).reason == "no maintenance key"
    # tampering with the signed claims (e.g. another station) breaks the signature
    head, payload, sig = code.split(".")
    forged = codes._b64e(codes._b64d(payload).replace(b"demo-park", b"demo-parx"))
    assert codes.route(f"{head}.{forged}.{sig}", S, now=NOW, used=used).reason == "bad signature"
    assert codes.route("maint:v1.not.base64!!", S, now=NOW, used=used).kind == "unrecognised"
    # a valid signature over a code that lives too long is still refused
    long = codes.make_maintenance_code(ED_PRIV, "demo-park", ttl_s=400 * 24 * 3600, now=NOW)
    assert codes.route(long, S, now=NOW, used=used).reason == "lifetime too long"
    assert len(used) == 0  # none of the refused codes took a place in the ledger


def test_make_maintenance_code_rejects_bad_input():
    with pytest.raises(ValueError):
        codes.make_maintenance_code(ED_PUB, "demo-park")  # a public key cannot sign
    with pytest.raises(ValueError):
        codes.make_maintenance_code("hmac-sha256:" + "a2" * 22, "demo-park")  # mode removed
    with pytest.raises(ValueError):
        codes.make_maintenance_code(ED_PRIV, "demo-park", operator="名字")


LOG_SHAPE = re.compile(r"code kind=[a-z]+( job=[A-Za-z0-9_-]+)?( reason=[a-z ]+)? digest=[0-9a-f]{8}")


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
@example("kind").via("found by CI: a word of the log line itself")
def test_route_never_raises_and_unknown_text_is_unrecognised(text):
    r = codes.route(text, S, now=NOW)
    assert r.kind in ("job", "seeker", "maintenance", "unrecognised")
    # The log line is built from fixed words, a (public) job id and a digest: nothing else of
    # the scanned text. (A substring check would fail on texts like "kind".)
    assert LOG_SHAPE.fullmatch(r.log_text()), r.log_text()


@hsettings(max_examples=100, deadline=None)
@given(st.text(alphabet="maint:v1.AZaz09-_=", max_size=300))
def test_random_maintenance_like_text_never_verifies(text):
    assert codes.route(text, S, now=NOW).kind != "maintenance"


def test_routing_logs_nothing(caplog):
    with caplog.at_level(logging.DEBUG):
        codes.route("seeker:" + "S" * 40, S)
        codes.route("maint:v1.x.y", S)
    assert caplog.records == []


def test_enrolment_code_from_the_admin_page_is_recognised_not_logged():
    from central.onboarding import Enrolment, format_code

    qr_text = Enrolment("s-1", format_code("ABCDEFGHJKMN"), None).qr_text  # as drawn on the admin page
    r = codes.route(qr_text, S)
    assert (r.kind, r.value) == ("enrol", "ABCD-EFGH-JKMN")
    assert "gig-kiosk enrol" in tr(r.msgid, "zh") and "gig-kiosk enrol" in r.msgid
    assert "ABCD" not in r.log_text()
    assert codes.route("enrol:ABCD-EFGH-JKM0", S).kind == "unrecognised"  # 0 is never in a code
