"""Shared widgets: big buttons, filter chips, badges, the top bar. Styling in widgets.kv."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from screens import scroll_fix  # noqa: F401  (Kivy's ScrollView binding leak, before any list)
from screens.base import VisitScreen


class KButton(ButtonBehavior, Label):
    """A large, high-contrast button. `primary` picks the filled style."""

    primary = BooleanProperty(False)
    min_height = NumericProperty(0)  # 0: the theme's button height
    wrap = BooleanProperty(True)  # False: one line, the button grows to fit
    shown = BooleanProperty(True)  # False: invisible and no height (also set disabled)


class IconButton(KButton):
    """A KButton with a pictogram (assets/icons/<icon>-dark|light.png) before its text: words
    and a picture, so the main actions are found without reading (issue 18 item 10)."""

    icon = StringProperty("")
    icon_size = NumericProperty(0)


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
    walk = StringProperty("")  # "步行约 8 分钟" (kiosk.travel's model)
    start = StringProperty("")
    match = BooleanProperty(False)  # fits the seeker's standing registration (listed first)

    def on_release(self) -> None:
        from kivy.app import App

        app = App.get_running_app()
        app.act(app.visit.choose_job(self.job_id))


class ViewSwitch(BoxLayout):
    """List | Map: how the jobs are shown (issue 16). `map`: the map is the one on show."""

    map = BooleanProperty(False)

    def pick(self, to_map: bool) -> None:
        from kivy.app import App

        app = App.get_running_app()
        if to_map != self.map:
            app.act(app.visit.open_map() if to_map else app.visit.open_list())


class PolicyRow(ButtonBehavior, BoxLayout):
    """A policy in the list: its title, and its summary in smaller text. Two labels rather
    than one with markup, so both get the Chinese line breaking (screens/textlayout.py)."""

    title = StringProperty("")
    summary = StringProperty("")


class TitledRow(BoxLayout):
    """A label/value pair on the detail screen."""

    key = StringProperty("")
    value = StringProperty("")
    key_width = NumericProperty(0)

    def on_kv_post(self, _base: object) -> None:
        self.bind(key=self._fit_key, width=self._fit_key)
        self.ids.key.bind(font_size=self._fit_key)
        self._fit_key()

    def _fit_key(self, *_args: object) -> None:
        """The key column: 28 % of the row, wider (up to 45 %) when a word of the key would
        not fit, since Kivy breaks a word that does not fit mid-word ("Requireme/nts" in
        large-text English). Chinese may break between any characters: no widening for it."""
        from kivy.core.text import Label as CoreLabel

        label, width = self.ids.key, self.width * 0.28
        if self.key.isascii():
            measure = CoreLabel(font_size=label.font_size, font_name=label.font_name)
            widest = max((measure.get_extents(w)[0] for w in self.key.split()), default=0)
            width = min(max(width, widest + 4), self.width * 0.45)
        self.key_width = width


class DigitsScreen(VisitScreen):
    """A screen that takes a number on a Keypad: `digits` (at most `max_digits`) and an
    `error` line. The digits are cleared on the way in and out: never left on a screen."""

    digits = StringProperty("")
    error = StringProperty("")
    max_digits = 11

    def on_pre_enter(self, *_args: object) -> None:
        self.digits, self.error = "", ""
        super().on_pre_enter()

    def press(self, key: str) -> None:
        self.error = ""
        if key == "del":
            self.digits = self.digits[:-1]
        elif key == "clear":
            self.digits = ""
        elif len(self.digits) < self.max_digits:
            self.digits += key

    def on_leave(self, *_args: object) -> None:
        self.digits = ""


class Keypad(GridLayout):
    """Digits, Clear and Delete: the only way to enter a number (phone, maintenance PIN);
    there is no free-text typing anywhere. Each key calls `screen.press(key)` with "0"-"9",
    "clear" or "del"."""

    screen = ObjectProperty(None)


class HoldLabel(Label):
    """A label that dispatches `on_hold` once it has been pressed for `hold_s` seconds: the
    maintainer's way into PIN entry. A seeker's tap does nothing."""

    hold_s = NumericProperty(3.0)

    def __init__(self, **kwargs: object) -> None:
        self.register_event_type("on_hold")
        super().__init__(**kwargs)
        self._pending: object = None

    def on_touch_down(self, touch: object) -> bool:
        if not self.disabled and self.collide_point(*touch.pos):
            self._cancel()
            self._pending = Clock.schedule_once(lambda _dt: self.dispatch("on_hold"), self.hold_s)
            return True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch: object) -> bool:
        self._cancel()  # let go (anywhere) before hold_s: nothing happens
        return super().on_touch_up(touch)

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def on_hold(self) -> None:
        pass
