"""`gig-kiosk receipt sample --width 58|80 --out FILE` and `gig-kiosk receipt preview FILE --out PNG`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

EXIT_USAGE = 2


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    s = sub.add_parser("sample", help="ESC/POS bytes of a sample job slip (fictional job)")
    s.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    s.add_argument("--out", type=Path, required=True, help="file for the bytes ('-' for stdout)")
    s.add_argument("--kind", choices=("job", "application", "policy", "test"), default="job")
    s.add_argument("--profile", default="default", help="python-escpos printer profile")
    s.add_argument("--model", help="printer model from kiosk/printer_models.toml (overrides --profile)")
    s.add_argument("--at", help="time printed, ISO (default: a fixed sample time)")
    p = sub.add_parser("preview", help="picture of what a printer prints from ESC/POS bytes")
    p.add_argument("file", type=Path, help="ESC/POS bytes ('-' for stdin)")
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")


def build_sample(kind: str, width: int, at: dt.datetime, profile: str = "default",
                 model: str | None = None) -> bytes:
    from devices.printer import sample
    from devices.printer.render import RenderOptions, render
    from kiosk import receipts
    from kiosk.printer_models import resolve

    options = RenderOptions.for_model(resolve(model, width)) if model else RenderOptions(receipts.paper_for(width), profile)
    paper = options.paper
    if kind == "job":
        receipt = receipts.job_slip(sample.SAMPLE_JOB, sample.SAMPLE_STATION, printed_at=at)
    elif kind == "application":
        receipt = receipts.application_receipt(
            **sample.SAMPLE_PERSON, job=sample.SAMPLE_JOB, station=sample.SAMPLE_STATION,
            reference="A-DEMO-0001", queued=True, printed_at=at,
        )
    elif kind == "policy":
        receipt = receipts.policy_slip(sample.SAMPLE_POLICY, sample.SAMPLE_STATION, printed_at=at)
    else:
        receipt = receipts.maintenance_test_page(
            sample.SAMPLE_STATION, printed_at=at, paper=paper,
            device_status={"打印机 printer": "ok", "读卡器 ID reader": "ok", "扫码 scanner": "ok"},
        )
    return render(receipt, options)


def run(args: argparse.Namespace) -> int:
    if args.action == "sample":
        from devices.printer.sample import SAMPLE_TIME

        try:
            at = dt.datetime.fromisoformat(args.at) if args.at else SAMPLE_TIME
        except ValueError:
            print(f"receipt: --at: not an ISO time: {args.at!r}", file=sys.stderr)
            return EXIT_USAGE
        from kiosk.printer_models import ModelError

        try:
            data = build_sample(args.kind, args.width, at, args.profile, args.model)
        except ModelError as exc:
            print(f"receipt: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if str(args.out) == "-":
            sys.stdout.buffer.write(data)
        else:
            args.out.write_bytes(data)
            print(f"{args.out}: {len(data)} bytes ({args.kind} slip, {args.width} mm)")
        return 0
    from devices.printer.preview import render_preview
    from kiosk.receipts import paper_for

    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    except OSError as exc:
        print(f"receipt: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    result = render_preview(data, paper_for(args.width).dots)
    result.image.save(args.out)
    note = f"; skipped commands: {sorted(set(result.skipped))}" if result.skipped else ""
    print(f"{args.out}: {result.image.width}x{result.image.height}, {result.cuts} cut(s), "
          f"{len(result.qr_codes)} QR{note}")
    return 0
