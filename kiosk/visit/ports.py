"""What a visit is given: the services, as Protocols (structural types, so the real drivers and a
test's own small objects both fit without inheriting from anything here)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # numpy and the receipt layout: not needed to draw the first frame
    from kiosk.filters import JobFilter
    from kiosk.models import Job, Policy
    from kiosk.receipts import Receipt
    from kiosk.search import SearchResult


class JobStore(Protocol):
    """kiosk.store.Store, the part a visit reads."""

    def get_job(self, job_id: str) -> Job | None: ...
    def categories(self) -> list[str]: ...
    def policies(self) -> list[Policy]: ...
    def get_policy(self, policy_id: str) -> Policy | None: ...
    def count_jobs(self) -> int: ...  # the maintenance screen's "jobs in the cache"


class Printer(Protocol):
    """devices.printer.PrintService: queue a receipt, get its job id back at once."""

    def submit(self, receipt: Receipt) -> str: ...
    def cancel(self, job_ids: Iterable[str]) -> list[str]: ...  # the ids that were still queued
    def started(self, job_id: str) -> bool: ...  # going to paper, or out of the queue


class Submitted(Protocol):
    @property
    def reference(self) -> str: ...  # read-only: kiosk.outbox.Entry is frozen


class Outbox(Protocol):
    """kiosk.outbox.Outbox: an application is committed here before the seeker is told."""

    def submit(self, *, job_id: str, station_id: str, id_number: str, name: str, phone: str,
               consent_version: str, consent_at: dt.datetime) -> Submitted: ...
    def status_of(self, reference: str) -> str | None: ...
    def withdraw(self, *, app_id: str, station_id: str, id_number: str) -> object: ...
    def withdrawal_status(self, app_id: str) -> str: ...
    def pending(self) -> int: ...  # registrations not yet delivered (maintenance screen)
    def report(self, *, job_id: str, station_id: str, reason: str, visit: str,
               at: dt.datetime) -> str: ...  # a job report (issue 16): no personal data
    # standing registrations (issue 16; kiosk.outbox_standing.StandingRows)
    def submit_standing(self, *, station_id: str, lang: str, seeker: dict[str, str], wants: dict[str, Any],
                        consent: dict[str, Any]) -> Any: ...
    def cancel_standing(self, reference: str) -> bool: ...
    def end_standing(self, *, reg_id: str, station_id: str, id_number: str) -> str: ...
    def standing_server_id(self, reference: str) -> str: ...
    def standing_end_status(self, reg_id: str) -> str: ...


class Registrations(Protocol):
    """kiosk.api.ApiClient, the issue-12 look-up of a seeker's open registrations."""

    def my_applications(self, id_number: str, *, station_id: str) -> list[dict[str, Any]]: ...


class Sync(Protocol):
    """kiosk.sync.SyncWorker, the part a visit uses."""

    online: bool

    def wake(self) -> None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime: ...  # local wall time: dates, opening hours, slips
    def monotonic(self) -> float: ...  # idle timeout and PIN lockout: immune to clock changes


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now()

    def monotonic(self) -> float:
        return time.monotonic()


class Search(Protocol):
    """Nearby jobs for a filter, today (kiosk.search.nearby around the station)."""

    def __call__(self, flt: JobFilter, today: dt.date) -> SearchResult: ...


EventSink = Callable[[str], None]  # statistics: an event name, never personal data
DeviceReport = Callable[[], list[tuple[str, str, str]]]  # (device, state, detail) for maintainers
Config = Any  # kiosk.remote_config.AppliedConfig (pydantic: imported by the caller, not here)
