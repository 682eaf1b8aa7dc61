"""Attacks and accidents are refused with the station untouched: tampered and truncated
wheels, an expired (frozen) timestamp, snapshot/targets mix-and-match, a signature by a key
the root does not trust. Same checks for a repository read from a USB stick directory."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from sqlalchemy import select
from tuf.api.metadata import Metadata, MetaFile, Timestamp
from update_helpers import app, snapshot, station_config

from central.models import TufFile
from central.releases import tuf_repo
from kiosk.update import health
from kiosk.update.updater import Source, run_once

NOW = dt.datetime.now().astimezone()


@pytest.fixture(scope="module")
def template(tmp_path_factory, central, wheelhouse, dep) -> Path:  # noqa: ANN001
    """A station on release 10.0 (health confirmed)."""
    root = tmp_path_factory.mktemp("template") / "station"
    root.mkdir()
    (root / "root.json").write_bytes(central.root_json())
    central.publish("10.0", [app(wheelhouse, "10.0"), dep])
    central.assign("10.0", station="qh-park")
    assert _update(root, central).status == "installed"
    config = station_config(root.parent / "station.toml", root, central.url + "/tuf/")
    subprocess.run([str(root / "current" / "bin" / "gig-kiosk"), "run", "--config", str(config)],
                   check=True, capture_output=True, timeout=60)
    assert health.check(root, NOW.timestamp())["status"] == "confirmed"
    return root


def _update(root: Path, central, source: Source | None = None):  # noqa: ANN001, ANN202
    return run_once(root, "qh-park", root / "root.json", source or Source(central.url + "/tuf/"),
                    now=NOW, force=True)


def _copy(template: Path, tmp: Path) -> Path:
    root = tmp / "station"
    shutil.copytree(template, root, symlinks=True)
    return root


@contextmanager
def _altered(central, path: str, change) -> Iterator[None]:  # noqa: ANN001
    """Replaces one published file's bytes for the duration (the attacker's mirror)."""
    with central.session() as s:
        row = s.get(TufFile, path)
        original = bytes(row.data)
        row.data = change(original)
        s.commit()
    try:
        yield
    finally:
        with central.session() as s:
            s.get(TufFile, path).data = original
            s.commit()


def _new_release(central, wheelhouse, dep, version: str) -> str:  # noqa: ANN001
    central.publish(version, [app(wheelhouse, version), dep])
    central.assign(version, station="qh-park")
    with central.session() as s:
        return next(p for p in s.scalars(select(TufFile.path)) if p.startswith("targets/wheels/")
                    and f"gig_station-{version}-" in p)


def _refused(root: Path, central, must: str, source: Source | None = None) -> None:  # noqa: ANN001
    before = snapshot(root)
    out = _update(root, central, source)
    assert out.status == "refused" and must in out.reason, out
    assert snapshot(root) == before
    assert subprocess.run([str(root / "current" / "bin" / "gig-kiosk"), "version"],
                          capture_output=True, text=True).stdout.strip() == "10.0"


def test_tampered_wheel(tmp_path, central, wheelhouse, dep, template) -> None:
    path = _new_release(central, wheelhouse, dep, "10.1")
    root = _copy(template, tmp_path)
    with _altered(central, path, lambda b: b[:-10] + bytes(10)):  # same length, other bytes
        _refused(root, central, "LengthOrHashMismatch")
    assert _update(root, central).status == "installed"  # the genuine file installs


def test_truncated_download(tmp_path, central, wheelhouse, dep, template) -> None:
    path = _new_release(central, wheelhouse, dep, "10.2")
    root = _copy(template, tmp_path)
    with _altered(central, path, lambda b: b[: len(b) // 2]):
        _refused(root, central, "LengthOrHashMismatch")


def _resigned_timestamp(central, signer: CryptoSigner | None, now: dt.datetime):  # noqa: ANN001, ANN202
    """A next timestamp.json, signed by `signer` (default: the real timestamp key)."""
    with central.session() as s:
        old = Metadata.from_bytes(s.get(TufFile, "metadata/timestamp.json").data)
        signers = tuf_repo._signers(s, central.cipher)
    ts = Metadata(Timestamp(version=old.signed.version + 1, expires=now + dt.timedelta(days=1),
                            snapshot_meta=MetaFile(version=old.signed.snapshot_meta.version)))
    ts.sign(signer or signers["timestamp"])
    return lambda _: ts.to_bytes()


def test_expired_timestamp_freeze(tmp_path, central, wheelhouse, dep, template) -> None:
    _new_release(central, wheelhouse, dep, "10.3")
    root = _copy(template, tmp_path)
    stale = _resigned_timestamp(central, None, dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    with _altered(central, "metadata/timestamp.json", stale):
        _refused(root, central, "ExpiredMetadataError")


def test_wrong_key_signature(tmp_path, central, wheelhouse, dep, template) -> None:
    _new_release(central, wheelhouse, dep, "10.4")
    root = _copy(template, tmp_path)
    rogue = CryptoSigner(Ed25519PrivateKey.generate())
    forged = _resigned_timestamp(central, rogue, dt.datetime.now(dt.UTC))
    with _altered(central, "metadata/timestamp.json", forged):
        _refused(root, central, "UnsignedMetadataError")


def test_mixed_snapshot_and_targets(tmp_path, central, wheelhouse, dep, template) -> None:
    _new_release(central, wheelhouse, dep, "10.5")
    root = _copy(template, tmp_path)
    with central.session() as s:
        latest = tuf_repo._latest(s, "targets").signed.version
        older = bytes(s.get(TufFile, f"metadata/{latest - 1}.targets.json").data)
    # the mirror serves the previous (validly signed) targets under the name snapshot asks for
    with _altered(central, f"metadata/{latest}.targets.json", lambda _: older):
        _refused(root, central, "BadVersionNumberError")


def test_usb_stick_is_verified_the_same_way(tmp_path, central, wheelhouse, dep, template) -> None:
    path = _new_release(central, wheelhouse, dep, "10.6")
    stick = tmp_path / "stick"
    with central.session() as s:
        assert tuf_repo.export(s, stick) > 5
    root = _copy(template, tmp_path)
    good = (stick / path).read_bytes()
    (stick / path).write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    _refused(root, central, "LengthOrHashMismatch", Source(directory=stick))
    (stick / path).write_bytes(good)
    out = _update(root, central, Source(directory=stick))
    assert (out.status, out.version) == ("installed", "10.6"), out
