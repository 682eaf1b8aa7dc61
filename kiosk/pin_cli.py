"""`gig-kiosk pin-hash`: the maintenance_pin_hash value for a PIN, for the station config page.

The hash is scrypt (kiosk/pin.py, ~0.4 s to make). Give each station its own PIN, 10-12 digits
where practical: central refuses one hash for several stations or for the whole county.
Reads the PIN twice without echo on a terminal, or one line from standard input otherwise,
and prints only the hash. Exit 2 with a one-line message for a PIN that is not 6-12 digits.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.pin import hash_pin, validate_pin


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.splitlines()[0]


def run(_args: argparse.Namespace) -> int:
    try:
        if sys.stdin.isatty():
            pin = getpass.getpass("PIN (6-12 digits): ")
            if getpass.getpass("Again: ") != pin:
                print("gig-kiosk pin-hash: the two PINs differ", file=sys.stderr)
                return 2
        else:
            pin = sys.stdin.readline().strip()
        print(hash_pin(validate_pin(pin)))
    except ValueError as exc:
        print(f"gig-kiosk pin-hash: {exc}", file=sys.stderr)
        return 2
    return 0
