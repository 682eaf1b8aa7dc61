"""What the job's QR code holds (on screen and on the slip), and reading it back.

A phone camera shows a QR's text as it is, so `job:qh-0155` alone means nothing to a seeker.
The code holds either
- the county's public job page, `public_job_url` of the station config with `{job_id}`
  filled in, when the county has one; or
- a short readable summary in the visit's language: title, pay, address, contact number,
  and a last line ending in `job:<id>` so the kiosk still opens the job from it
  (kiosk.codes reads that last line).

The summary is kept within MAX_BYTES of UTF-8 so the printer draws it with modules of at
least 3 dots at half the width of 58 mm paper (QR version 9 at level M holds 180 bytes):
the address is shortened first, then the title.
"""

from __future__ import annotations

import re

from kiosk.i18n import N_, tr
from kiosk.models import Job

MAX_BYTES = 180
CODE_LINE_RE = re.compile(r"(?<![A-Za-z0-9_-])job:([A-Za-z0-9][A-Za-z0-9_-]{0,63})$")
ELLIPSIS = "…"


def url(template: str, job_id: str) -> str:
    """A job page from a template with {job_id} (the station config) or {id} (the older
    local setting api.job_url)."""
    return template.replace("{job_id}", job_id).replace("{id}", job_id)


def summary(job: Job, lang: str) -> str:
    """The readable form, within MAX_BYTES."""
    pay = tr("{pay}, {settlement}", lang).format(pay=job.pay_text(lang), settlement=job.settlement_text(lang))
    contact = tr(N_("Contact: {phone}"), lang).format(phone=job.contact) if job.contact else ""
    code = tr(N_("Job code: {code}"), lang).format(code=f"job:{job.id}")
    fixed = [pay, contact, code]

    def size(title: str, address: str) -> int:
        return len("\n".join(x for x in (title, *fixed, address) if x).encode("utf-8"))

    title, address = job.title_text(lang), job.address
    while address and size(title, address) > MAX_BYTES:
        address = _shorter(address)
    while size(title, address) > MAX_BYTES and len(title) > 4:
        title = _shorter(title)
    return "\n".join(x for x in (title, pay, address, contact, code) if x)


def _shorter(text: str) -> str:
    """One character less, ending in an ellipsis ("" once nothing is left worth showing)."""
    body = text.removesuffix(ELLIPSIS)[:-1]
    return body + ELLIPSIS if len(body) >= 2 else ""


def payload(job: Job, lang: str, public_job_url: str = "") -> str:
    return url(public_job_url, job.id) if public_job_url else summary(job, lang)


def job_id_in_summary(text: str) -> str | None:
    """The job id of a summary this kiosk made: its last line ends in `job:<id>`."""
    last = text.rstrip().rsplit("\n", 1)[-1].strip()
    m = CODE_LINE_RE.search(last)
    return m.group(1) if m and "\n" in text.strip() else None

