"""Policy list and the article screen's data."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.models import Policy
from screens.widgets import PolicyRow


class PoliciesScreen(Screen):
    def on_kv_post(self, _base: object) -> None:
        self._policies: list[Policy] = []
        App.get_running_app().bind(lang=lambda *_: self.show(self._policies))

    def show(self, policies: list[Policy]) -> None:
        app = App.get_running_app()
        self._policies = policies
        box = self.ids.list
        box.clear_widgets()
        for p in policies:
            title, summary = (p.title, p.summary) if app.lang == "zh" else (p.title_en or p.title, p.summary_en or p.summary)
            row = PolicyRow(title=title, summary=summary)
            row.bind(on_release=lambda _r, pid=p.id: app.open_policy(pid))
            box.add_widget(row)
