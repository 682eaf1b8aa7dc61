"""The health gate after a switch: the new release must write its first_frame and sync_ok
markers before the deadline, and must not crash-loop (3 starts within 2 min); otherwise
`current` goes back to `previous` and the failure is kept for the heartbeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.update import state, switch

CRASH_STARTS = 3
CRASH_WINDOW_S = 120.0


def begin(root: Path, version: str, previous: str | None, now: float, deadline_s: int) -> None:
    doc = state.load(root)
    doc["pending"] = {"version": version, "previous": previous, "switched_at": now,
                      "deadline": now + deadline_s}
    doc["starts"] = []
    state.save(root, doc)


def rollback(root: Path, doc: dict[str, Any], reason: str, now: float) -> dict[str, Any]:
    pending = doc["pending"]
    previous = pending.get("previous")
    if previous and switch.is_complete(root, previous):
        switch.point(root, "current", previous)
    failure = {"version": pending["version"], "reason": reason, "at": now,
               "running": switch.target(root, "current")}
    doc["failed"][pending["version"]] = failure
    doc["last_failure"] = failure
    doc["pending"] = None
    doc["starts"] = []
    state.save(root, doc)
    return {"status": "rolled-back", "version": failure["running"],
            "reason": f"{pending['version']}: {reason}"}


def check(root: Path, now: float) -> dict[str, Any] | None:
    """None when no switch is waiting for its health check; else the outcome:
    confirmed / waiting / rolled-back."""
    doc = state.load(root)
    pending = doc["pending"]
    if not pending:
        return None
    version = pending["version"]
    if switch.target(root, "current") != version:
        # Killed between writing the state and swapping the link: the switch never happened.
        doc["pending"] = None
        state.save(root, doc)
        return None
    starts = [t for t in doc["starts"] if now - t <= CRASH_WINDOW_S]
    if len(starts) >= CRASH_STARTS:
        return rollback(root, doc, f"crash loop: {len(starts)} starts within "
                                   f"{int(CRASH_WINDOW_S)} s", now)
    missing = [e for e in state.EVENTS if not state.has_marker(root, version, e)]
    if not missing:
        doc["pending"] = None
        doc["starts"] = []
        doc["last_failure"] = None  # a healthy newer release: the heartbeat stops reporting it
        state.save(root, doc)
        return {"status": "confirmed", "version": version, "reason": "first frame and sync seen"}
    if now >= pending["deadline"]:
        return rollback(root, doc, "no " + " / ".join(missing) + " within "
                                   f"{int(pending['deadline'] - pending['switched_at'])} s", now)
    return {"status": "waiting", "version": version, "reason": "waiting for " + ", ".join(missing)}


def record_start(root: Path, now: float) -> None:
    doc = state.load(root)
    if doc["pending"]:
        doc["starts"] = [t for t in doc["starts"] if now - t <= CRASH_WINDOW_S] + [now]
        state.save(root, doc)


def heartbeat_report(root: Path | str) -> dict[str, Any] | None:
    """`update_failed` for the heartbeat: the last rollback (version, reason), else None."""
    if not root:
        return None
    failure = state.load(Path(root))["last_failure"]
    if not failure:
        return None
    return {"version": str(failure["version"])[:64], "reason": str(failure["reason"])[:300]}
