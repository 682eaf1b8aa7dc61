"""Job detail: everything a seeker needs to decide, and the actions (print, QR)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.formatting import date_range_text, distance_text, travel_text, walk_text
from kiosk.i18n import Tr, joined
from kiosk.models import Job
from kiosk.visit import reports
from screens.base import VisitScreen


def detail_rows(job: Job, distance_km: float, lang: str, tr: Tr) -> list[tuple[str, str]]:
    """(label, value) pairs shown on the screen, in order."""
    req = job.requirements
    age = ""
    if req.age_min or req.age_max:
        age = tr("{min}–{max} years", lang).format(min=req.age_min or "", max=req.age_max or "")
    rows = [
        (tr("Employer", lang), job.employer),
        (tr("Dates", lang), date_range_text(job.start_date, job.end_date, lang)),
        (tr("Hours", lang), job.daily_hours),
        (tr("People needed", lang), str(job.headcount)),
        (tr("Address", lang), tr("{address} ({distance})", lang).format(address=job.address, distance=distance_text(distance_km, lang))),
        # Estimated from the straight-line distance (kiosk.travel); cycling and bus only where
        # the job says how to get there (a walk is always possible).
        (tr("Travel time (estimate)", lang), travel_text(distance_km, lang) if job.directions
         else walk_text(distance_km, lang)),
        (tr("Getting there", lang), job.directions),
        (tr("Age", lang), age),
        (tr("Requirements", lang), req.notes),
        (tr("Contact", lang), job.contact),
    ]
    return [(k, v) for k, v in rows if v]


def trust_texts(job: Job, complaint_number: str, lang: str, tr: Tr) -> tuple[str, str, str]:
    """(employer check, pay-below-guidance sentence or "", no-fee sentence) as shown and said."""
    low = tr(reports.LOW_PAY, lang).format(guidance=job.guidance_text(lang)) if job.below_guidance else ""
    return (tr(reports.employer_msgid(job), lang), low,
            tr(reports.NO_FEE, lang).format(phone=complaint_number))


class JobDetailScreen(VisitScreen):
    rows = ListProperty([])
    qr_first = BooleanProperty(False)  # the printer reports paper out: the QR button leads
    verified = BooleanProperty(False)  # issue 16: the trust lines of the job on show
    employer_check = StringProperty("")
    low_pay = StringProperty("")
    no_fee = StringProperty("")

    def refresh(self) -> None:
        visit = self.visit
        self._order_actions(visit.qr_first)
        job = visit.job
        if job is None:
            self.rows = []
            return
        self.rows = detail_rows(job, visit.distance_km, visit.lang, self.app.tr)
        self.verified = job.employer_verified
        self.employer_check, self.low_pay, self.no_fee = trust_texts(job, visit.complaint_number, visit.lang,
                                                                     self.app.tr)
        # The rows already made are given the new texts: making nine TitledRows (kv rules,
        # bindings) on every job opened was most of the job -> detail touch latency.
        box = self.ids.rows
        have = box.children[::-1]  # children: bottom first
        for row in have[len(self.rows):]:
            box.remove_widget(row)
        from screens.widgets import TitledRow

        for i, (key, value) in enumerate(self.rows):
            if i < len(have):
                have[i].key, have[i].value = key, value
            else:
                box.add_widget(TitledRow(key=key, value=value))
        self.ids.scroll.scroll_y = 1

    def _order_actions(self, qr_first: bool) -> None:
        self.qr_first = qr_first
        qr, printing = self.ids.qr_button, self.ids.print_button
        box = qr.parent
        above = box.children.index(qr) > box.children.index(printing)  # children: bottom first
        if above != qr_first:
            box.remove_widget(qr)
            box.add_widget(qr, index=box.children.index(printing) + (1 if qr_first else 0))

    def print_slip(self) -> None:
        self.app.act(self.visit.print_slip())

    def register(self) -> None:
        self.app.act(self.visit.start_application())

    def show_qr(self) -> None:
        self.app.act(self.visit.show_qr())

    def report(self) -> None:
        self.app.act(self.visit.ask_report())

    def spoken_text(self) -> str:
        job, lang = self.visit.job, self.visit.lang
        if job is None:
            return ""
        actions = ([self.t("The printer is out of paper. Take the job on your phone with the QR code.")]
                   if self.qr_first else [self.t("Print job slip")])
        check, low, no_fee = trust_texts(job, self.visit.complaint_number, lang, self.app.tr)
        return joined([job.title_text(lang), job.category_text(lang), job.pay_text(lang), low, job.settlement_text(lang),
                       job.employer, check, job.address, walk_text(self.visit.distance_km, lang),
                       *actions, self.t("Register interest"), no_fee], lang)
