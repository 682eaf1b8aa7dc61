"""kiosk.pin: maintenance PIN hashes (the remote config's format) and the lockout."""

import subprocess
import sys

import pytest

from kiosk.pin import PinGuard, hash_pin, validate_pin, verify_pin
from kiosk.remote_config import StationConfig

FAST = 1_000  # iterations for tests; the kiosk's default is what pin-hash prints


def test_round_trip_and_wrong_pins() -> None:
    encoded = hash_pin("246813", iterations=FAST)
    assert verify_pin("246813", encoded)
    assert not verify_pin("246812", encoded)
    assert not verify_pin("2468130", encoded)
    assert hash_pin("246813", iterations=FAST) != encoded  # salted


def test_the_remote_config_accepts_the_format() -> None:
    cfg = StationConfig(maintenance_pin_hash=hash_pin("246813"))
    assert verify_pin("246813", cfg.maintenance_pin_hash)


@pytest.mark.parametrize("encoded", [
    "", "short", "md5$1000$abc$def", "pbkdf2-sha256$10$c2FsdA$a2V5",  # too few rounds
    "pbkdf2-sha256$x$c2FsdA$a2V5", "pbkdf2-sha256$1000$c2FsdA",
])
def test_other_formats_never_verify(encoded: str) -> None:
    assert not verify_pin("246813", encoded)


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12 3456", "１２３４５６", "abcdef", ""])
def test_pins_are_6_to_12_ascii_digits(pin: str) -> None:
    with pytest.raises(ValueError):
        validate_pin(pin)


def test_five_wrong_pins_lock_entry_for_five_minutes() -> None:
    now = [1000.0]
    guard = PinGuard(clock=lambda: now[0])
    encoded = hash_pin("246813", iterations=FAST)
    for _ in range(5):
        assert not guard.check("000000", encoded)
    assert guard.locked_for() == 300
    assert not guard.check("246813", encoded)  # even the right PIN, while locked
    now[0] += 299
    assert not guard.check("246813", encoded)
    now[0] += 1
    assert guard.check("246813", encoded)
    for _ in range(4):  # a success resets the count
        assert not guard.check("000000", encoded)
    assert guard.locked_for() == 0


def test_pin_hash_command() -> None:
    def run(stdin: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kiosk.cli", "pin-hash"], input=stdin,
                              capture_output=True, text=True, timeout=60)

    ok = run("24681357\n")
    assert ok.returncode == 0 and verify_pin("24681357", ok.stdout.strip())
    assert "24681357" not in ok.stdout + ok.stderr
    bad = run("12ab\n")
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
