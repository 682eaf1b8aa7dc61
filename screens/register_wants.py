"""Standing registration, step 1: what work is wanted, with chips only (no typing). The rules
and the values are kiosk/visit/standing.py; this screen only lays the chips out."""

from __future__ import annotations

from typing import Any

from kiosk.i18n import N_
from kiosk.models import CATEGORIES_ZH_EN, category_text
from kiosk.visit import standing
from screens.base import VisitScreen
from screens.widgets import Chip

ANY_WORK = N_("Any kind of work")


class RegisterWantsScreen(VisitScreen):
    def chips(self) -> dict[str, list[tuple[str, Any, str, bool]]]:
        """Row id -> (group, value, label, selected) for the current draft."""
        w, lang = self.visit.standing.draft, self.app.lang
        km = [("reach", ("km", n), self.t(N_("{n} km")).format(n=n), w.reach == ("km", n)) for n in standing.REACH_KM]
        walk = ("reach", ("minutes", standing.WALK_MINUTES),
                self.t(N_("{n}-minute walk")).format(n=standing.WALK_MINUTES), w.reach[0] == "minutes")
        choice = w.days_choice()
        return {
            "category_row": [("category", "any", self.t(ANY_WORK), not w.categories)] + [
                ("category", zh, category_text(zh, lang), zh in w.categories) for zh in CATEGORIES_ZH_EN],
            "reach_row": [walk, *km],
            "days_row": [("days", k, self.t(m), choice == k) for k, m in (
                ("any", N_("Any day")), ("weekdays", N_("Weekdays")), ("weekend", N_("Weekend")))] + [
                ("days", d, self.t(standing.DAY_TEXT[d]), choice == "chosen" and d in w.days) for d in standing.WEEK],
            "settle_row": [("settlement", k, self.t(standing.SETTLEMENT_TEXT[k]), w.settlement == k)
                           for k in standing.SETTLEMENTS],
            "pay_row": [("min_pay", p, standing.min_pay_text(p, lang), w.min_pay == p) for p in standing.MIN_PAY],
        }

    def refresh(self) -> None:
        for row_id, chips in self.chips().items():
            row = self.ids[row_id]
            row.clear_widgets()
            for group, value, label, selected in chips:
                chip = Chip(label=label, value=value, group=group, selected=selected)
                chip.bind(on_release=self._tap)
                row.add_widget(chip)

    def _tap(self, chip: Chip) -> None:
        self.app.act(self.visit.standing_toggle(chip.group, chip.value))

    def spoken_text(self) -> str:
        from kiosk.i18n import joined

        return joined([self.t(N_("What work do you want?")),
                       self.t(N_("Tap what suits you, then tap Next.")),
                       *(f"{self.t(label)}: {value}" for label, value in
                         self.visit.standing.draft.lines(self.app.lang))], self.app.lang)
