"""Job list: filter chips over a RecycleView of nearby jobs, day-paid and today's first, then nearest."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty

from kiosk.formatting import count_text
from kiosk.i18n import N_, joined
from kiosk.models import CATEGORIES_ZH_EN, PayUnit, Settlement
from kiosk.visit import reports
from kiosk.visit.core import ORDER
from screens.base import VisitScreen
from screens.widgets import Chip

# (filter attribute, value, msgid). Start-date chips use Visit.set_start_window instead.
SETTLEMENT_CHIPS = [
    ("settlements", Settlement.DAILY, "Paid daily"),
    ("settlements", Settlement.WEEKLY, "Paid weekly"),
    ("settlements", Settlement.ON_COMPLETION, "Paid on completion"),
]
PAY_UNIT_CHIPS = [
    ("pay_units", PayUnit.DAY, "Per day"),
    ("pay_units", PayUnit.HOUR, "Per hour"),
    ("pay_units", PayUnit.PIECE, "Per piece"),
    ("pay_units", PayUnit.ORDER, "Per order"),
]
START_CHIPS = [(0, "Today"), (1, "Tomorrow"), (7, "This week")]
WALK_CHIP = ("walk", None, "Within 15 min walk")  # the 15-minute circle (issue 16)


class JobsScreen(VisitScreen):
    # The category chips fold behind one "Type of work" chip: all eleven wrapped take half
    # the screen in large text, and a sideways scroller cut a chip at the edge ("Cleanin").
    categories_open = BooleanProperty(False)
    no_fee = StringProperty("")  # issue 16: the no-fee sentence with the county's hotline

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        self._rows: list[dict] | None = None
        app.bind(lang=lambda *_: self.build_chips(), job_filter=lambda *_: self.sync_chips())
        app.bind(categories=lambda *_: self.build_chips(), greeting=lambda *_: self.build_chips())
        self.bind(categories_open=lambda *_: self.build_chips())
        self.build_chips()

    def on_leave(self, *_args: Any) -> None:
        if self.manager.current in ("attract", "home"):  # the next search starts folded
            self.categories_open = False

    def build_chips(self) -> None:
        app = App.get_running_app()
        age_chip = [("seeker_age", app.job_filter.seeker_age, "Suits my age")] if app.greeting else []
        rows = {
            "settle_row": age_chip + SETTLEMENT_CHIPS,
            "start_row": [("start", days, msgid) for days, msgid in START_CHIPS] + [WALK_CHIP],
            "pay_row": PAY_UNIT_CHIPS,
            "category_row": [("fold", None, "Type of work")] + [
                ("categories", zh, CATEGORIES_ZH_EN[zh]) for zh in app.categories
                if zh in CATEGORIES_ZH_EN and (self.categories_open or zh in app.job_filter.categories)
            ],
        }
        for row_id, chips in rows.items():
            row = self.ids[row_id]
            row.clear_widgets()
            for attr, value, msgid in chips:
                label = app.tr(msgid, app.lang) + ((" ▲" if self.categories_open else " ▼") if attr == "fold" else "")
                chip = Chip(label=label, value=value, group=attr)
                chip.bind(on_release=self._on_chip)
                row.add_widget(chip)
        self.sync_chips()

    def sync_chips(self) -> None:
        app = App.get_running_app()
        flt = app.job_filter
        window = app.visit.start_window_days() if app.visit is not None else None
        for row_id in ("settle_row", "start_row", "pay_row", "category_row"):
            for chip in self.ids[row_id].children:
                if chip.group == "start":
                    chip.selected = window == chip.value
                elif chip.group == "seeker_age":
                    chip.selected = flt.seeker_age is not None
                elif chip.group == "walk":
                    chip.selected = flt.within_walk_minutes is not None
                elif chip.group == "fold":
                    chip.selected = False
                else:
                    chip.selected = chip.value in getattr(flt, chip.group)

    def _on_chip(self, chip: Chip) -> None:
        if chip.group == "fold":
            self.categories_open = not self.categories_open
            return
        if chip.group == "start":
            self.visit.set_start_window(chip.value)
        elif chip.group == "seeker_age":
            self.visit.toggle_age_filter()
        elif chip.group == "walk":
            self.visit.toggle_walk_filter()
        else:
            self.visit.toggle_filter(chip.group, chip.value)
        self.app.act()

    def refresh(self) -> None:
        """The visit's rows, from the top, whenever the visit searched again."""
        self.no_fee = self.t(reports.NO_FEE).format(phone=self.visit.complaint_number)
        rows = self.visit.rows
        if rows is not self._rows:
            self._rows = rows
            self.ids.rv.data = rows
            self.ids.rv.scroll_y = 1

    def spoken_text(self) -> str:
        lang = self.visit.lang
        heard = [joined([r["title"], r["pay"], r["settlement"], r["start"], r["distance"], r["walk"]], lang,
                        N_("{first}, {second}")) for r in self.visit.rows[:3]]
        count = count_text(self.visit.job_count, self.visit.job_filter, lang)
        return joined([count, self.t(ORDER), *heard, self.t(reports.NO_FEE).format(phone=self.visit.complaint_number)],
                      lang)
