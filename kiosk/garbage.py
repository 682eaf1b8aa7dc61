"""Python's cyclic garbage collector at the kiosk's quiet moments (issue 17).

A visit's screens leave cycles (widgets and their bindings) that only a full collection frees,
and Python runs one when its own counters say: the soak found 4-13 MB of a visit's garbage at
rest, there at one sample and gone at the next. `collect_visit` runs one when a visit is over
and nobody is at the screen.

What it costs: a full collection walks every tracked object that is not frozen. The app
freezes what exists at its first frame (GigKioskApp._first_frame); the services and the other
screens, built after it, leave ~300,000 objects to walk, 160-240 ms on this machine (24-33 ms
when they are frozen too). Not frozen yet: frozen objects are invisible to gc.get_objects(),
with which the soak counts live widgets, textures and bindings.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def collect_visit() -> int:
    """A full collection; returns the unreachable objects found."""
    t0 = time.perf_counter()
    found = gc.collect()
    log.debug("garbage: %d unreachable objects freed in %.0f ms", found, (time.perf_counter() - t0) * 1000)
    return found
