"""The top bar: navigation, then the seeker's own settings (rules in topbar.kv).

The attract screen hides it, so it is built the frame after the first one (or by the first
step that shows another screen, whichever comes first): the first frame does not pay for its
rules and its buttons' text. It takes the place of root.kv's `topbar_slot`, and its ids join
the root's (app.root.ids.back_button, ...).
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

RULES = str(Path(__file__).with_name("topbar.kv"))


class TopBar(BoxLayout):
    sm = ObjectProperty(None)  # the app's ScreenManager: the bar hides on the attract screen


def attach(root: Widget) -> TopBar:
    """The top bar in root.kv's slot, built on the first call."""
    bar = root.ids.get("topbar")
    if bar is not None:
        return bar
    import screens.widgets  # noqa: F401 (KButton, IconButton, HoldLabel for its rules)

    if RULES not in Builder.files:
        Builder.load_file(RULES)
    bar = TopBar(sm=root.ids.sm)
    slot = root.ids.topbar_slot
    parent = slot.parent
    index = parent.children.index(slot)
    parent.remove_widget(slot)
    parent.add_widget(bar, index=index)
    root.ids.update(bar.ids)
    root.ids["topbar"] = bar
    return bar
