"""Issue 16 (求职登记) in a real Kivy window with real touches (tests/ui/standing_scenario.py),
against the demo's embedded reference server and the real sync worker."""

from __future__ import annotations


def test_standing_registration_by_touch_delivered_matched_and_ended(scenario) -> None:  # noqa: ANN001
    r = scenario("standing_registration", timeout=300)
    c = r["checks"]
    assert c["home_button"][:2] == ["home", True] and c["home_button"][2].startswith("求职登记")
    assert c["after_button"] == "register_wants"
    assert ["category", "仓储分拣"] in c["chosen"] and ["reach", "10 公里"] in c["chosen"]
    assert ["settlement", "日结"] in c["chosen"] and ["days", "哪天都行"] in c["chosen"]
    assert c["consent_screen"] == "register_consent"
    assert c["sms_before"] is False and c["sms_after"] is True  # opt-in: off until tapped
    assert c["phone_screen"] == "register_phone" and c["done_screen"] == "register_done"
    summary, until, delivery = c["done_texts"]
    assert "想做的工作：仓储分拣" in summary and "结算方式：日结" in summary
    assert "短信通知：是" in until and "参考编号：" in until
    assert "13900000001" not in summary + until
    assert delivery == "已发送到县就业服务机构。"
    assert c["slip"] in ("done", "sent")
    assert c["matching_first"] == [True, True, True]
    assert c["mine_screen"] == "register_mine"
    assert c["confirm_shown"] == [True, False]
    assert "已结束登记" in c["ended_notice"] and "Ended" in c["ended_notice"]
    assert c["central_open_after_end"] == [] and c["pending_after"] == 0
    assert c["wiped"] == [True, False]
    log = r["screen_log"]
    assert log.index("register_wants") < log.index("register_consent") < log.index("register_phone") \
        < log.index("register_done") < log.index("register_mine")
