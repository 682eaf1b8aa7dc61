"""Issue 18 (seekA's items) in a real window under Xvfb, by touch: the idle countdown, help,
Done that asks, the older seeker's offer, QR first on paper-out, notices on their own screen."""

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

pytestmark = pytest.mark.ui


def test_idle_countdown_with_a_big_continue(scenario) -> None:
    c = scenario("idle_countdown")["checks"]
    assert 1 <= c["seconds_shown"] <= 15  # 14 when it opened; a loaded machine lags a few frames
    assert any("秒后回到首页" in t for t in c["countdown_text"]) and "继续" in c["countdown_text"]
    assert c["after_continue"] == ["jobs", "", True]  # the visit goes on, with its card
    assert any("还需要时间吗" in t for t in c["said"])
    assert c["after_timeout"] == ["attract", "", ""]


def test_help_done_and_the_older_seekers_offer(scenario, tmp_path: Path) -> None:
    r = scenario("help_and_done")
    c = r["checks"]
    assert c["help_number"] == "0556-1234567" and c["after_close"] == ""
    shot = next(p for p in r["shots"] if p.endswith("help.png"))
    codes = [b.text for b in zxingcpp.read_barcodes(Image.open(shot).convert("L"))]
    assert "tel:05561234567" in codes  # the QR on the glass calls the number
    assert c["done_asks"] == "confirm_end"
    assert c["after_go_on"] == ["jobs", ""]
    assert c["after_yes"] == ["attract", ""]
    assert c["after_accept"] == [True, "", "jobs"]
    assert any("0556" in t or "求助" in t or "工作人员" in t for t in c["said"])
    assert any("放大" in t for t in c["said"])  # the offer is said as well as shown


def test_paper_out_puts_the_qr_first_and_notices_stay_on_their_screen(scenario) -> None:
    c = scenario("qr_first_and_notices")["checks"]
    assert c["unknown_on"][0] == "home" and "无法识别" in c["unknown_on"][1]
    assert c["notice_on_job"] == ""
    assert c["print_above_qr"] is True and c["qr_above_print"] is True
    assert c["qr_primary"][:2] == [True, False] and "没纸" in c["qr_primary"][2]
    assert any("无法识别" in t for t in c["said"])  # the notice was read aloud
    # Shown when the first attempt times out, not after 3 retries (before the fix: 4 attempts
    # and their backoff, > 4 x the read timeout; from a pulled cable, ~55 s with the heartbeat).
    assert c["offline_after_s"] <= c["read_timeout_s"] + 4
