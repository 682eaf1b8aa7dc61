"""Helpers for the update tests: tiny real wheels (made with zipfile, deterministic, no
build step), a real central server with a TUF repository on 127.0.0.1, station roots."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from central import db
from central.releases import tuf_repo
from central.security import DataCipher
from central.testing import start_seeded_server

EPOCH = (2024, 1, 1, 0, 0, 0)

# The fake kiosk: `gig-kiosk run --config FILE` behaves per MODE and writes the same health
# markers the real app writes (kiosk/update/state.py: <root>/health/<release>.<event>).
APP = '''
import sys, tomllib
from pathlib import Path
MODE = {mode!r}
VERSION = {version!r}

def main():
    args = sys.argv[1:]
    if args[:1] == ["version"]:
        print(VERSION)
        return 0
    config = Path(args[args.index("--config") + 1])
    root = Path(tomllib.loads(config.read_text())["update"]["root"])
    release = Path(sys.prefix).name
    if MODE == "crash":
        return 3
    if MODE == "ok":
        (root / "health").mkdir(exist_ok=True)
        for event in ("first_frame", "sync_ok"):
            (root / "health" / f"{{release}}.{{event}}").write_text("")
    print("ran", VERSION, MODE)
    return 0
'''


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_wheel(out: Path, name: str, version: str, files: dict[str, bytes],
               requires: list[str] = (), scripts: dict[str, str] | None = None) -> Path:
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    entries = dict(files)
    entries[f"{info}/METADATA"] = meta.encode()
    entries[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if scripts:
        entries[f"{info}/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in scripts.items())).encode()
    record = "".join(f"{p},sha256={_b64(hashlib.sha256(d).digest())},{len(d)}\n" for p, d in entries.items())
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in entries.items():
            z.writestr(zipfile.ZipInfo(p, EPOCH), d, compress_type=zipfile.ZIP_DEFLATED)
    return path


def dep_wheel(out: Path, size: int = 400_000) -> Path:
    """A dependency 'library': incompressible data so its size is what a full bundle costs."""
    blob = hashlib.shake_256(b"gigdep").digest(size)
    return make_wheel(out, "gigdep", "1.0", {"gigdep/__init__.py": b"", "gigdep/blob.bin": blob})


def app_wheel(out: Path, version: str, mode: str = "ok") -> Path:
    code = APP.format(mode=mode, version=version).encode()
    return make_wheel(out, "gig-station", version, {"gigfake/__init__.py": code},
                      requires=["gigdep==1.0"], scripts={"gig-kiosk": "gigfake:main"})


def app(wheelhouse: Path, version: str, mode: str = "ok") -> Path:
    """The fake project's wheel for `version` in its own folder of the wheelhouse."""
    return app_wheel(wheelhouse / version, version, mode)


def bundle(wheels: list[Path]) -> tuple[dict, dict[str, bytes]]:
    data = {w.name: w.read_bytes() for w in wheels}
    manifest = {"project": "gig_station", "project_wheel": wheels[0].name,
                "wheels": [{"file": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                           for n, d in sorted(data.items())]}
    return manifest, data


@dataclass
class Central:
    url: str
    engine: object
    cipher: DataCipher
    database_url: str
    key: bytes

    def session(self):  # noqa: ANN201
        return db.session_factory(self.engine)()

    def publish(self, version: str, wheels: list[Path], now=None) -> dict:  # noqa: ANN001
        manifest, data = bundle(wheels)
        with self.session() as s:
            out = tuf_repo.publish(s, self.cipher, version, manifest, data, now or tuf_repo.now_utc())
            s.commit()
        return out

    def assign(self, version: str, now=None, **scope: str) -> dict:  # noqa: ANN001
        with self.session() as s:
            out = tuf_repo.assign(s, self.cipher, version, now or tuf_repo.now_utc(), **scope)
            s.commit()
        return out

    def root_json(self) -> bytes:
        with self.session() as s:
            tuf_repo.ensure_repository(s, self.cipher, tuf_repo.now_utc())
            s.commit()
            return tuf_repo.root_json(s)


def start_central(tmp: Path):  # noqa: ANN201 - (Central, stop)
    from central.security import new_data_key

    key = new_data_key()
    url = f"sqlite:///{tmp}/central.db"
    base, _, stop = start_seeded_server(database_url=url, data_key=key, admin=False)
    engine = db.make_engine(url)
    return Central(base, engine, DataCipher(key), url, key), stop


def station_config(path: Path, root: Path, repo_url: str, station: str = "qh-park",
                   deadline_s: int = 60) -> Path:
    path.write_text(
        f'[station]\nid = "{station}"\n\n[update]\nroot = "{root}"\nrepository_url = "{repo_url}"\n'
        f'trusted_root = "{root}/root.json"\nhealth_deadline_s = {deadline_s}\n', encoding="utf-8")
    return path


def snapshot(root: Path) -> dict:
    """What 'untouched' means: where current/previous point, which releases are complete."""
    releases = root / "releases"
    return {
        "current": os.readlink(root / "current") if (root / "current").is_symlink() else None,
        "previous": os.readlink(root / "previous") if (root / "previous").is_symlink() else None,
        "releases": sorted(p.name for p in releases.iterdir()) if releases.is_dir() else [],
        "complete": sorted(p.parent.name for p in releases.glob("*/.complete")) if releases.is_dir() else [],
    }
