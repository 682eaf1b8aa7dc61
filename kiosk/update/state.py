"""The update state file and the health markers, written atomically (temp + fsync + rename)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE = "state.json"
EVENTS = ("first_frame", "sync_ok")
# The one folder under the update root the app itself writes (its markers and activity):
# the releases, `current` and state.json stay out of the kiosk user's reach (deploy/README.md).
APP_DIR = "health"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: Path) -> None:
    """Flushes the file system holding `path` (Linux syncfs(2)); os.sync() elsewhere."""
    import ctypes

    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if getattr(libc, "syncfs", None) is None or libc.syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def load(root: Path) -> dict[str, Any]:
    try:
        doc = json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    doc.setdefault("pending", None)
    doc.setdefault("starts", [])
    doc.setdefault("failed", {})
    doc.setdefault("last_failure", None)
    return doc


def save(root: Path, doc: dict[str, Any]) -> None:
    write_atomic(root / STATE, json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"))


def running_release(root: Path, prefix: str | None = None) -> str | None:
    """The release this process runs from (its venv is <root>/releases/<version>), else None
    (a development checkout): markers are written for the code that really ran."""
    here = Path(prefix or sys.prefix).resolve()
    return here.name if here.parent == (root / "releases").resolve() else None


def mark(root: Path | str, event: str, prefix: str | None = None) -> bool:
    """Records that the running release reached `event` (first_frame, sync_ok). Never raises:
    a marker that cannot be written only means the health gate will roll back."""
    if not root or event not in EVENTS:
        return False
    root = Path(root)
    try:
        version = running_release(root, prefix)
        if version is None:
            return False
        marker = root / APP_DIR / f"{version}.{event}"
        if marker.exists():
            return True
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(marker, b"")
        return True
    except OSError:
        return False


def has_marker(root: Path, version: str, event: str) -> bool:
    return (root / APP_DIR / f"{version}.{event}").exists()


ACTIVITY = "activity.json"


def write_activity(root: Path | str, visit_active: bool, at: float) -> None:
    """The app's visit start / end, read by the install policy. Never raises."""
    if not root:
        return
    try:
        (Path(root) / APP_DIR).mkdir(exist_ok=True)
        write_atomic(Path(root) / APP_DIR / ACTIVITY,
                     json.dumps({"visit_active": visit_active, "last_touch": at}).encode())
    except OSError:
        pass


def read_activity(root: Path) -> dict[str, Any]:
    try:
        doc = json.loads((root / APP_DIR / ACTIVITY).read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}
