"""The TUF repository of releases, kept in the database and served as static files (/tuf/).

Roles root / targets / snapshot / timestamp, one Ed25519 key each (threshold 1), consistent
snapshots (metadata/N.targets.json, hash-prefixed target files), so files never change once
written and any static host or several central instances can serve them.

Targets (what a station reads, all verified by TUF: hash + length from signed metadata):
- `wheels/<file>.whl`                every wheel of every published release
- `releases/<version>/manifest.json` the release's lock: wheel files, sha256, size
- `stations/<station_id>.json`       {"station", "version"}: the release that station must run
  (the station's own assignment, else its county's). One small signed file per station is the
  simplest way for a station to learn its version without listing the whole targets role.

Keys: private halves encrypted with the data key (AES-GCM, AAD "tuf-key:<role>"). The root key
sits online beside the others here (a reference server); a county that wants an offline root
signs root.json elsewhere and stores only the public key: the station pins root.json.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey
from sqlalchemy import select
from sqlalchemy.orm import Session
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from central.models import Release, ReleaseAssignment, Station, TufFile, TufKey
from central.security import DataCipher

ROLES = ("root", "targets", "snapshot", "timestamp")
EXPIRY = {"root": timedelta(days=365), "targets": timedelta(days=90),
          "snapshot": timedelta(days=7), "timestamp": timedelta(days=1)}
# run_timestamp_resign re-signs when less than this is left (it runs far more often).
RESIGN_MARGIN = {"timestamp": timedelta(hours=12), "snapshot": timedelta(days=2)}
_SERIALIZER = JSONSerializer(compact=False)


class ReleaseError(Exception):
    pass


def _aad(role: str) -> bytes:
    return b"tuf-key:" + role.encode("ascii")


def _signers(session: Session, cipher: DataCipher) -> dict[str, CryptoSigner]:
    out = {}
    for row in session.scalars(select(TufKey)):
        private = Ed25519PrivateKey.from_private_bytes(cipher.decrypt(row.private_enc, _aad(row.role)))
        out[row.role] = CryptoSigner(private, SSlibKey.from_dict(row.keyid, dict(row.public)))
    return out


def _put(session: Session, path: str, data: bytes, now: datetime) -> None:
    row = session.get(TufFile, path)
    if row is None:
        session.add(TufFile(path=path, data=data, created_at=now))
    else:  # only the unversioned timestamp.json is ever rewritten
        row.data, row.created_at = data, now


def _load(session: Session, path: str) -> Metadata | None:
    row = session.get(TufFile, path)
    return Metadata.from_bytes(row.data) if row is not None else None


def _latest(session: Session, role: str) -> Metadata:
    rows = session.scalars(select(TufFile.path).where(TufFile.path.like(f"metadata/%.{role}.json"))).all()
    if not rows:
        raise ReleaseError(f"no {role} metadata: publish a release first")
    best = max(rows, key=lambda p: int(p.split("/")[1].split(".")[0]))
    md = _load(session, best)
    assert md is not None
    return md


def _sign_put(session: Session, md: Metadata, signer: CryptoSigner, now: datetime) -> bytes:
    md.signatures.clear()
    md.sign(signer)
    data = md.to_bytes(_SERIALIZER)
    role = md.signed.type
    name = "timestamp.json" if role == "timestamp" else f"{md.signed.version}.{role}.json"
    _put(session, f"metadata/{name}", data, now)
    return data


def ensure_repository(session: Session, cipher: DataCipher, now: datetime) -> None:
    """Keys and root v1 on first use, then empty targets, snapshot and timestamp (idempotent):
    a county that has not published a release yet serves a complete, empty repository, so its
    stations read "nothing assigned" (up to date) instead of failing on a missing timestamp."""
    if session.get(TufKey, "root") is None:
        _new_root(session, cipher, now)
    if _load(session, "metadata/timestamp.json") is None:
        resign_targets(session, cipher, now)


def _new_root(session: Session, cipher: DataCipher, now: datetime) -> None:
    root = Root(expires=now + EXPIRY["root"], consistent_snapshot=True)
    for role in ROLES:
        private = Ed25519PrivateKey.generate()
        public = SSlibKey.from_crypto(private.public_key())
        raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
        session.add(TufKey(role=role, keyid=public.keyid, public=public.to_dict(),
                           private_enc=cipher.encrypt(raw, _aad(role))))
        root.add_key(public, role)
    session.flush()
    _sign_put(session, Metadata(root), _signers(session, cipher)["root"], now)


def root_json(session: Session) -> bytes:
    """The latest root metadata: what provisioning pins on a station."""
    return _latest(session, "root").to_bytes(_SERIALIZER)


def effective_assignments(session: Session) -> dict[str, str]:
    """station id -> version: the station's own assignment, else its county's."""
    county_v: dict[str, str] = {}
    station_v: dict[str, str] = {}
    for a in session.scalars(select(ReleaseAssignment)):
        if a.station_id is None:
            county_v[a.county] = a.version
        else:
            station_v[a.station_id] = a.version
    out = {}
    for st in session.scalars(select(Station)):
        version = station_v.get(st.id) or county_v.get(st.county)
        if version:
            out[st.id] = version
    return out


def _target(path: str, data: bytes) -> TargetFile:
    return TargetFile.from_data(path, data, ["sha256"])


def resign_targets(session: Session, cipher: DataCipher, now: datetime,
                   new_files: dict[str, bytes] | None = None) -> int:
    """A new targets version with every release's files and the current assignments, then
    snapshot and timestamp. Returns the targets version."""
    signers = _signers(session, cipher)
    try:
        old = _latest(session, "targets")
        version = old.signed.version + 1
        targets = dict(old.signed.targets)
    except ReleaseError:
        version, targets = 1, {}
    targets = {p: t for p, t in targets.items() if not p.startswith("stations/")}
    for path, data in (new_files or {}).items():
        tf = _target(path, data)
        targets[path] = tf
        _put(session, f"targets/{_hashed(path, tf.hashes['sha256'])}", data, now)
    for station_id, release in sorted(effective_assignments(session).items()):
        path = f"stations/{station_id}.json"
        data = json.dumps({"station": station_id, "version": release}, sort_keys=True).encode()
        tf = _target(path, data)
        targets[path] = tf
        _put(session, f"targets/{_hashed(path, tf.hashes['sha256'])}", data, now)
    md = Metadata(Targets(version=version, expires=now + EXPIRY["targets"], targets=targets))
    _sign_put(session, md, signers["targets"], now)
    _new_snapshot(session, signers, now, version)
    return version


def _hashed(path: str, digest: str) -> str:
    head, _, name = path.rpartition("/")
    return f"{head}/{digest}.{name}" if head else f"{digest}.{name}"


def _new_snapshot(session: Session, signers: dict[str, CryptoSigner], now: datetime,
                  targets_version: int | None = None) -> None:
    try:
        old = _latest(session, "snapshot")
        version = old.signed.version + 1
        tv = targets_version or old.signed.meta["targets.json"].version
    except ReleaseError:
        version, tv = 1, targets_version or 1
    snap = Metadata(Snapshot(version=version, expires=now + EXPIRY["snapshot"],
                             meta={"targets.json": MetaFile(version=tv)}))
    _sign_put(session, snap, signers["snapshot"], now)
    _new_timestamp(session, signers, now, version)


def _new_timestamp(session: Session, signers: dict[str, CryptoSigner], now: datetime,
                   snapshot_version: int) -> None:
    old = _load(session, "metadata/timestamp.json")
    version = old.signed.version + 1 if old is not None else 1
    ts = Metadata(Timestamp(version=version, expires=now + EXPIRY["timestamp"],
                            snapshot_meta=MetaFile(version=snapshot_version)))
    _sign_put(session, ts, signers["timestamp"], now)


def publish(session: Session, cipher: DataCipher, version: str, manifest: dict[str, Any],
            wheels: dict[str, bytes], now: datetime) -> dict[str, Any]:
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        raise ReleaseError(f"version {version!r} is not a PEP 440 version") from None
    if session.get(Release, version) is not None:
        raise ReleaseError(f"release {version} is already published (publish a higher version)")
    ensure_repository(session, cipher, now)
    doc = {"version": version, **manifest}
    files = {f"wheels/{name}": data for name, data in wheels.items()}
    files[f"releases/{version}/manifest.json"] = json.dumps(doc, indent=1, sort_keys=True).encode()
    session.add(Release(version=version, published_at=now, manifest=doc))
    session.flush()
    targets_version = resign_targets(session, cipher, now, files)
    return {"version": version, "wheels": len(wheels), "targets_version": targets_version}


def assign(session: Session, cipher: DataCipher, version: str, now: datetime,
           county: str | None = None, station: str | None = None) -> dict[str, Any]:
    if session.get(Release, version) is None:
        raise ReleaseError(f"no published release {version}")
    if station is not None:
        st = session.get(Station, station)
        if st is None:
            raise ReleaseError(f"no station {station!r}")
        county = st.county
    elif county is None:
        raise ReleaseError("give a county or a station")
    row = session.scalars(select(ReleaseAssignment).where(
        ReleaseAssignment.county == county,
        ReleaseAssignment.station_id.is_(None) if station is None
        else ReleaseAssignment.station_id == station)).first()
    if row is None:
        session.add(ReleaseAssignment(county=county, station_id=station, version=version,
                                      assigned_at=now))
    else:
        row.version, row.assigned_at = version, now
    session.flush()
    targets_version = resign_targets(session, cipher, now)
    stations = sorted(s for s, v in effective_assignments(session).items() if v == version)
    return {"version": version, "county": county, "station": station,
            "stations": stations, "targets_version": targets_version}


def resign_expiring(session: Session, cipher: DataCipher, now: datetime) -> dict[str, Any]:
    """Re-signs snapshot (and so timestamp) or only timestamp when close to expiry."""
    ts = _load(session, "metadata/timestamp.json")
    if ts is None:
        return {"resigned": []}
    signers = _signers(session, cipher)
    snap = _latest(session, "snapshot")
    if snap.signed.expires - now < RESIGN_MARGIN["snapshot"]:
        _new_snapshot(session, signers, now)
        return {"resigned": ["snapshot", "timestamp"]}
    if ts.signed.expires - now < RESIGN_MARGIN["timestamp"]:
        _new_timestamp(session, signers, now, snap.signed.version)
        return {"resigned": ["timestamp"]}
    return {"resigned": []}


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def export(session: Session, out: Any) -> int:
    """Writes the whole repository (metadata/, targets/) under directory `out`: what goes on a
    USB stick for an offline station, or onto any static host. Returns the file count."""
    from pathlib import Path

    out = Path(out)
    count = 0
    for row in session.scalars(select(TufFile)):
        path = out / row.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(row.data)
        count += 1
    return count
