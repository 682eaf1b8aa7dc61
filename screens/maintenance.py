"""Maintenance: the station's open alerts at central, device states, a test print and its camera self-check (which QR code of the
test page printed readable: kiosk.printer_check). Reached only with a verified maintenance
code or the station's PIN."""

from __future__ import annotations

from kivy.clock import Clock

from screens.base import VisitScreen
from screens.widgets import TitledRow


class MaintenanceScreen(VisitScreen):
    def on_enter(self, *_args: object) -> None:
        Clock.schedule_interval(self._redraw, 1.0)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._redraw)

    def _redraw(self, _dt: float) -> None:
        self.refresh()

    def refresh(self) -> None:
        checks = [(self.t(label), f"{self.t(value) if value else ''} {extra}".strip())
                  for label, value, extra in self.visit.printer_check_rows()]
        for box_id, rows in (("station_rows", self.visit.station_rows()), ("device_rows", self.visit.device_rows()),
                             ("check_rows", checks), ("alert_rows", self._alert_rows())):
            box = self.ids[box_id]
            shown = box.children[::-1]
            if len(shown) == len(rows):
                # Redrawn every second and a device's detail changes often (the camera's frame
                # rate): rows rebuilt each time blinked, and were empty for a frame.
                for widget, (key, value) in zip(shown, rows, strict=True):
                    widget.key, widget.value = key, value
                continue
            box.clear_widgets()
            for key, value in rows:  # a symbol as well as the words: colour is never the only cue
                box.add_widget(TitledRow(key=key, value=value))

    def _alert_rows(self) -> list[tuple[str, str]]:
        """The station's open alerts as central reported them with the last heartbeat."""
        sync = self.app.services.sync
        alerts = sync.alerts if sync is not None else []
        if not alerts:
            return [("✓", self.t("No open alerts"))]
        # × (U+00D7), not ✗: the Noto CJK SC face has no ✗ (tofu)
        return [(self.t(a.name), f"× {self.t('since')} {a.opened_local()}  {a.detail}") for a in alerts]

    def print_test_page(self) -> None:
        from kiosk import __version__

        self.app.act(self.visit.print_test_page(software=f"gig-kiosk {__version__}"))

    def leave(self) -> None:
        self.app.act(self.visit.end("maintenance done"))
