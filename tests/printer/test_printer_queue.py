"""Print queue against the simulator over real sockets and a real pty: the production path."""

from __future__ import annotations

import time

from printer_testkit import Events, PrinterSimulator, service_for, wait_until

from devices.printer.render import render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_POLICY, SAMPLE_STATION, SAMPLE_TIME
from devices.printer.service import PrintService
from devices.printer.status import Problem
from kiosk import receipts as r
from kiosk.i18n import tr
from kiosk.settings import PrinterSettings

SLIP = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)


def test_prints_and_confirms_once() -> None:
    ev = Events()
    with PrinterSimulator() as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.done, 5)
            assert ev.done == [(job_id, True)]
            assert sim.printed == [render(SLIP, svc.options)]
            assert svc.pending == [] and ev.problems == []
        finally:
            svc.stop()


def test_paper_out_mid_job_prints_exactly_once_after_refill() -> None:
    ev = Events()
    data = render(SLIP, service_for(("127.0.0.1", 9), ev).options)
    # The roll ends a third of the way into the slip, while it is printing.
    with PrinterSimulator(paper_left=len(data) // 3, print_rate=20000) as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.problems, 5), svc.status
            (pid, problem), = ev.problems
            assert pid == job_id and problem.kind is Problem.PAPER_OUT
            zh = tr(problem.msgids[0], "zh")
            assert "缺纸" in zh or "没纸" in zh
            assert "paper" in problem.msgids[0] and problem.qr_data == "job:qh-0001"
            assert svc.pending == [job_id] and ev.done == []
            assert len(sim.spoiled) == 1 and sim.printed == []  # partial slip, buffer cleared
            time.sleep(0.5)  # still out of paper: nothing more happens, nobody is told twice
            assert len(ev.problems) == 1 and svc.pending == [job_id]
            sim.set_state(paper_out=False)  # maintainer loads a new roll
            assert ev.wait(lambda: ev.done, 5)
            assert ev.done == [(job_id, True)]
            assert sim.printed == [data]  # the whole slip, once
            time.sleep(0.3)
            assert sim.printed == [data] and len(sim.spoiled) == 1 and svc.pending == []
        finally:
            svc.stop()


def test_cover_open_before_job_waits_then_prints() -> None:
    ev = Events()
    with PrinterSimulator(cover_open=True) as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.problems, 5)
            assert ev.problems[0][1].kind is Problem.COVER_OPEN
            assert sim.printed == [] and b"\x1b@" not in sim.received  # nothing sent to a stopped printer
            sim.set_state(cover_open=False)
            assert ev.wait(lambda: ev.done, 5) and ev.done == [(job_id, True)]
            assert len(sim.printed) == 1
        finally:
            svc.stop()


def test_printer_that_falls_silent_keeps_job_until_it_answers() -> None:
    ev = Events()
    with PrinterSimulator() as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            assert wait_until(lambda: svc.status.state.value == "ok", 5)  # it has answered once
            sim.set_state(silent=True)  # then it is switched off
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.problems, 5)
            assert ev.problems[0][1].kind is Problem.NOT_RESPONDING
            assert svc.status.state.value == "unknown" and svc.pending == [job_id]
            sim.set_state(silent=False)
            assert ev.wait(lambda: ev.done, 5) and len(sim.printed) == 1
        finally:
            svc.stop()


def test_printer_that_never_answered_prints_unconfirmed() -> None:
    # Issue 21: a one-way printer never answers DLE EOT; it used to get 0 jobs and the
    # seeker was told "printer not responding". Now the slip goes out, marked unconfirmed.
    ev = Events()
    with PrinterSimulator(silent=True) as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.done, 5), ev.problems
            assert ev.done == [(job_id, False)] and ev.problems == []
            assert sim.wait_printed(1, 5)
            assert b"\x1d(H" not in sim.received or svc.model.process_id
            assert svc.status.state.value == "unknown"
        finally:
            svc.stop()


def test_model_without_status_is_never_asked() -> None:
    ev = Events()
    with PrinterSimulator() as sim:
        svc = service_for(sim.start(), ev, model="xprinter-xp58")
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.done, 5) and ev.done == [(job_id, False)]
            assert sim.status_queries == 0  # no DLE EOT, no GS ( H, no DLE DC4 to a ZJ-5890
            assert b"\x1d(H" not in sim.received and b"\x10\x14" not in sim.received
            assert "no status" in svc.status.detail
        finally:
            svc.stop()


def test_job_dropped_after_max_age() -> None:
    ev = Events()
    with PrinterSimulator(paper_out=True) as sim:
        svc = service_for(sim.start(), ev, max_job_age_s=0.4)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            assert ev.wait(lambda: ev.dropped, 5)
            assert ev.dropped[0][0] == job_id and ev.dropped[0][1].kind is Problem.EXPIRED
            sim.set_state(paper_out=False)
            time.sleep(0.4)
            assert sim.printed == [] and ev.done == [] and svc.pending == []
        finally:
            svc.stop()


