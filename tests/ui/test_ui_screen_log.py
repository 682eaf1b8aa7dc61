"""The app's screen log (read by the UI tests) is bounded: a kiosk changes screen about ten
times a visit, for months, and an unbounded list grew with every one (issue 17)."""

import pytest

pytestmark = pytest.mark.ui


def test_the_screen_log_keeps_only_the_latest_screens() -> None:
    from screens.app import SCREEN_LOG_MAX, GigKioskApp
    from screens.demo_setup import demo_opening

    app = GigKioskApp(lambda: None, opening=demo_opening())  # services: built only when it runs
    for n in range(3 * SCREEN_LOG_MAX):
        app._on_screen(None, f"screen-{n}")  # type: ignore[arg-type]
    assert len(app.screen_log) == SCREEN_LOG_MAX
    assert app.screen_log[-1] == f"screen-{3 * SCREEN_LOG_MAX - 1}"
