"""Glue between kiosk.commands (the checks, the queue, the results) and this app: the handlers
that need the UI thread (screenshot, restart) or the printer (test page). The rules live in
kiosk.commands; here only: hop onto the UI thread, capture, queue the print and wait for it."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk import __version__
from kiosk.commands import (
    CommandRunner,
    Outcome,
    logs_handler,
    personal_data_on_screen,
    restart_handler,
    resync_handler,
    screenshot_handler,
    test_print_handler,
)
from kiosk.i18n import sentences

if TYPE_CHECKING:
    from screens.app import GigKioskApp

log = logging.getLogger(__name__)
T = TypeVar("T")
RESTART_EXIT = 75  # EX_TEMPFAIL, "run me again": run_app returns it; systemd has Restart=always
UI_WAIT_S = 10.0
PRINT_WAIT_S = 90.0
KEEP_ENDED = 32  # job ends remembered: every slip ends here, the test page waited for is a recent one


def on_ui_and_wait(fn: Callable[[], T], timeout: float = UI_WAIT_S) -> T:
    """Run fn on the Kivy thread and return its result to this (worker) thread."""
    done, box = threading.Event(), {}

    def run(_dt: float) -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    Clock.schedule_once(run, 0)
    if not done.wait(timeout):
        raise TimeoutError("the UI did not answer")
    if "error" in box:
        raise box["error"]
    return box["value"]


def capture_if_safe(app: GigKioskApp) -> bytes | None:
    """On the UI thread: a PNG of the window, or None while a seeker's data is on screen. The
    check and the capture happen in the same frame, so a card laid in between cannot slip in."""
    visit = app.visit
    if visit is None or personal_data_on_screen(visit.screen, visit.session):
        return None
    with tempfile.TemporaryDirectory(prefix="gig-shot-") as tmp:
        written = Window.screenshot(name=str(Path(tmp) / "screen.png"))
        return Path(written).read_bytes()


class TestPrints:
    """Follows print jobs queued by remote commands to their end (printer signals)."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer
        self.ended: dict[str, tuple[str, str]] = {}
        self.changed = threading.Condition()
        printer.job_done.connect(lambda job_id, confirmed: self._end(
            job_id, "done", "test page printed" if confirmed else "test page sent (the printer cannot confirm)"))
        printer.job_problem.connect(lambda job_id, problem: self._end(job_id, "failed", _problem(problem)))
        printer.job_dropped.connect(lambda job_id, problem: self._end(job_id, "failed", _problem(problem)))

    def _end(self, job_id: str, status: str, detail: str) -> None:
        with self.changed:
            self.ended[job_id] = (status, detail)
            while len(self.ended) > KEEP_ENDED:  # seekers' slips end here too: uncapped, a year of them
                del self.ended[next(iter(self.ended))]
            self.changed.notify_all()

    def run(self, app: GigKioskApp) -> Outcome | None:
        def queue() -> str | None:  # on the UI thread: only between visits
            visit = app.visit
            return None if visit.screen != "attract" else visit.remote_test_print(f"gig-kiosk {__version__}")

        job_id = on_ui_and_wait(queue)
        if job_id is None:
            return None
        with self.changed:
            self.changed.wait_for(lambda: job_id in self.ended, PRINT_WAIT_S)
            status, detail = self.ended.pop(job_id, ("failed", f"not printed within {PRINT_WAIT_S:.0f} s"))
        return Outcome("done" if status == "done" else "failed", f"{detail} (job {job_id})")


def _problem(problem: Any) -> str:
    msgids = getattr(problem, "msgids", None)
    return "printer problem: " + (sentences(msgids, "en") if msgids else type(problem).__name__)


def restart(app: GigKioskApp) -> None:
    """On the UI thread: stop the app; `gig-kiosk run` then exits with RESTART_EXIT."""
    log.warning("restarting on a remote command")
    app.exit_code = RESTART_EXIT
    app.stop()


def attach(app: GigKioskApp, sync: Any) -> CommandRunner | None:
    """Build, wire and start the command runner for the sync worker just attached."""
    services = app.services
    rc = services.remote_config
    if rc is None:
        return None
    settings = services.settings
    station = settings.station.id
    handlers = {
        "upload_logs": logs_handler(settings.storage.data_dir / "logs"),
        "resync": resync_handler(sync.full_resync),
        "screenshot": screenshot_handler(lambda: on_ui_and_wait(lambda: capture_if_safe(app))),
        "restart": restart_handler(lambda: Clock.schedule_once(lambda _dt: restart(app), 0)),
    }
    if services.printer is not None:
        prints = TestPrints(services.printer)
        handlers["test_print"] = test_print_handler(lambda: prints.run(app))
    else:
        handlers["test_print"] = lambda _cmd: Outcome("failed", "no printer is configured on this station")
    if services.commands is not None:
        services.commands.stop()
    runner = CommandRunner(station, settings.station.county, settings.storage.data_dir, rc.signature_ok,
                           lambda cid, body: sync.api.command_result(station, cid, body), handlers)
    sync.commands_received.connect(runner.receive)
    services.commands = runner
    runner.start()
    return runner
