"""Maintenance: the station's open alerts at central, device states, a test print and its camera self-check (which QR code of the
test page printed readable: kiosk.printer_check). Reached only with a verified maintenance
code or the station's PIN."""

from __future__ import annotations

from kivy.clock import Clock

from screens.base import VisitScreen
from screens.widgets import TitledRow

MARK = {"ok": "✓", "warning": "!", "stopped": "–"}


class MaintenanceScreen(VisitScreen):
    def on_enter(self, *_args: object) -> None:
        Clock.schedule_interval(self._redraw, 1.0)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._redraw)

    def _redraw(self, _dt: float) -> None:
        self.refresh()

    def refresh(self) -> None:
        box = self.ids.device_rows
        box.clear_widgets()
        for name, state, detail in self.visit.device_report():
            # A symbol as well as the words: colour is never the only cue.
            box.add_widget(TitledRow(key=name, value=f"{MARK.get(state, '✗')} {state} {detail}".strip()))
        box.add_widget(TitledRow(key="jobs cached", value=str(self.app.services.store.count_jobs())))
        self._alert_rows()
        check = self.ids.check_rows
        check.clear_widgets()
        for label, value, extra in self.visit.printer_check_rows():
            text = f"{self.t(value) if value else ''} {extra}".strip()
            check.add_widget(TitledRow(key=self.t(label), value=text))

    def _alert_rows(self) -> None:
        """The station's open alerts as central reported them with the last heartbeat."""
        box = self.ids.alert_rows
        box.clear_widgets()
        sync = self.app.services.sync
        alerts = sync.alerts if sync is not None else []
        for alert in alerts:
            value = f"✗ {self.t('since')} {alert.opened_local()}  {alert.detail}"
            box.add_widget(TitledRow(key=self.t(alert.name), value=value))
        if not alerts:
            box.add_widget(TitledRow(key="✓", value=self.t("No open alerts")))

    def print_test_page(self) -> None:
        from kiosk import __version__

        self.app.act(self.visit.print_test_page(software=f"gig-kiosk {__version__}"))

    def leave(self) -> None:
        self.app.act(self.visit.end("maintenance done"))
