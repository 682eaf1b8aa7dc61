"""The `current` / `previous` symlinks: replaced atomically (symlink to a temp name, then
rename(2) over the old link), so a power cut leaves either the old or the new target."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.update import hooks
from kiosk.update.state import fsync_dir

COMPLETE = ".complete"


def release_dir(root: Path, version: str) -> Path:
    return root / "releases" / version


def is_complete(root: Path, version: str) -> bool:
    return (release_dir(root, version) / COMPLETE).is_file()


def target(root: Path, name: str) -> str | None:
    """The version a link points at, or None."""
    try:
        return Path(os.readlink(root / name)).name
    except OSError:
        return None


def point(root: Path, name: str, version: str) -> None:
    tmp = root / f".{name}.tmp"
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    os.symlink(Path("releases") / version, tmp)  # relative: the folder may be moved whole
    hooks.pause("switch")
    os.replace(tmp, root / name)
    fsync_dir(root)
