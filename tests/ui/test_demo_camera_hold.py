"""The demo's camera: a picture shown stays until its own time is up, whatever was shown before
(an earlier code's timer used to clear a later code, often before the kiosk had read it)."""

import time
from pathlib import Path

import numpy as np

from devices.scanner.simulator import blank_frame
from screens.demo_devices import DemoDevices
from screens.demo_setup import demo_settings


def _in_view(demo: DemoDevices) -> np.ndarray:
    ok, frame = demo.camera_sim().read()
    assert ok
    return frame


def test_a_code_shown_after_another_is_not_taken_away_by_the_first_ones_timer(tmp_path: Path) -> None:
    demo = DemoDevices(demo_settings(tmp_path), tmp_path, camera_fps=20)
    try:
        blank = blank_frame()
        demo.show_code("unrecognised-wifi.png", hold_s=0.3)
        demo.show_code("job-qh-0001-camera.jpg", hold_s=None)
        job = _in_view(demo)
        assert not np.array_equal(job, blank)
        time.sleep(0.6)  # the first code's timer has fired
        assert np.array_equal(_in_view(demo), job)
        demo.take_away()
        assert np.array_equal(_in_view(demo), blank)

        demo.show_code("job-qh-0001-camera.jpg", hold_s=0.2)  # its own time still ends it
        assert np.array_equal(_in_view(demo), job)
        time.sleep(0.5)
        assert np.array_equal(_in_view(demo), blank)
    finally:
        demo.stop()
