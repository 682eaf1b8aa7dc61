"""`gig-central` entry point: seed-demo, serve, migrate, purge, and a county's own set-up:
county add, staff add, station add, jobs import (logic in central.onboarding, central.jobs_import;
this module only parses and prints)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from central.shedding import DEFAULT_MAX_INFLIGHT, MAX_INFLIGHT_ENV

DEFAULT_DB = "sqlite:///var/central.db"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=os.environ.get("GIG_CENTRAL_DATABASE_URL", DEFAULT_DB),
                   help="SQLAlchemy URL: sqlite:///path.db or postgresql://user@host:port/db")
    p.add_argument("--data-key-file", type=Path, default=None,
                   help="base64 AES-256 key for data at rest (default: $GIG_CENTRAL_DATA_KEY, "
                        "else <sqlite db>.key)")


def _sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    from central import db

    _sqlite_dir(args.database)
    db.migrate(db.make_engine(args.database))
    print("migrated to head", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from central import db, seed
    from central.app import resolve_data_key
    from central.security import DataCipher
    from central.services import Keyring

    _sqlite_dir(args.database)
    key = resolve_data_key(args.database, args.data_key_file, create=True)
    engine = db.make_engine(args.database)
    db.migrate(engine)
    with db.session_factory(engine)() as session:
        try:
            out = seed.seed(session, Keyring(DataCipher(key)), args.demo_dir)
        except seed.AlreadySeeded as exc:
            print(f"gig-central seed-demo: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def _backfill_seeker_hashes(engine, key: bytes) -> None:  # noqa: ANN001 - Engine
    from central import db, followup
    from central.security import DataCipher

    with db.session_factory(engine)() as s:
        n = followup.backfill_seeker_hashes(s, DataCipher(key))
        s.commit()
    if n:
        print(f"gig-central serve: seeker lookup hash set on {n} earlier applications", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from central import db
    from central.app import DATA_KEY_ENV, resolve_data_key
    from central.asgi import (
        ACCESS_LOG_ENV,
        DATABASE_ENV,
        DOCS_ENV,
        PERIODIC_ENV,
        POOL_ENV,
        SECURE_COOKIES_ENV,
        TRUSTED_PROXIES_ENV,
    )
    from central.security import encode_key

    _sqlite_dir(args.database)
    key = resolve_data_key(args.database, args.data_key_file)
    engine = db.make_engine(args.database)
    if args.migrate:
        db.migrate(engine)
    _backfill_seeker_hashes(engine, key)
    engine.dispose()
    os.environ[DATABASE_ENV] = args.database
    os.environ[DATA_KEY_ENV] = encode_key(key)
    os.environ[POOL_ENV] = str(args.pool_size)
    os.environ[DOCS_ENV] = "1" if args.docs else "0"
    os.environ[TRUSTED_PROXIES_ENV] = args.trusted_proxy or ""
    os.environ[SECURE_COOKIES_ENV] = "1" if args.secure_cookies else "0"
    os.environ[PERIODIC_ENV] = "1" if args.periodic else "0"
    os.environ[MAX_INFLIGHT_ENV] = str(args.max_inflight)
    # Our own access log (central.access_log: uvicorn's lines, cheaper), at uvicorn's level.
    os.environ[ACCESS_LOG_ENV] = "1" if args.access_log and args.log_level in ("trace", "debug", "info") else "0"
    uvicorn.run(
        "central.asgi:app_from_env", factory=True, host=args.host, port=args.port,
        workers=args.workers, log_level=args.log_level, access_log=False,
        proxy_headers=False,  # the app decides whom to trust (--trusted-proxy), not uvicorn's default
    )
    return 0


def _fail(command: str, message: str) -> int:
    print(f"gig-central {command}: {message}", file=sys.stderr)
    return 2


class _NoKey(Exception):
    pass


def _open(args: argparse.Namespace, key: str = "use"):  # noqa: ANN202 - (sessions, keyring | None)
    """Migrated database and, unless key="none", the keyring; key="create" makes a new data
    key file for a new SQLite database (as seed-demo does)."""
    from central import db
    from central.app import resolve_data_key
    from central.security import DataCipher
    from central.services import Keyring

    _sqlite_dir(args.database)
    keyring = None
    if key != "none":
        try:
            keyring = Keyring(DataCipher(resolve_data_key(args.database, args.data_key_file,
                                                          create=key == "create")))
        except SystemExit as exc:  # resolve_data_key's one-line message; bad input → exit 2
            raise _NoKey(str(exc).removeprefix("gig-central: ").replace(
                "(run seed-demo first)", "(county add creates it for a new SQLite database)")) from None
    engine = db.make_engine(args.database)
    db.migrate(engine)
    return db.session_factory(engine), keyring


def _print(out: dict) -> int:
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def cmd_county_add(args: argparse.Namespace) -> int:
    from central import onboarding

    try:
        sessions, keyring = _open(args, key="create")
    except _NoKey as exc:
        return _fail("county add", str(exc))
    with sessions() as s:
        try:
            county, _ = onboarding.add_county(s, keyring, args.code, args.name, args.name_en)
        except onboarding.Invalid as exc:
            return _fail("county add", str(exc))
        s.commit()
        return _print(onboarding.county_dict(county))


def cmd_staff_add(args: argparse.Namespace) -> int:
    from central import onboarding

    sessions, _ = _open(args, key="none")
    with sessions() as s:
        try:
            staff, password = onboarding.add_staff(s, args.county, args.username, args.role,
                                                   args.display_name)
        except onboarding.Invalid as exc:
            return _fail("staff add", str(exc))
        s.commit()
        return _print({"username": staff.username, "role": staff.role, "password": password,
                       "must_change_password": True})


def cmd_station_add(args: argparse.Namespace) -> int:
    from central import onboarding

    try:
        sessions, keyring = _open(args)
    except _NoKey as exc:
        return _fail("station add", str(exc))
    fields = {"id": args.id, "name": args.name, "name_en": args.name_en, "lat": args.lat,
              "lng": args.lng, "address": args.address, "kind": args.kind}
    with sessions() as s:
        try:
            _, enrolment = onboarding.add_station(s, keyring, args.county, fields)
        except onboarding.Invalid as exc:
            return _fail("station add", str(exc))
        s.commit()
        return _print(enrolment.as_dict())


def cmd_jobs_import(args: argparse.Namespace) -> int:
    from central import jobs_import
    from central.models import County

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail("jobs import", f"{args.file}: {exc.strerror or exc}")
    sessions, _ = _open(args, key="none")
    with sessions() as s:
        if s.get(County, args.county) is None:
            return _fail("jobs import", f"county: no county {args.county!r}")
        try:
            result = jobs_import.import_file(s, args.county, data, args.file.name, dry_run=args.dry_run)
        except jobs_import.ImportError_ as exc:
            return _fail("jobs import", str(exc))
        if not args.dry_run:
            s.commit()
        return _print(result.as_dict())


def cmd_purge(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from central import db
    from central.retention import run_purge

    at = datetime.now(UTC)
    if args.now:
        try:
            at = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError:
            return _fail("purge", f"--now: not an ISO 8601 time: {args.now!r}")
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    # Erasing needs no key: nothing is decrypted, the ciphertext is replaced.
    _sqlite_dir(args.database)
    engine = db.make_engine(args.database)
    try:
        db.migrate(engine)
        return _print(run_purge(engine, at.astimezone(UTC)))
    finally:
        engine.dispose()


def _onboarding_commands(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("county", help="county add: a new county and its signing key")
    p = group.add_subparsers(dest="action", required=True).add_parser("add", help="add a county")
    _common(p)
    p.add_argument("--code", required=True, help="short code, e.g. east")
    p.add_argument("--name", required=True, help="名称")
    p.add_argument("--name-en", default="", help="English name")
    p.set_defaults(func=cmd_county_add)

    group = sub.add_parser("staff", help="staff add: an account with a one-time password")
    p = group.add_subparsers(dest="action", required=True).add_parser("add", help="add a staff account")
    _common(p)
    p.add_argument("--county", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=["admin", "operator", "maintainer"])
    p.add_argument("--display-name", default="")
    p.set_defaults(func=cmd_staff_add)

    group = sub.add_parser("station", help="station add: a station and its one-time enrolment code")
    p = group.add_subparsers(dest="action", required=True).add_parser("add", help="add a station")
    _common(p)
    p.add_argument("--county", required=True)
    p.add_argument("--id", required=True, help="station id, e.g. east-park")
    p.add_argument("--name", required=True, help="名称")
    p.add_argument("--name-en", default="")
    p.add_argument("--lat", required=True, type=float)
    p.add_argument("--lng", required=True, type=float)
    p.add_argument("--address", default="")
    p.add_argument("--kind", default="")
    p.set_defaults(func=cmd_station_add)

    group = sub.add_parser("jobs", help="jobs import: jobs from a CSV or XLSX file")
    p = group.add_subparsers(dest="action", required=True).add_parser("import", help="import jobs")
    _common(p)
    p.add_argument("--county", required=True)
    p.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    p.add_argument("file", type=Path, metavar="FILE", help=".csv (UTF-8 or GB18030) or .xlsx")
    p.set_defaults(func=cmd_jobs_import)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gig-central", description="reference central job API")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed-demo", help="create demo counties, stations, staff, jobs, policies")
    _common(p)
    p.add_argument("--demo-dir", type=Path, default=None, help="default: assets/demo")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("serve", help="run the API and admin pages")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--pool-size", type=int, default=int(os.environ.get("GIG_CENTRAL_POOL_SIZE", "10")),
                   help="DB connections per worker (up to twice this under load, plus 1 for the "
                        "token listener and 1 per running periodic job): keep "
                        "instances x workers x (2 x pool + 2 + jobs) <= max_connections")
    p.add_argument("--max-inflight", type=int, metavar="N",
                   default=int(os.environ.get(MAX_INFLIGHT_ENV, str(DEFAULT_MAX_INFLIGHT))),
                   help="requests each worker works on at once; more are answered 503 + "
                        "Retry-After at once (load shedding; 0: never; default "
                        f"{DEFAULT_MAX_INFLIGHT}, or ${MAX_INFLIGHT_ENV})")
    p.add_argument("--migrate", action=argparse.BooleanOptionalAction, default=True,
                   help="upgrade the schema before serving (--no-migrate when a one-shot "
                        "`gig-central migrate` runs before several instances start)")
    p.add_argument("--periodic", action=argparse.BooleanOptionalAction, default=True,
                   help="run the periodic-job scheduler (jobs still run once fleet-wide)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--docs", action="store_true",
                   help="serve /docs and /redoc (they load scripts from a CDN: development only)")
    p.add_argument("--trusted-proxy", default=None, metavar="ADDRS",
                   help="comma-separated addresses of the TLS reverse proxy, whose "
                        "X-Forwarded-Proto/-For are believed (default: none)")
    p.add_argument("--secure-cookies", action="store_true",
                   help="always mark the admin session cookie Secure (TLS in front)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    _common(p)
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("purge", help="erase personal data past the counties' retention; prints "
                                     '{"erased": N, "kept": M}')
    _common(p)
    p.add_argument("--now", default=None, metavar="ISO-8601", help="the time to purge as of (default: now)")
    p.set_defaults(func=cmd_purge)
    _onboarding_commands(sub)
    from central.releases.cli import release_commands

    release_commands(sub, _common)
    args = parser.parse_args(argv)
    if getattr(args, "demo_dir", "x") is None:
        from central.seed import DEMO_DIR

        args.demo_dir = DEMO_DIR
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
