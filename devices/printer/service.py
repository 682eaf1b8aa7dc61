"""Print queue: one worker thread, status before/during/after each job, nothing lost on paper-out.

A job leaves the queue only when the printer confirms it: the process-ID response
(GS ( H fn=48, answered once everything before it is on paper) or, for printers without
it, status that stays ready for the whole estimated print time. If the printer stops
mid-job (paper end, cover open, error, offline) the worker clears the printer's buffers
(DLE DC4 fn=8) so the rest of the slip does not come out after the refill, tells the UI
(`job_problem`, msgids, with the QR to show instead) and prints the whole job again,
once, when the printer is ready — or drops it after `max_job_age_s`.

Printers that cannot answer (model `status = none`, a write-only link, or a printer that
has never answered DLE EOT since start) are not gated on status: the job is sent and
reported done *unconfirmed*, so the UI can offer the QR as well. DLE DC4 fn=8 and GS ( H go
only to models that have them (models.toml).

Events (`job_done`, `job_problem`, `job_dropped`: Signals) run on the worker thread; the UI hops to its own thread itself.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from devices.base import Device, DeviceGone, DeviceState
from devices.printer.escpos_stream import tokens
from devices.printer.link import Link
from devices.printer.render import RenderOptions, render
from devices.printer.status import (
    CLEAR_BUFFERS,
    INFO_REQUESTS,
    UNKNOWN,
    PrinterStatus,
    Problem,
    ReplyReader,
    info_request,
    parse_status,
    process_id_request,
    status_query,
)
from kiosk.i18n import N_
from kiosk.receipts import Receipt
from kiosk.settings import PrinterSettings
from kiosk.worker import Signal

log = logging.getLogger(__name__)

# msgids (kiosk.i18n; Chinese in assets/locale/zh): the cause, then what the seeker can do.
_CAUSE = {
    Problem.PAPER_OUT: N_("The printer is out of paper."),
    Problem.COVER_OPEN: N_("The printer cover is open."),
    Problem.OFFLINE: N_("The printer is offline."),
    Problem.ERROR: N_("The printer has a fault."),
    Problem.NOT_RESPONDING: N_("The printer is not responding."),
    Problem.NO_PRINTER: N_("The printer is not connected."),
    Problem.EXPIRED: N_("The slip waited too long and was cancelled."),
}
_QR_HINT = N_("Scan the QR code on the screen with your phone instead.")
_LATER = N_("It will print automatically once the printer is fixed.")


@dataclass(frozen=True, slots=True)
class PrintProblem:
    kind: Problem
    msgids: tuple[str, ...]  # sentences for the seeker: kiosk.i18n.sentences(msgids, lang)
    qr_data: str | None  # what the screen can show instead of the paper
    detail: str = ""  # English, for maintainers; no personal data


def make_problem(kind: Problem, qr_data: str | None, detail: str = "") -> PrintProblem:
    msgids = [_CAUSE[kind]]
    if qr_data:
        msgids.append(_QR_HINT)
    if kind is not Problem.EXPIRED:
        msgids.append(_LATER)
    return PrintProblem(kind, tuple(msgids), qr_data, detail)


@dataclass
class _Job:
    id: str
    receipt: Receipt
    created: float
    data: bytes = b""
    reported: Problem | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Built again once the printer has been asked GS I (the test page shows its answers).
    rebuild: Callable[[dict[str, str] | None], Receipt] | None = None


class PrinterDisabled(RuntimeError):
    pass


class PrintService(Device):
    """`PrintService(settings.devices.printer)`; `.start()`, `.submit(receipt) -> job_id`."""

    name = "printer"

    def __init__(
        self,
        settings: PrinterSettings,
        *,
        on_job_done: Callable[[str, bool], None] | None = None,
        on_job_problem: Callable[[str, PrintProblem], None] | None = None,
        on_job_dropped: Callable[[str, PrintProblem], None] | None = None,
        poll_s: float = 0.2,
        idle_poll_s: float = 5.0,
        status_timeout_s: float = 0.5,
        link: Link | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        # Events, on the print thread (the constructor's on_* are their first listeners).
        self.job_done: Signal[[str, bool]] = Signal("printer.job_done", on_job_done)
        self.job_problem: Signal[[str, PrintProblem]] = Signal("printer.job_problem", on_job_problem)
        self.job_dropped: Signal[[str, PrintProblem]] = Signal("printer.job_dropped", on_job_dropped)
        self.poll_s = poll_s
        self.idle_poll_s = idle_poll_s
        self.status_timeout_s = status_timeout_s
        self.link = link or Link(settings)
        self.model = settings.resolved()
        self.options = dataclasses.replace(RenderOptions.for_model(self.model), profile=settings.profile)
        self._jobs: deque[_Job] = deque()
        self._jobs_lock = threading.Lock()
        self._wake = threading.Event()
        self._reader = ReplyReader(self.model.slip_sensor)
        self._printer_status: PrinterStatus = UNKNOWN
        self._pid = 0
        self._pid_supported = False
        self._ever_answered = False  # a printer that never answered is not gated on status
        self.qr_check = "unchecked"  # kiosk.printer_check result: native | image | unchecked
        self.printer_info: dict[str, str] | None = None  # GS I answers; None: never asked

    # --- public API (any thread) --------------------------------------------------------
    def submit(self, receipt: Receipt) -> str:
        if not self.settings.enabled:
            raise PrinterDisabled("printer is disabled in settings")
        job = _Job(uuid.uuid4().hex[:12], receipt, time.monotonic())
        with self._jobs_lock:
            self._jobs.append(job)
        self._wake.set()
        return job.id

    def submit_built(self, build: Callable[[dict[str, str] | None], Receipt]) -> str:
        """Queue a receipt built from the printer's GS I answers, asked just before it prints
        (None: the link cannot read; {}: the printer did not answer). For the test page."""
        if not self.settings.enabled:
            raise PrinterDisabled("printer is disabled in settings")
        job = _Job(uuid.uuid4().hex[:12], build(None), time.monotonic(), rebuild=build)
        with self._jobs_lock:
            self._jobs.append(job)
        self._wake.set()
        return job.id

    def cancel(self, job_ids: Iterable[str]) -> list[str]:
        """Take these jobs out of the queue (a visit has ended: its slips must not print for the
        next person after a refill). Returns the ids that were still queued. A job already
        going to paper cannot be called back; a stopped one is not printed again."""
        wanted = set(job_ids)
        with self._jobs_lock:
            gone = [j for j in self._jobs if j.id in wanted]
            for j in gone:
                self._jobs.remove(j)
        for j in gone:
            log.info("printer: job %s cancelled", j.id)
        return [j.id for j in gone]

    def started(self, job_id: str) -> bool:
        """The job is going to paper now, or has left the queue (its done/problem/dropped event
        tells the rest). False while it waits: behind a stopped job, or for a stopped printer."""
        with self._jobs_lock:
            job = next((j for j in self._jobs if j.id == job_id), None)
            return job is None or (job.attempts > 0 and job.reported is None)

    def use_qr_check(self, result: str, native: bool, printer_info: dict[str, str] | None = None) -> None:
        """Print QR codes as the station's self-check decided (kiosk.printer_check owns the
        rule); `result` (native | image | unchecked) goes into the heartbeat."""
        self.qr_check = result
        if printer_info and self.printer_info is None:
            self.printer_info = dict(printer_info)  # the last check's answers until asked again
        self.options = dataclasses.replace(self.options, native_qr=native)

    @property
    def pending(self) -> list[str]:
        with self._jobs_lock:
            return [j.id for j in self._jobs]

    @property
    def printer_status(self) -> PrinterStatus:
        """Last parsed DLE EOT answer (UNKNOWN until the printer has answered)."""
        return self._printer_status

    @property
    def paper_near_end(self) -> bool:
        return self._printer_status.known and self._printer_status.paper_near_end

    def health(self) -> dict[str, Any]:
        """For the heartbeat: device state, the paper-near-end warning, queue length."""
        st = self._printer_status
        return {
            **self.status.as_dict(),
            "paper_near_end": self.paper_near_end,
            "paper_end": st.known and st.paper_end,
            "cover_open": st.known and st.cover_open,
            "slip_waiting": st.known and st.slip_waiting,
            "model": self.model.key,
            "queued": len(self.pending),
            "link": self.link.describe,
            "qr_check": self.qr_check,
            **({"gs_i": dict(self.printer_info)} if self.printer_info is not None else {}),
        }

    def start(self) -> None:
        if not self.settings.enabled:
            self._set_status(DeviceState.STOPPED, "disabled")
            return
        super().start()

    def _interrupt(self) -> None:
        self._wake.set()

    # --- worker thread ------------------------------------------------------------------
    def open(self) -> None:
        try:
            self.link.open()
        except (DeviceGone, OSError) as exc:
            self._expire_jobs()
            for job in self._snapshot():  # once per job: _report de-duplicates
                self._report(job, Problem.NO_PRINTER, str(exc)[:80])
            raise
        self._reader = ReplyReader(self.model.slip_sensor)
        try:
            self._refresh_status()
        except BaseException:
            self.link.close()  # the base class only closes after a successful open
            raise

    def close(self) -> None:
        self.link.close()

    def step(self) -> None:
        job = self._next_job()
        if job is None:
            if self._wake.wait(self.idle_poll_s):
                self._wake.clear()
            else:
                self._refresh_status()  # keep the heartbeat's view fresh while idle
            return
        st = self._refresh_status()
        if not self._gated:
            self._send(job)  # nothing can confirm it: send, and say it is unconfirmed
            self._finish(job, confirmed=False)
            return
        if st.problem is not None:
            self._report(job, st.problem, st.summary())
            self.sleep(self.poll_s)
            return
        self._print(job)

    @property
    def _reads_status(self) -> bool:
        return self.link.can_read and self.model.reads_status(self.settings.connection)

    @property
    def _gated(self) -> bool:
        """Jobs wait for a ready status only from a printer that can and did answer."""
        return self._reads_status and self._ever_answered

    def _print(self, job: _Job) -> None:
        pid = self._next_pid()
        # Only this job's reply matters: earlier ones are done with, and a set kept for
        # months would grow by one ID a slip (issue 17's soak).
        self._reader.process_ids.clear()
        job.attempts += 1
        self._send(job, process_id_request(pid) if self.model.process_id else b"")
        started = time.monotonic()
        window = self._print_time_s(job.data)
        while self.running:
            self._pump(self.poll_s)
            if pid in self._reader.process_ids:
                self._reader.process_ids.clear()
                self._pid_supported = True
                self._refresh_status()  # after the job: e.g. paper near end now
                self._finish(job, confirmed=True)
                return
            st = self._refresh_status()
            if st.problem is not None:
                if st.known and self.model.clear_buffer:
                    self._clear_printer_buffers()
                log.info("printer: job %s stopped: %s", job.id, st.summary())
                self._report(job, st.problem, st.summary())
                return  # stays queued; printed again in full when ready
            elapsed = time.monotonic() - started
            if not self._pid_supported and elapsed > window:
                # No process-ID support: ready for the whole print time is our confirmation.
                self._finish(job, confirmed=True)
                return
            if elapsed > window + 30:
                log.warning("printer: job %s: no completion reply", job.id)
                self._finish(job, confirmed=False)
                return

    def _clear_printer_buffers(self) -> None:
        """DLE DC4 fn=8, or the rest of the stopped slip prints after the refill and the
        reprint doubles it. Waits briefly for the `37 25 00` acknowledgement."""
        before = self._reader.cleared
        self.link.write(CLEAR_BUFFERS)
        deadline = time.monotonic() + self.status_timeout_s
        while self._reader.cleared == before and time.monotonic() < deadline:
            self._pump(max(0.001, deadline - time.monotonic()))
        if self._reader.cleared == before:
            log.info("printer: no acknowledgement of buffer clear (unsupported?)")

    def _send(self, job: _Job, trailer: bytes = b"") -> None:
        if job.rebuild is not None:
            info = self._identify()
            job.receipt, job.rebuild, job.data = job.rebuild(info), None, b""
        if not job.data:
            job.data = render(job.receipt, self.options)
        job.reported = None
        self.link.write(job.data + trailer)

    def _print_time_s(self, data: bytes) -> float:
        """Generous estimate: line transfer time (serial) plus print time plus margin. Text
        at 1000 bytes/s; raster images by their dot rows (500/s: 60 mm/s at 203 dpi), since a
        raster line's hundreds of bytes print as fast as one text line."""
        size = len(data)
        transfer = size * 10 / self.settings.serial_baudrate if self.settings.connection == "serial" else 0
        images = [t for t in tokens(data) if t.op == "GS v 0"]
        rows = sum(t.args[4] | t.args[5] << 8 for t in images)
        text = size - sum(len(t.raw) for t in images)
        return 2.0 + transfer + text / 1000 + rows / 500

    def _next_pid(self) -> str:
        self._pid = self._pid % 9999 + 1
        return f"{self._pid:04d}"

    def _pump(self, timeout: float) -> None:
        data = self.link.read(timeout)
        if data:
            self._reader.feed(data)

    def _identify(self) -> dict[str, str] | None:
        """Ask GS I model, maker, firmware, fonts; silence is unknown (a printer that does not
        answer the first is not asked the rest). None when the link cannot read at all."""
        if not self.link.can_read:
            return None
        self._pump(0.001)
        self._reader.infos.clear()
        info: dict[str, str] = {}
        for key, n in INFO_REQUESTS.items():
            self.link.write(info_request(n))
            deadline = time.monotonic() + self.status_timeout_s
            while not self._reader.infos and time.monotonic() < deadline:
                self._pump(max(0.001, deadline - time.monotonic()))
            if not self._reader.infos:
                if not info:
                    break
                continue
            text = self._reader.infos.pop(0)[:64]
            if text:
                info[key] = text
        log.info("printer: GS I answers: %s", info or "none")
        self.printer_info = info
        return info

    def _query(self) -> PrinterStatus:
        if not self._reads_status:
            return UNKNOWN
        self._pump(0.001)  # late bytes from an earlier poll must not answer this one
        self._reader.statuses.clear()
        replies: dict[int, int] = {}
        for n in (1, 2, 3, 4):
            self.link.write(status_query(n))
            deadline = time.monotonic() + self.status_timeout_s
            while not self._reader.statuses and time.monotonic() < deadline:
                self._pump(max(0.001, deadline - time.monotonic()))
            b = self._reader.take_status()
            if b is None:
                if n == 1:
                    break  # silent: unknown, never "ok"
                continue
            replies[n] = b
        st = parse_status(replies, self.model.slip_sensor)
        self._ever_answered = self._ever_answered or st.known
        return st

    def _refresh_status(self) -> PrinterStatus:
        st = self._query()
        self._printer_status = st
        if not self.link.can_read:
            self._set_status(DeviceState.UNKNOWN, "write-only link, status not readable")
        elif not self._reads_status:
            self._set_status(DeviceState.UNKNOWN, f"{self.model.key}: no status over {self.settings.connection}")
        elif not st.known:
            self._set_status(DeviceState.UNKNOWN, st.summary())
        elif st.problem is not None:
            self._set_status(DeviceState.ERROR, st.summary())
        elif st.paper_near_end or st.slip_waiting:
            self._set_status(DeviceState.WARNING, st.summary())
        else:
            self._set_status(DeviceState.OK, "ready")
        return st

    # --- queue bookkeeping --------------------------------------------------------------
    def _snapshot(self) -> list[_Job]:
        with self._jobs_lock:
            return list(self._jobs)

    def _next_job(self) -> _Job | None:
        self._expire_jobs()
        with self._jobs_lock:
            return self._jobs[0] if self._jobs else None

    def _expire_jobs(self) -> None:
        now = time.monotonic()
        with self._jobs_lock:
            old = [j for j in self._jobs if now - j.created > self.settings.max_job_age_s]
            for j in old:
                self._jobs.remove(j)
        for j in old:
            log.info("printer: job %s dropped after %.0f s", j.id, now - j.created)
            self.job_dropped.emit(j.id, make_problem(Problem.EXPIRED, j.receipt.qr_data))

    def _finish(self, job: _Job, confirmed: bool) -> None:
        with self._jobs_lock:
            if job in self._jobs:
                self._jobs.remove(job)
        log.info("printer: job %s done (%s)", job.id, "confirmed" if confirmed else "unconfirmed")
        self.job_done.emit(job.id, confirmed)

    def _report(self, job: _Job, kind: Problem, detail: str) -> None:
        if job.reported == kind:
            return  # tell the seeker once per cause, not on every poll
        job.reported = kind
        self.job_problem.emit(job.id, make_problem(kind, job.receipt.qr_data, detail))
