"""My registrations (我的报名, issue 12): the identified seeker's open registrations at this
county, each with its status and a Withdraw button that asks once more in place ("Yes,
withdraw" / "No, keep it"), big enough for older users. The look-up runs on a worker thread
(it may take seconds offline) and comes back to the UI thread through the visit's token."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from kiosk.visit import registrations as regs
from screens.base import VisitScreen
from screens.widgets import KButton
from screens.wiring import look_up

CONFIRM = N_("Withdraw this registration?")


class RegistrationRow(BoxLayout):
    """One registration: job title, date, status, and its buttons (rules: my_registrations.kv)."""

    app_id = StringProperty("")
    title = StringProperty("")
    when = StringProperty("")
    status = StringProperty("")
    question = StringProperty("")  # "Withdraw this registration?" while it asks
    closed = BooleanProperty(False)  # the job is filled or ended
    withdrawn = BooleanProperty(False)


class MyRegistrationsScreen(VisitScreen):
    message = StringProperty("")  # loading / offline / none, in the current language
    state = StringProperty("")  # the visit's my_regs_state, for the kv rules

    def on_enter(self, *_args: object) -> None:
        if self.visit.my_regs_state == "loading":
            self.lookup()

    def lookup(self) -> None:
        """Ask central off the UI thread; the answer is shown if the visit still wants it."""
        look_up(self.app, self.visit.fetch_registrations, self.visit.registrations_arrived, self.name,
                "my-registrations")

    def try_again(self) -> None:
        self.app.act(self.visit.open_my_registrations())
        self.lookup()

    def refresh(self) -> None:
        v = self.visit
        self.state = state = v.my_regs_state
        msgid = {"loading": regs.LOADING, "offline": v.my_regs_message, "error": v.my_regs_message,
                 "ready": "" if v.my_regs else regs.NONE_YET}.get(state, "")
        self.message = self.t(msgid) if msgid else ""  # tr("") would be the catalogue's header
        self.ids.try_again.shown = state in ("offline", "error")
        self.ids.try_again.disabled = not self.ids.try_again.shown
        box = self.ids.rows
        box.clear_widgets()
        for r in v.my_regs:
            box.add_widget(self._row(r))

    def _row(self, r: regs.Registration) -> RegistrationRow:
        row = RegistrationRow(app_id=r.app_id, title=r.job_title,
                              when=self.t(N_("Registered {date}")).format(date=r.date_text(self.app.lang)),
                              status=self.t(r.status_msgid))
        row.closed = r.status_msgid == regs.JOB_CLOSED
        row.withdrawn = r.withdrawn
        confirming = self.visit.confirm_withdraw == r.app_id
        actions = row.ids.actions
        if r.withdrawn:
            pass
        elif confirming:
            row.question = self.t(CONFIRM)
            yes = KButton(text=self.t(N_("Yes, withdraw")), primary=True)
            yes.bind(on_release=lambda *_: self.app.act(self.visit.withdraw(r.app_id)))
            no = KButton(text=self.t(N_("No, keep it")))
            no.bind(on_release=lambda *_: self.app.act(self.visit.keep_registration()))
            actions.add_widget(yes)
            actions.add_widget(no)
        else:
            ask = KButton(text=self.t(N_("Withdraw")))
            ask.bind(on_release=lambda *_: self.app.act(self.visit.ask_withdraw(r.app_id)))
            actions.add_widget(ask)
        return row

    def spoken_text(self) -> str:
        v = self.visit
        if v.my_regs_state != "ready" or not v.my_regs:
            return f"{self.t(N_('My registrations'))}. {self.message}"
        parts = [self.t(N_("My registrations"))]
        for r in v.my_regs:
            parts.append(f"{r.job_title}: {self.t(r.status_msgid)}")
        return ". ".join(parts)
