"""What the kiosk says aloud: a screen when large text is on (or the read-aloud button is
tapped), and every new notice or error with what to do next (issue 18 item 1). Nothing here
reads personal data: screens' spoken_text() is masked, notices and errors are msgids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.clock import Clock

if TYPE_CHECKING:
    from kiosk.visit import Step
    from screens.app import GigKioskApp


# Not said: the attract screen says its own card reminder; maintainers' notices name printer
# codes in Latin letters (tests/devices/test_speech_mandarin.py MAINTAINER_ONLY).
QUIET = frozenset({"attract", "maintenance", "maintenance_pin"})


class Voice:
    def __init__(self, app: GigKioskApp) -> None:
        self.app = app

    @property
    def speaker(self):  # noqa: ANN201  # devices.speech.Speaker or None
        return self.app.services.speaker if self.app.services is not None else None

    def screen_changed(self, name: str) -> None:
        if self.speaker is not None:
            self.speaker.stop()  # never read out a screen that has gone
        if self.app.elderly and self.app.can_speak and name != "attract":
            # Large-text mode reads each screen aloud (after this frame has laid it out).
            Clock.schedule_once(lambda _dt: self.read_screen(), 0.1)

    def read_screen(self, prefix: str = "") -> None:
        """The current screen's text, after the notice on show (if any)."""
        app = self.app
        if not app.can_speak:
            return
        text = app.sm.current_screen.spoken_text()
        notice = app.visit.notice_on_show if app.visit is not None else ""
        parts = [p for p in (prefix, app.tr(notice) if notice else "", text) if p]
        from kiosk.i18n import joined

        self.speaker.say(joined(parts, app.lang), app.lang, slow=app.elderly)

    def large_text_on(self) -> None:
        """Large text was just turned on: read the screen (large text means voice too)."""
        if self.app.sm.current != "attract":
            self.read_screen()

    def step(self, step: Step | None) -> None:
        """A new notice or error: said at once, in the visit's language (after the screen
        change that may come with it, so the screen's own reading does not cut it off)."""
        if step is None or not (step.notice or step.error) or not self.app.can_speak:
            return
        if step.screen in QUIET:
            return
        if step.error:
            Clock.schedule_once(lambda _dt: self.say(step.error), 0.15)
        elif self.app.elderly:  # the screen is read anyway: the notice first, then the screen
            Clock.schedule_once(lambda _dt: self.read_screen(), 0.15)
        else:
            Clock.schedule_once(lambda _dt: self.say(step.notice), 0.15)

    def say(self, msgid: str, *args: object, **fields: object) -> None:
        app = self.app
        if app.can_speak:
            self.speaker.say(app.tr(msgid).format(*args, **fields), app.lang, slow=app.elderly)
