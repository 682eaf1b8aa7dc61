"""Test hook: GIG_UPDATE_PAUSE_AT=<step> makes the updater stop at that step (download,
venv, unpack, switch), say so on stderr and wait, so a test can kill -9 it right there."""

from __future__ import annotations

import os
import sys
import time

ENV = "GIG_UPDATE_PAUSE_AT"


def pause(step: str) -> None:
    if os.environ.get(ENV) == step:
        print(f"paused at {step}", file=sys.stderr, flush=True)
        time.sleep(3600)
