"""Issue 16 in a real Kivy window: the job detail's trust lines and "report this job" by touch,
delivered through the outbox to the embedded central."""

from __future__ import annotations


def test_report_this_job_by_touch(scenario) -> None:  # noqa: ANN001
    c = scenario("report_job", timeout=180)["checks"]
    # The job list says it too (issue 16: every job screen), under the rows, on screen, short.
    footers = c["list_no_fee"]
    assert set(footers) == {"zh-normal", "en-normal", "en-large", "zh-large"}
    for key, (text, y, top, rv_y, height, font, window_h, rv_h, row_h) in footers.items():
        words = "求职不收任何费用" if key.startswith("zh") else "never costs a fee"
        assert words in text and "0556-12333" in text, key
        assert 0 <= y and top <= rv_y and top <= window_h, key  # below the rows, inside the window
        assert height <= 2 * 1.6 * font + 8, key  # at most two lines of small text: less than half a row
        assert rv_h >= 2 * row_h, key  # at least two whole job rows still show
    first_id, first_badge, first_low = c["first"]
    assert "已认证企业" in first_badge and first_low == ""  # the demo's verified employer (trust.json)
    low_id, badge, low, no_fee = c["low"]
    assert low_id != first_id and "企业未认证" in badge and "工资低于本县指导价" in low and "元/时" in low
    assert "求职不收任何费用" in no_fee and "0556-12333" in no_fee
    assert c["send_disabled_before"] is True and c["chosen"] == [True, False]
    assert c["after_send"][0] == "" and "县里的工作人员会核查" in c["after_send"][1]
    assert c["pending_after_sync"] == 0
    assert c["again"][0] == "" and "已举报过" in c["again"][1]
    assert any("0556-12333" in t for t in c["said"])  # read aloud includes the hotline
    assert any("这个岗位有什么问题" in t for t in c["said"])  # the dialog says its question