def test_slow_printer_is_confirmed_only_after_printing() -> None:
    ev = Events()
    printed_when_done: list[int] = []
    with PrinterSimulator(print_rate=4000) as sim:  # ~0.2 s for the slip
        svc = service_for(sim.start(), ev)
        svc.job_done.disconnect(ev.on_done)  # count what was on paper first, then record
        svc.job_done.connect(lambda job_id, ok: (printed_when_done.append(len(sim.printed)), ev.on_done(job_id, ok)))
        svc.start()
        try:
            svc.submit(SLIP)
            svc.submit(r.policy_slip(SAMPLE_POLICY, SAMPLE_STATION, printed_at=SAMPLE_TIME))
            assert ev.wait(lambda: len(ev.done) == 2, 10)
            assert printed_when_done == [1, 2] and all(ok for _, ok in ev.done)
        finally:
            svc.stop()


def test_no_printer_reports_and_recovers() -> None:
    ev = Events()
    sim = PrinterSimulator()
    host, port = sim.start()
    sim.stop()  # nothing listens on that port now
    svc = service_for((host, port), ev)
    svc.backoff_cap_s = 0.2
    svc.start()
    try:
        svc.submit(SLIP)
        assert ev.wait(lambda: ev.problems, 5)
        assert ev.problems[0][1].kind is Problem.NO_PRINTER
        assert svc.status.state.value == "no_device"
        with PrinterSimulator() as back:  # printer plugged back in on the same address
            back.start(host, port)
            assert ev.wait(lambda: ev.done, 10) and len(back.printed) == 1
    finally:
        svc.stop()


def test_serial_link_over_pty() -> None:
    ev = Events()
    with PrinterSimulator() as sim:
        path = sim.start_pty()
        cfg = PrinterSettings(connection="serial", serial_port=path, serial_baudrate=9600, width_mm=58,
                              model="epson-tm-t88")
        svc = PrintService(cfg, on_job_done=ev.on_done, on_job_problem=ev.on_problem,
                           poll_s=0.05, idle_poll_s=0.1, status_timeout_s=0.3)
        svc.start()
        try:
            svc.submit(SLIP)
            assert ev.wait(lambda: ev.done, 10), (svc.status, ev.problems)
            assert sim.printed == [render(SLIP, svc.options)]
            assert wait_until(lambda: svc.status.state.value == "ok", 3)
        finally:
            svc.stop()


def test_file_link_sends_but_cannot_confirm(tmp_path) -> None:
    ev = Events()
    out = tmp_path / "lp0"
    svc = PrintService(PrinterSettings(connection="file", file=out), on_job_done=ev.on_done,
                       poll_s=0.05, idle_poll_s=0.1)
    svc.start()
    try:
        svc.submit(SLIP)
        assert ev.wait(lambda: ev.done, 5)
        assert ev.done[0][1] is False  # never claimed as confirmed
        assert out.read_bytes() == render(SLIP, svc.options)
        assert svc.status.state.value == "unknown"
    finally:
        svc.stop()


def test_a_cancelled_job_never_prints_after_the_refill() -> None:
    """Issue 18: a receipt that failed for paper printed for the next person after the refill."""
    ev = Events()
    with PrinterSimulator(paper_out=True) as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            job_id = svc.submit(SLIP)
            other = svc.submit(SLIP)
            assert ev.wait(lambda: ev.problems, 5)
            assert svc.cancel([job_id, "no-such-job"]) == [job_id]
            assert svc.pending == [other] and svc.cancel([job_id]) == []
            assert svc.cancel([other]) == [other]
            sim.set_state(paper_out=False)
            time.sleep(0.6)  # several polls with a ready printer
            assert sim.printed == [] and ev.done == [] and svc.pending == []
            assert svc.submit(SLIP) and ev.wait(lambda: ev.done, 5)  # the queue still works
            assert len(sim.printed) == 1
        finally:
            svc.stop()


def test_the_simulator_forgets_its_record_and_keeps_printing() -> None:
    # A soak or an all-day demo would otherwise keep every slip the simulator printed (issue 17).
    ev = Events()
    with PrinterSimulator() as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            svc.submit(SLIP)
            assert ev.wait(lambda: len(ev.done) == 1, 5)
            slip = render(SLIP, svc.options)
            assert sim.forget() >= 2 * len(slip)  # received, and printed
            assert sim.printed == [] and sim.received == b""
            svc.submit(SLIP)
            assert ev.wait(lambda: len(ev.done) == 2, 5) and sim.wait_printed(1)
            assert sim.printed == [slip]
        finally:
            svc.stop()


def test_confirmed_slips_leave_no_process_ids_behind() -> None:
    # Each slip's GS ( H reply was kept in a set for good: one more entry per slip, for months.
    ev = Events()
    with PrinterSimulator() as sim:
        svc = service_for(sim.start(), ev)
        svc.start()
        try:
            for n in range(1, 6):
                svc.submit(SLIP)
                assert ev.wait(lambda n=n: len(ev.done) == n, 5)
            assert all(ok for _job, ok in ev.done)
            assert svc._reader.process_ids == set()
        finally:
            svc.stop()
