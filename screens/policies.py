"""Policy list: title and summary of each, in the current language."""

from __future__ import annotations

from screens.base import VisitScreen
from screens.widgets import PolicyRow


class PoliciesScreen(VisitScreen):
    def refresh(self) -> None:
        zh = self.visit.lang == "zh"
        box = self.ids.list
        box.clear_widgets()
        for p in self.visit.policies:
            title, summary = (p.title, p.summary) if zh else (p.title_en or p.title, p.summary_en or p.summary)
            row = PolicyRow(title=title, summary=summary)
            row.bind(on_release=lambda _r, pid=p.id: self.app.act(self.visit.open_policy(pid)))
            box.add_widget(row)

    def spoken_text(self) -> str:
        return self.t("Employment policies and services")
