"""`gig-central release build | publish | assign | root` (parsing and printing only)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def _out(doc: dict) -> int:
    print(json.dumps(doc, ensure_ascii=False, indent=1))
    return 0


def _fail(command: str, message: str) -> int:
    print(f"gig-central release {command}: {message}", file=sys.stderr)
    return 2


def cmd_build(args: argparse.Namespace) -> int:
    from central.releases import bundle

    try:
        manifest = bundle.build(args.out, project=args.project or bundle.PROJECT_ROOT, find_links=args.find_links,
                                offline=args.offline)
    except bundle.BuildError as exc:
        return _fail("build", str(exc))
    total = sum(w["size"] for w in manifest["wheels"])
    return _out({"out": str(args.out), "project_wheel": manifest["project_wheel"],
                 "wheels": len(manifest["wheels"]), "bytes": total})


def _sessions(args: argparse.Namespace):  # noqa: ANN202 - (sessions, cipher)
    from central import db
    from central.app import resolve_data_key
    from central.cli import _sqlite_dir
    from central.security import DataCipher

    _sqlite_dir(args.database)
    cipher = DataCipher(resolve_data_key(args.database, args.data_key_file))
    engine = db.make_engine(args.database)
    db.migrate(engine)
    return db.session_factory(engine), cipher


def cmd_publish(args: argparse.Namespace) -> int:
    from central.releases import bundle, tuf_repo

    try:
        manifest = bundle.load_bundle(args.bundle)
    except bundle.BuildError as exc:
        return _fail("publish", str(exc))
    wheels = {w["file"]: (args.bundle / w["file"]).read_bytes() for w in manifest["wheels"]}
    sessions, cipher = _sessions(args)
    with sessions() as s:
        try:
            out = tuf_repo.publish(s, cipher, args.version, manifest, wheels, tuf_repo.now_utc())
        except tuf_repo.ReleaseError as exc:
            return _fail("publish", str(exc))
        s.commit()
    return _out(out)


def cmd_assign(args: argparse.Namespace) -> int:
    from central.releases import tuf_repo

    sessions, cipher = _sessions(args)
    with sessions() as s:
        try:
            out = tuf_repo.assign(s, cipher, args.version, tuf_repo.now_utc(),
                                  county=args.county, station=args.station)
        except tuf_repo.ReleaseError as exc:
            return _fail("assign", str(exc))
        s.commit()
    return _out(out)


def cmd_root(args: argparse.Namespace) -> int:
    from central.releases import tuf_repo

    sessions, cipher = _sessions(args)
    with sessions() as s:
        tuf_repo.ensure_repository(s, cipher, tuf_repo.now_utc())
        s.commit()
        data = tuf_repo.root_json(s)
    args.out.write_bytes(data)
    return _out({"root": str(args.out)})


def cmd_export(args: argparse.Namespace) -> int:
    from central.releases import tuf_repo

    sessions, _ = _sessions(args)
    with sessions() as s:
        count = tuf_repo.export(s, args.out)
    return _out({"out": str(args.out), "files": count})


def release_commands(sub: argparse._SubParsersAction,
                     common: Callable[[argparse.ArgumentParser], None]) -> None:
    group = sub.add_parser("release", help="signed releases: build, publish, assign, root")
    actions = group.add_subparsers(dest="action", required=True)
    p = actions.add_parser("build", help="bundle the checkout: its wheel + locked dependency wheels")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--project", type=Path, default=None, help="project directory (default: this checkout)")
    p.add_argument("--find-links", type=Path, action="append", default=[],
                   help="local wheelhouse to take wheels from (repeatable)")
    p.add_argument("--offline", action="store_true", help="no package index: --find-links only")
    p.set_defaults(func=cmd_build)
    p = actions.add_parser("publish", help="sign and publish a built bundle as version V")
    common(p)
    p.add_argument("--version", required=True)
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.set_defaults(func=cmd_publish)
    p = actions.add_parser("assign", help="the release a county or one station should run")
    common(p)
    p.add_argument("--version", required=True)
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--county")
    scope.add_argument("--station")
    p.set_defaults(func=cmd_assign)
    p = actions.add_parser("root", help="write the current root.json (pinned at provisioning)")
    common(p)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_root)
    p = actions.add_parser("export", help="write the signed repository to a directory (USB stick)")
    common(p)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_export)

