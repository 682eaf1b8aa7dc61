"""`gig-kiosk print-test`: print the maintenance test page on the configured printer and say
whether the printer confirmed it (exit 0) or what stopped it (exit 1)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="station settings TOML (default: built-in defaults)")
    parser.add_argument("--simulate", action="store_true", help="print to a simulated printer on 127.0.0.1")
    parser.add_argument("--preview", type=Path, help="also write a PNG of the bytes sent")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the printer")


def run(args: argparse.Namespace) -> int:
    from devices.base import DeviceState
    from devices.printer.render import render
    from devices.printer.service import PrintService
    from kiosk import receipts, settings
    from kiosk.i18n import sentences
    from kiosk.models import Station

    try:
        cfg = settings.load(args.config) if args.config else settings.Settings()
    except settings.SettingsError as exc:
        print(f"print-test: {exc}", file=sys.stderr)
        return 2
    pcfg = cfg.devices.printer
    sim = None
    if args.simulate:
        from devices.printer.simulator import PrinterSimulator

        sim = PrinterSimulator()
        host, port = sim.start()
        pcfg = pcfg.model_copy(update={"connection": "network", "host": host, "port": port, "enabled": True})
    if not pcfg.enabled:
        print("print-test: printer is disabled in settings (devices.printer.enabled)", file=sys.stderr)
        return 1
    done = threading.Event()
    outcome: dict[str, object] = {}

    def on_done(job_id: str, confirmed: bool) -> None:
        outcome["confirmed"] = confirmed
        done.set()

    def on_problem(job_id: str, problem) -> None:
        print(f"  problem: {problem.kind.value} ({problem.detail}) — {sentences(problem.msgids, 'zh')}")

    svc = PrintService(pcfg, on_job_done=on_done, on_job_problem=on_problem)
    svc.start()
    try:
        # Ask the printer first so the page itself shows the status it had.
        deadline = time.monotonic() + 3
        while svc.status.state == DeviceState.STARTING and time.monotonic() < deadline:
            time.sleep(0.05)
        st = cfg.station
        station = Station(st.id, st.name, st.lat, st.lng, name_en=st.name_en, county=st.county)
        receipt = receipts.maintenance_test_page(
            station,
            printed_at=dt.datetime.now().replace(microsecond=0),
            paper=svc.options.paper,
            device_status={"打印机 printer": f"{svc.status.state.value} {svc.status.detail}",
                           "连接 link": svc.link.describe},
        )
        print(f"printer {svc.link.describe}: {svc.status.state.value} ({svc.status.detail})")
        svc.submit(receipt)
        if args.preview:
            from devices.printer.preview import render as preview

            preview(render(receipt, svc.options), svc.options.paper.dots).save(args.preview)
        if not done.wait(args.timeout):
            print(f"print-test: not printed within {args.timeout:g} s; printer: "
                  f"{svc.status.state.value} ({svc.status.detail})", file=sys.stderr)
            return 1
        confirmed = bool(outcome.get("confirmed"))
        print("test page printed, confirmed by the printer" if confirmed
              else f"test page sent, unconfirmed: the printer cannot confirm ({svc.status.detail}); "
                   "look at the slip")
        if svc.paper_near_end:
            print("warning: paper near end")
        return 0 if confirmed else 1
    finally:
        svc.stop()
        if sim:
            sim.stop()
