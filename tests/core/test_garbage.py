"""kiosk.garbage: a visit's cycles are freed at once, not whenever Python's counters say."""

import gc
import weakref

from kiosk import garbage


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_collect_visit_frees_a_cycle_left_behind() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a  # a widget and its binding's owner, say: unreachable only together
    gone = weakref.ref(a)
    gc.disable()  # as if Python's own thresholds had not come round yet
    try:
        del a, b
        assert gone() is not None
        assert garbage.collect_visit() >= 2
        assert gone() is None
    finally:
        gc.enable()
