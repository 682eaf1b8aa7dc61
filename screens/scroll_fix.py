"""A fix for Kivy 2.3's ScrollView, which gains a binding on every scroll update.

`ScrollView.update_from_scroll` binds `bar_color` to `_change_bar_color` each time it runs and
a 0.5 s trigger unbinds it once; two updates inside that half second (a list refilled, a
screen laid out) leave one binding behind for good. On a kiosk that is ~30 bindings a visit,
for months (issue 17's soak found it with tracemalloc: 7,000 blocks per 250 visits). Kivy's
fbind does not de-duplicate, so the fix removes the earlier binding before Kivy adds its own.
Applied on import (screens.widgets imports it before any screen with a list is built).
"""

from __future__ import annotations

from typing import Any

from kivy.uix.scrollview import ScrollView

_kivy_update_from_scroll = ScrollView.update_from_scroll


def update_from_scroll(self: ScrollView, *largs: Any) -> None:
    """Kivy's, without the binding it would leave behind. Named as Kivy's method: Kivy's
    bindings (WeakMethod) find a bound method again by its name."""
    self.funbind("bar_color", self._change_bar_color)  # Kivy binds it again just below
    _kivy_update_from_scroll(self, *largs)


if not getattr(ScrollView.update_from_scroll, "gig_fixed", False):  # once, even on reload
    update_from_scroll.gig_fixed = True  # type: ignore[attr-defined]
    ScrollView.update_from_scroll = update_from_scroll  # type: ignore[method-assign]
