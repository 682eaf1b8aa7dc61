"""Shared widgets: big buttons, filter chips, badges, the top bar. Styling in widgets.kv."""

from __future__ import annotations

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior


class KButton(ButtonBehavior, Label):
    """A large, high-contrast button. `primary` picks the filled style."""

    primary = BooleanProperty(False)
    min_height = NumericProperty(0)  # 0: the theme's button height
    wrap = BooleanProperty(True)  # False: one line, the button grows to fit
    shown = BooleanProperty(True)  # False: invisible and no height (also set disabled)


class Chip(ButtonBehavior, Label):
    """A filter chip: `selected` shows a tick and a filled background."""

    selected = BooleanProperty(False)
    label = StringProperty("")
    value = ObjectProperty(None)
    group = StringProperty("")


class Badge(Label):
    bg = ListProperty([0, 0, 0, 1])


class JobRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One job in the list. All state comes from the RecycleView `data` (rows are reused)."""

    job_id = StringProperty("")
    title = StringProperty("")
    employer = StringProperty("")
    pay = StringProperty("")
    settlement = StringProperty("")
    daily = BooleanProperty(False)
    distance = StringProperty("")
    start = StringProperty("")

    def on_release(self) -> None:
        from kivy.app import App

        App.get_running_app().open_job(self.job_id)


class TitledRow(BoxLayout):
    """A label/value pair on the detail screen."""

    key = StringProperty("")
    value = StringProperty("")
