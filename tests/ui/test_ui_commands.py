"""Remote commands in the real app (issue 13): a screenshot and a test print wait while a
seeker's card is on the kiosk, and run once the visit is over (attract screen)."""

from __future__ import annotations

from tests.ui.conftest import run_python


def test_screenshot_and_test_print_wait_for_the_attract_screen(scenario) -> None:  # noqa: ANN001
    r = scenario("remote_commands")
    c = r["checks"]
    # while the card's visit is on screen: nothing captured, nothing printed, both waiting
    assert c["while_card"] == {"shot": "sent", "test": "sent", "screen": "jobs", "queued": 2, "printed": 0}
    assert c["after"]["printed"] == 1 and c["after"]["test"].startswith("test page printed")
    assert c["png"]["type"] == "image/png" and c["png"]["magic"] == "89504e470d0a1a0a"
    assert c["png"]["size"] == [720, 1280]
    assert "attract" in r["screen_log"][-1]


def test_the_test_print_follower_keeps_only_recent_job_ends() -> None:
    """Every slip's end reached TestPrints and was kept for good (issue 17's soak: one entry a
    visit); a test page's end is still found among the recent ones."""
    code = (
        "from kiosk.worker import Signal\n"
        "from screens.remote_commands import KEEP_ENDED, TestPrints\n"
        "class Printer:\n"
        "    job_done, job_problem, job_dropped = Signal('d'), Signal('p'), Signal('x')\n"
        "follower = TestPrints(Printer())\n"
        "for n in range(1000):\n"
        "    Printer.job_done.emit(f'slip-{n}', True)\n"
        "Printer.job_done.emit('test-page', True)\n"
        "print(len(follower.ended) <= KEEP_ENDED, follower.ended['test-page'][0])\n"
    )
    assert run_python(code)[-2:] == ["True", "done"]
