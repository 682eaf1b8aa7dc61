"""kiosk.commands and kiosk.logbundle without Kivy or a server: the screen rule for
screenshots, the log window and its re-masking, the size cap, interrupted commands."""

from __future__ import annotations

import calendar
import gzip
import time
from pathlib import Path

from kiosk import logbundle
from kiosk.commands import Command, CommandRunner, Outcome, personal_data_on_screen
from kiosk.session import Session

PHONE = "13812345678"


def test_screenshot_rule_follows_the_visit() -> None:
    s = Session()
    assert not personal_data_on_screen("attract", s)
    assert not personal_data_on_screen("jobs", s)  # browsing without a card: nothing personal
    s.identity = object()
    assert personal_data_on_screen("jobs", s)
    assert not personal_data_on_screen("attract", s)  # the attract screen never shows the card
    s.clear()
    s.phone = PHONE
    assert personal_data_on_screen("apply_phone", s)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_bundle_keeps_the_window_with_tracebacks_and_masks_again(tmp_path: Path) -> None:
    now = calendar.timegm((2026, 11, 29, 12, 0, 0))
    (tmp_path / "kiosk.log.1").write_text(f"{_stamp(now - 5 * 3600)} INFO a: too old\n"
                                          f"{_stamp(now - 3 * 3600)} INFO a: old file, in window\n")
    (tmp_path / "kiosk.log").write_text(f"{_stamp(now - 4 * 3600)} ERROR a: failed, too old\n"
                                        "Traceback (most recent call last):\n  too old line\n"
                                        f"{_stamp(now - 60)} ERROR a: phone {PHONE}\n"
                                        "Traceback (most recent call last):\n  in window\n")
    b = logbundle.bundle(tmp_path, 3, now=now)
    text = gzip.decompress(b.data).decode()
    assert "too old" not in text and PHONE not in text
    assert text.splitlines() == ["2026-11-29T09:00:00Z INFO a: old file, in window",
                                 "2026-11-29T11:59:00Z ERROR a: phone 138****5678",
                                 "Traceback (most recent call last):", "  in window"]
    assert (b.lines, b.remasked, b.truncated) == (4, 1, False)


def test_bundle_over_the_cap_keeps_the_newest_lines(tmp_path: Path) -> None:
    import os

    now = time.time()
    lines = [f"{_stamp(now - 10)} INFO a: {os.urandom(40).hex()} {i}\n" for i in range(4000)]
    (tmp_path / "kiosk.log").write_text("".join(lines))
    b = logbundle.bundle(tmp_path, 1, now=now, max_bytes=64 * 1024)
    assert b.truncated and len(b.data) <= 64 * 1024
    assert gzip.decompress(b.data).decode().endswith(" 3999\n")


def test_interrupted_commands_are_reported_not_run_again(tmp_path: Path) -> None:
    first = CommandRunner("st", "", tmp_path, lambda d: True, lambda cid, body: None)
    for i, kind in enumerate(("restart", "screenshot")):
        first.store.enqueue(Command(f"{i:036d}", kind, {}, time.time() + 600), time.time())
    again = CommandRunner("st", "", tmp_path, lambda d: True, lambda cid, body: None,
                          {"screenshot": lambda c: Outcome("done")})
    results = {cid: body for _, cid, body in again.store.results()}
    assert results == {f"{0:036d}": {"status": "failed", "detail": "interrupted by a restart of the kiosk"}}
    assert [c.kind for c in again.store.queued()] == ["screenshot"]  # harmless: tried again
