"""Remote commands in the real app (issue 13): a screenshot and a test print wait while a
seeker's card is on the kiosk, and run once the visit is over (attract screen)."""

from __future__ import annotations


def test_screenshot_and_test_print_wait_for_the_attract_screen(scenario) -> None:  # noqa: ANN001
    r = scenario("remote_commands")
    c = r["checks"]
    # while the card's visit is on screen: nothing captured, nothing printed, both waiting
    assert c["while_card"] == {"shot": "sent", "test": "sent", "screen": "jobs", "queued": 2, "printed": 0}
    assert c["after"]["printed"] == 1 and c["after"]["test"].startswith("test page printed")
    assert c["png"]["type"] == "image/png" and c["png"]["magic"] == "89504e470d0a1a0a"
    assert c["png"]["size"] == [720, 1280]
    assert "attract" in r["screen_log"][-1]
