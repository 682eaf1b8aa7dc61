"""kiosk.pin: maintenance PIN hashes (the remote config's format) and the lockout."""

import subprocess
import sys

import pytest

from kiosk.pin import PinGuard, hash_pin, is_old_format, validate_pin, verify_pin
from kiosk.remote_config import StationConfig

FAST = 14  # log2 N for tests (16 MiB); the kiosk's default (17) is what pin-hash prints


def test_round_trip_and_wrong_pins() -> None:
    encoded = hash_pin("246813", log2_n=FAST)
    assert verify_pin("246813", encoded)
    assert not verify_pin("246812", encoded)
    assert not verify_pin("2468130", encoded)
    assert hash_pin("246813", log2_n=FAST) != encoded  # salted


def test_the_remote_config_accepts_the_format() -> None:
    cfg = StationConfig(maintenance_pin_hash=hash_pin("246813"))
    assert verify_pin("246813", cfg.maintenance_pin_hash)


def test_memory_hard_owasp_parameters() -> None:
    scheme, log2_n, r, p, _salt, _key = hash_pin("246813").split("$")
    assert (scheme, log2_n, r, p) == ("scrypt", "17", "8", "1")  # 128 MiB per guess


def test_twelve_digit_pins() -> None:
    encoded = hash_pin("123456789012", log2_n=FAST)
    assert verify_pin("123456789012", encoded) and not verify_pin("12345678901", encoded)


def test_the_old_pbkdf2_format_is_refused() -> None:
    # What the previous pin-hash printed for 246813 (120k rounds of PBKDF2-SHA256).
    import base64
    import hashlib

    salt = b"saltsaltsaltsalt"
    key = hashlib.pbkdf2_hmac("sha256", b"246813", salt, 120_000)
    salt64, key64 = (base64.urlsafe_b64encode(raw).decode().rstrip("=") for raw in (salt, key))
    old = f"pbkdf2-sha256$120000${salt64}${key64}"
    assert is_old_format(old) and not verify_pin("246813", old)
    assert not is_old_format(hash_pin("246813", log2_n=FAST))


@pytest.mark.parametrize("encoded", [
    "", "short", "md5$1000$abc$def", "pbkdf2-sha256$120000$c2FsdA$a2V5",
    "scrypt$10$8$1$c2FsdA$a2V5",  # too cheap
    "scrypt$30$8$1$c2FsdA$a2V5",  # absurd memory
    "scrypt$x$8$1$c2FsdA$a2V5", "scrypt$14$8$1$c2FsdA", "scrypt$14$1$1$c2FsdA$a2V5",
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
    encoded = hash_pin("246813", log2_n=FAST)
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


def test_the_station_config_file_is_written_0600(tmp_path) -> None:  # noqa: ANN001
    """The applied config holds the PIN hash: readable by the kiosk user only (was 0644)."""
    import base64
    import json
    import os
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from kiosk.remote_config import RemoteConfig, canonical_bytes, key_id
    from kiosk.settings import from_dict

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    rc = RemoteConfig(from_dict({"station": {"id": "park-1", "county": "qinghe"},
                                 "storage": {"data_dir": str(tmp_path)},
                                 "security": {"trusted_config_keys": [base64.b64encode(public).decode()]}}))
    stale = tmp_path / (RemoteConfig.FILE + ".tmp")
    stale.write_bytes(b"left over")
    stale.chmod(0o644)
    doc = {"station_id": "park-1", "county": "qinghe", "version": 1,
           "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "config": {"maintenance_pin_hash": hash_pin("246813", log2_n=FAST)}}
    doc["signature"] = base64.b64encode(key.sign(canonical_bytes(doc))).decode()
    doc["key_id"] = key_id(public)
    old_umask = os.umask(0o022)
    try:
        assert rc.apply(json.dumps(doc).encode()).status == "applied"
    finally:
        os.umask(old_umask)
    assert (tmp_path / RemoteConfig.FILE).stat().st_mode & 0o777 == 0o600
