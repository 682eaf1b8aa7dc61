"""Trust on the job screen (issue 16): "report this job", the fee warning and the employer and
pay sentences, as plain values and rules. The visit (core.py) holds the state and the intents;
screens only draw.

A report carries no personal data: the job, a reason and a random id made afresh for every
visit, so central can count reports from different visits (N of them hide the job pending
review) without knowing who anyone is.
"""

from __future__ import annotations

import secrets

from kiosk.i18n import N_
from kiosk.models import Job

# (code sent to central, msgid of the chip) in the order shown.
REASONS: tuple[tuple[str, str], ...] = (
    ("fee", N_("Asked me for a fee")),
    ("false_info", N_("False information")),
    ("unpaid_wages", N_("Unpaid wages")),
    ("other", N_("Other problem")),
)
CODES = tuple(code for code, _ in REASONS)

REPORT = N_("Report this job")
ASK = N_("What is wrong with this job? Your name is not sent.")
SEND = N_("Send report")
THANKS = N_("Thank you. County staff will look at this job.")
ALREADY = N_("You have reported this job already. Thank you.")
NOT_HERE = N_("Reports cannot be sent from this kiosk. Please call the complaint hotline.")
NO_FEE = N_("Looking for work never costs a fee. If anyone asks you for money, call {phone}.")
VERIFIED = N_("Verified employer")
NOT_VERIFIED = N_("Employer not verified")
LOW_PAY = N_("Pay is below the county's guidance wage ({guidance}).")


def new_visit_id() -> str:
    """A fresh random id per visit (16 URL-safe characters); it is all central learns about
    who reported, and only that two reports came from the same visit."""
    return secrets.token_urlsafe(12)


def valid_reason(code: str) -> bool:
    return code in CODES


def can_report(job: Job | None, reported: set[str]) -> bool:
    """One report per job per visit: a second tap says "reported already" instead."""
    return job is not None and job.id not in reported


def employer_msgid(job: Job) -> str:
    return VERIFIED if job.employer_verified else NOT_VERIFIED
