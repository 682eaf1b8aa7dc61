"""My work registration: see it, renew it (the card is on the reader), change it, or end it
(asks once more in place). The look-up at central runs off the UI thread: `follow_lookup` is
called by the app after each intent and starts it when the visit asks (card laid, or here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import N_, joined
from kiosk.visit import standing
from screens.base import VisitScreen
from screens.wiring import look_up

if TYPE_CHECKING:
    from screens.app import GigKioskApp

CONFIRM = N_("End your work registration? Your details will be erased.")
_started: dict[int, int] = {}  # id(visit) -> the look-up token already asked for


def follow_lookup(app: GigKioskApp) -> None:
    """Start central's look-up once per token the visit wants (see kiosk.visit.standing)."""
    visit = app.visit
    s = visit.standing
    if s.mine_state != "loading" or _started.get(id(visit)) == s.token:
        return
    _started[id(visit)] = s.token
    look_up(app, visit.fetch_standing, visit.standing_arrived, standing.MINE, "standing-lookup")


class RegisterMineScreen(VisitScreen):
    message = StringProperty("")
    state = StringProperty("")
    summary = StringProperty("")
    until = StringProperty("")
    has_open = BooleanProperty(False)
    confirming = BooleanProperty(False)

    def refresh(self) -> None:
        v, lang = self.visit, self.app.lang
        s = v.standing
        cur = s.open
        self.state = s.mine_state
        self.has_open, self.confirming = cur is not None, s.confirm_end
        if cur is not None:
            self.summary = "\n".join(standing.labelled(label, value, lang) for label, value in cur.wants.lines(lang))
            until = self.t(N_("Valid until {date}")).format(date=cur.expires_text(lang)) if cur.expires else ""
            sms = standing.labelled(N_("Text messages"), self.t(N_("Yes") if cur.sms else N_("No")), lang)
            ref = standing.labelled(N_("Reference number"), cur.reference, lang)
            self.until = "\n".join(x for x in (until, sms, ref) if x)
            self.message = ""
        else:
            self.summary = self.until = ""
            msgid = {"loading": standing.LOADING, "offline": s.mine_message, "error": s.mine_message,
                     "ready": standing.NONE_YET}.get(s.mine_state, standing.NONE_YET)
            self.message = self.t(msgid) if msgid else ""

    def spoken_text(self) -> str:
        v = self.visit
        cur = v.standing.open
        if cur is None:
            return joined([self.t(N_("My work registration")), self.message], self.app.lang)
        return joined([self.t(N_("My work registration")), *self.summary.split("\n"), *self.until.split("\n")],
                      self.app.lang)
