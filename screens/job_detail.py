"""Job detail: everything a seeker needs to decide, and the actions (print, QR)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty
from kivy.uix.screenmanager import Screen

from kiosk.formatting import date_range_text, distance_text
from kiosk.models import Job


def detail_rows(job: Job, distance_km: float, lang: str, tr: object) -> list[tuple[str, str]]:
    """(label, value) pairs shown on the screen, in order."""
    req = job.requirements
    age = ""
    if req.age_min or req.age_max:
        age = f"{req.age_min or ''}–{req.age_max or ''}" + (" 岁" if lang == "zh" else " years")
    rows = [
        (tr("Employer", lang), job.employer),
        (tr("Dates", lang), date_range_text(job.start_date, job.end_date, lang)),
        (tr("Hours", lang), job.daily_hours),
        (tr("People needed", lang), str(job.headcount)),
        (tr("Address", lang), f"{job.address}（{distance_text(distance_km, lang)}）"),
        (tr("Getting there", lang), job.directions),
        (tr("Age", lang), age),
        (tr("Requirements", lang), req.notes),
        (tr("Contact", lang), job.contact),
    ]
    return [(k, v) for k, v in rows if v]


class JobDetailScreen(Screen):
    rows = ListProperty([])

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def on_kv_post(self, _base: object) -> None:
        App.get_running_app().bind(lang=lambda *_: self.refresh())

    def refresh(self) -> None:
        app = App.get_running_app()
        job = app.current_job
        if job is None:
            self.rows = []
            return
        self.rows = detail_rows(job, app.current_distance, app.lang, app.tr)
        box = self.ids.rows
        box.clear_widgets()
        from screens.widgets import TitledRow

        for key, value in self.rows:
            box.add_widget(TitledRow(key=key, value=value))
        self.ids.scroll.scroll_y = 1
