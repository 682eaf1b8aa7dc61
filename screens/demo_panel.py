"""Demo-only strip: lay a sample ID card, take it away, scan a sample code.

It drives the simulated devices (which speak the real protocols to the real drivers), so the
demo exercises the same code paths as a kiosk on real hardware.
"""

from __future__ import annotations

from kivy.app import App
from kivy.uix.stacklayout import StackLayout


class DemoPanel(StackLayout):
    def on_kv_post(self, _base: object) -> None:
        app = App.get_running_app()
        if app is not None:  # the simulated devices exist once the app's services are ready
            app.bind(ready=lambda _app, ready: ready and self._fill(app.services.demo))

    def _fill(self, demo: object) -> None:
        if demo is None or self.children:
            return
        from screens.widgets import Chip  # not before the first frame: the panel is empty then

        for label, action in demo.actions():
            chip = Chip(label=label)
            chip.bind(on_release=lambda _c, a=action: a())
            self.add_widget(chip)
