"""Standing registration received: what was asked for in plain words, until when, the
reference, how to stop; a slip to take away. Follows the row from the outbox to central."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.i18n import N_
from kiosk.visit import standing
from screens.base import VisitScreen

DELIVERY = {
    "pending": N_("Saved on this kiosk. It will be sent as soon as the kiosk is online."),
    "delivered": N_("Sent to the county employment service."),
    "rejected": N_("The county did not accept it. Please ask the station staff."),
}


class RegisterDoneScreen(VisitScreen):
    summary = StringProperty("")
    until = StringProperty("")
    stop = StringProperty("")
    delivery = StringProperty("")
    reference = StringProperty("")

    def refresh(self) -> None:
        v, lang = self.visit, self.app.lang
        done = v.standing.done
        if done is None:
            return
        self.summary = "\n".join(standing.labelled(label, value, lang) for label, value in done.wants.lines(lang))
        self.until = "\n".join((self.t(N_("Valid until {date}")).format(date=done.expires_text(lang)),
                                standing.labelled(N_("Text messages"), self.t(N_("Yes") if done.sms else N_("No")),
                                                  lang),
                                standing.labelled(N_("Reference number"), done.reference, lang)))
        self.reference = done.reference
        self.stop = self.t(standing.STOP_HOW).format(phone=v.help_number)
        self._follow(0)

    def on_enter(self, *_args: object) -> None:
        Clock.schedule_interval(self._follow, 0.5)

    def on_leave(self, *_args: object) -> None:
        Clock.unschedule(self._follow)

    def _follow(self, _dt: float) -> bool:
        done, outbox = self.visit.standing.done, self.visit.outbox
        if done is None or outbox is None:
            return False
        state = outbox.standing_status(done.reference)
        self.delivery = self.t(DELIVERY[state]) if state in DELIVERY else ""
        return state == "pending"

    def spoken_text(self) -> str:
        return standing.spoken(self.visit)
