"""My registrations (我的报名, issue 12): the rows central returns, as the seeker reads them.

Plain values and wording only; the visit (core.py) does the look-up and the withdrawing.
Every staff workflow status of CONTRACTS.md has words here; a job that is filled or ended
says so instead of a status that can no longer lead anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.formatting import short_date
from kiosk.i18n import N_

# Staff workflow status -> what the seeker reads (central: new | contacted | hired | not_hired |
# no_answer; withdrawn is what this kiosk did).
STATUS_TEXT = {
    "new": N_("Received"),
    "contacted": N_("Contacted"),
    "hired": N_("Hired"),
    "not_hired": N_("Not hired this time"),
    "no_answer": N_("We called, no answer"),
    "withdrawn": N_("Withdrawn"),
}
UNKNOWN_STATUS = N_("Being handled")
JOB_CLOSED = N_("Job filled or ended")
# While the staff have not finished with it, a closed job is what matters to the seeker.
_STILL_OPEN_STATES = ("new", "contacted", "no_answer")

LOADING = N_("Looking up your registrations…")
OFFLINE = N_("No connection right now, so your registrations cannot be shown. Please try again later.")
UNAVAILABLE = N_("Your registrations cannot be shown right now. Please try again later.")
NONE_YET = N_("You have no open registrations at this county.")
NEED_CARD = N_("Please place your ID card on the reader to see your registrations.")
WITHDRAWN_NOTICE = N_("Withdrawn. Your details will be deleted.")
WITHDRAWN_QUEUED = N_("Withdrawn. It will be sent as soon as the kiosk is back online.")


@dataclass(frozen=True, slots=True)
class Registration:
    """One row of My registrations; no personal data (central's id, the job, the status)."""

    app_id: str
    job_id: str
    job_title: str
    created: dt.date | None
    status: str
    job_open: bool

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> Registration:
        return cls(str(row["id"]), str(row.get("job_id", "")), str(row.get("job_title") or ""),
                   _date(row.get("created_at")), str(row["status"]), bool(row.get("job_open", True)))

    @property
    def withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @property
    def status_msgid(self) -> str:
        if not self.job_open and self.status in _STILL_OPEN_STATES:
            return JOB_CLOSED
        return STATUS_TEXT.get(self.status, UNKNOWN_STATUS)

    def date_text(self, lang: str) -> str:
        if self.created is None:
            return ""
        return short_date(self.created, lang)


def _date(value: object) -> dt.date | None:
    """The registration's local date (created_at is ISO 8601 with a zone)."""
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when.astimezone() if when.tzinfo else when).date()
