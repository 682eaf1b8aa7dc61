"""`gig-kiosk` entry point.

Each sub-command lives in its own module with `configure(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so headless commands (decode, idcard,
receipt, sync) never load Kivy and start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Add a line here to add a command.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("screens.commands.demo", "kiosk with simulated devices and demo data"),
    "run": ("screens.commands.run", "production mode on real devices: --config FILE"),
    "shots": ("screens.commands.shots", "render every screen (zh/en, normal/elderly) to PNGs"),
    "doctor": ("screens.commands.doctor", "check each configured device and the central API"),
    "bench": ("bench.run", "run the benchmarks in bench/ and print the table"),
    "decode": ("devices.scanner.cli", "decode QR codes in images: one JSON line per IMAGE"),
    "idcard": ("devices.idcard.cli", "ID card reader: decode HEX|-, listen --port DEV, simulate"),
    "receipt": ("devices.printer.cli_receipt", "receipt sample --width 58|80 --out FILE; receipt preview FILE --out PNG"),
    "print-test": ("devices.printer.cli_print_test", "print the test page on the configured printer"),
    "sync": ("kiosk.sync_cli", "sync --once --config FILE: one sync cycle with the central API, JSON out"),
    "enrol": ("kiosk.enrol", "enrol --config FILE CODE: one-time enrolment code -> station token, pinned county key"),
    "update": ("kiosk.update.cli", "update --once --config FILE: signed update check/install/switch, JSON out"),
    "launch": ("kiosk.update.launch_cli", "launch --config FILE: count the start (crash-loop rollback), exec current release"),
    "pin-hash": ("kiosk.pin_cli", "maintenance_pin_hash for a PIN read from stdin, for a station config page"),
}

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        _print_help(argv[0] if argv and argv[0] not in ("-h", "--help") else None)
        return 0 if not argv or argv[0] in ("-h", "--help") else EXIT_USAGE
    name = argv[0]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"gig-kiosk {name}", description=help_text)
    module.configure(parser)
    args = parser.parse_args(argv[1:])
    return int(module.run(args) or 0)


def _print_help(unknown: str | None) -> None:
    out = sys.stderr if unknown else sys.stdout
    if unknown:
        print(f"gig-kiosk: unknown command {unknown!r}", file=out)
    print("usage: gig-kiosk COMMAND [options]\n\ncommands:", file=out)
    for name, (_, help_text) in COMMANDS.items():
        print(f"  {name:<12} {help_text}", file=out)


if __name__ == "__main__":
    sys.exit(main())
