"""Maintenance: device states, a test print. Reached only with a verified maintenance code."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import Screen

from screens.widgets import TitledRow

MARK = {"ok": "✓", "warning": "!", "stopped": "–"}


class MaintenanceScreen(Screen):
    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()
        Clock.schedule_interval(self.refresh, 1.0)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self.refresh)

    def refresh(self, *_args: object) -> None:
        app = App.get_running_app()
        box = self.ids.rows
        box.clear_widgets()
        for name, state, detail in app.device_report():
            # A symbol as well as the words: colour is never the only cue.
            box.add_widget(TitledRow(key=name, value=f"{MARK.get(state, '✗')} {state} {detail}".strip()))
        box.add_widget(TitledRow(key="jobs cached", value=str(app.services.store.count_jobs())))
