"""The base of every screen: it draws itself from the visit and says its own spoken text
(like Electrum's former Kivy CScreen). Intents go to the visit; `app.act` shows the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.uix.screenmanager import Screen

if TYPE_CHECKING:
    from kiosk.visit import Visit
    from screens.app import GigKioskApp


class VisitScreen(Screen):
    @property
    def app(self) -> GigKioskApp:
        return App.get_running_app()  # type: ignore[return-value]

    @property
    def visit(self) -> Visit:
        return self.app.visit

    def t(self, msgid: str) -> str:
        return self.app.tr(msgid)

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Draw from the visit: on the way in, and when the visit changed under this screen."""

    def spoken_text(self) -> str:
        """What 'read aloud' says here, in the current language, from masked data only."""
        return ""
