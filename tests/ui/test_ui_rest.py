"""At rest the Kivy loop slows down (screens.rest_hook); a touch or a scan still gets the next
screen at once, in a real window."""

import pytest

pytestmark = pytest.mark.ui


def test_at_rest_the_loop_slows_and_a_touch_still_gets_the_next_screen_at_once(scenario) -> None:
    c = scenario("at_rest")["checks"]
    assert c["full_fps"] == 60
    # REST_FPS 10, not 60 (Kivy ends each sleep a little early, by its timer resolution)
    assert c["rest_loop_hz"] <= 15
    assert c["rest_flips"] <= 1  # nothing redrawn at rest (the clock label at a minute's turn)
    assert c["resting_right_after_tap"] is False  # the touch itself restored the full rate
    assert c["screen_after_tap"] == "home"
    # The tap is dispatched from a clock callback; from there it is handled and drawn in the
    # next loop iterations, at the full rate. Counted in iterations and read from Kivy's frame
    # limit, not timed: a starved machine took 0.33 s (0.03 s on a quiet one, tap_to_flip_s);
    # the touch-to-frame latency is measured in frames by `gig-kiosk bench soak`.
    assert c["tap_to_flip_frames"] <= 3, c
    assert c["max_fps_at_flip"] == 60, c
    # No longer capped at 10: the loop's live limit is the full rate again. (Its measured rate,
    # c["awake_loop_hz"], is 60 on a quiet machine; a starved one measured 8, so it is not asserted.)
    assert c["awake_max_fps"] == c["full_fps"] == 60
    assert c["resting_after_scan"] is False
    assert c["scan_to_detail_s"] <= 3.0
