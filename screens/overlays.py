"""Dialogs over the current screen, each drawn from the visit's state (kiosk.visit): the idle
countdown with its big Continue (last 15 s), "end and clear?", the help number with a QR code,
and the large-text offer to an older seeker, and "report this job" with its reason chips (issue
16). At most one is open; the countdown wins."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.visit import Visit
    from screens.app import GigKioskApp


class Overlay(ModalView):
    """A dialog the visit opens and closes (never a tap outside: auto_dismiss is off)."""

    def open(self, *args: Any, **kwargs: Any) -> None:
        # Kivy 2.3's ModalView.open binds center and size again on every opening and never
        # unbinds them; these views are kept and reopened every visit (issue 17's soak).
        if not self._is_open:
            self.funbind("center", self._align_center)
            self.funbind("size", self._align_center)
        super().open(*args, **kwargs)


class CountdownView(Overlay):
    seconds = NumericProperty(0)


class ConfirmEndView(Overlay):
    pass


class HelpView(Overlay):
    number = StringProperty("")
    title = StringProperty("")
    qr = ObjectProperty(None, allownone=True)
    _qr_for = ""


class OfferView(Overlay):
    pass


class ReportView(Overlay):
    """Reason chips (one tap each), then Send; Cancel closes. Drawn from visit.report_reason."""

    reason = StringProperty("")
    reasons: tuple[tuple[str, str], ...] = ()

    def __init__(self, **kwargs: object) -> None:
        from kiosk.visit import reports  # after the first frame: the visit's package is not small

        self.reasons = reports.REASONS  # before the rules that read it are applied
        super().__init__(**kwargs)
RULES = str(Path(__file__).with_name("overlays.kv"))


def load_rules() -> None:
    """overlays.kv, once. Not before the first frame (no dialog is open on the attract
    screen): the app loads it while pre-warming screens, and a view loads it if asked first."""
    import screens.widgets  # noqa: F401 (KButton, Chip ... for its rules)

    if RULES not in Builder.files:
        Builder.load_file(RULES)


class Overlays:
    def __init__(self, app: GigKioskApp) -> None:
        self.app = app
        self.views: dict[str, Overlay] = {}
        self.shown = ""

    def view(self, name: str) -> Overlay:
        if name not in self.views:
            load_rules()
            cls = {"countdown": CountdownView, "confirm_end": ConfirmEndView, "help": HelpView,
                   "offer": OfferView, "report": ReportView}[name]
            self.views[name] = cls()
        return self.views[name]

    def sync(self, v: Visit) -> None:
        """Open the dialog the visit's state asks for (if any), close the others."""
        left = v.idle_left
        want = ("countdown" if left is not None else "confirm_end" if v.confirm_end
                else "help" if v.help_open else "report" if v.report_open
                else "offer" if v.elderly_offer else "")
        if want == "countdown":
            self.view(want).seconds = left  # type: ignore[attr-defined]
        elif want == "report":
            self.view(want).reason = v.report_reason  # type: ignore[attr-defined]
        elif want == "help":
            self._fill_help(v)
        if want == self.shown:
            return
        if self.shown:
            self.views[self.shown].dismiss(animation=False)
        self.shown = want
        if want:
            self.view(want).open(animation=False)
            self._announce(want)

    def _fill_help(self, v: Visit) -> None:
        from screens.job_qr import qr_texture

        view = self.view("help")
        assert isinstance(view, HelpView)
        view.number = v.help_number
        view.title = (N_("Need help? Call the station's staff") if v.help_phone
                      else N_("Need help? Call the HR & social security hotline"))
        if view._qr_for != v.help_qr:
            view.qr, view._qr_for = qr_texture(v.help_qr), v.help_qr

    def _announce(self, name: str) -> None:
        """Say what the dialog asks (the screen's reading stops: the dialog is what matters)."""
        voice, app = self.app.voice, self.app
        if name == "countdown":
            voice.say(N_("Do you need more time? Tap Continue."))
        elif name == "confirm_end":
            voice.say(N_("End now and clear your details from this kiosk?"))
        elif name == "offer":
            voice.say(N_("Large text and reading aloud can make this easier."))
        elif name == "report":
            from kiosk.visit import reports

            voice.say(reports.ASK)
        elif name == "help":
            view = self.views["help"]
            voice.say(N_("{title}: {number}"), title=app.tr(view.title), number=view.number)  # type: ignore[attr-defined]
