"""`gig-central` entry point: seed-demo, serve, migrate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from central import db
    from central.app import DATA_KEY_ENV, resolve_data_key
    from central.asgi import (
        DATABASE_ENV,
        DOCS_ENV,
        POOL_ENV,
        SECURE_COOKIES_ENV,
        TRUSTED_PROXIES_ENV,
    )
    from central.security import encode_key

    _sqlite_dir(args.database)
    key = resolve_data_key(args.database, args.data_key_file)
    db.migrate(db.make_engine(args.database))
    os.environ[DATABASE_ENV] = args.database
    os.environ[DATA_KEY_ENV] = encode_key(key)
    os.environ[POOL_ENV] = str(args.pool_size)
    os.environ[DOCS_ENV] = "1" if args.docs else "0"
    os.environ[TRUSTED_PROXIES_ENV] = args.trusted_proxy or ""
    os.environ[SECURE_COOKIES_ENV] = "1" if args.secure_cookies else "0"
    uvicorn.run(
        "central.asgi:app_from_env", factory=True, host=args.host, port=args.port,
        workers=args.workers, log_level=args.log_level, access_log=args.access_log,
        proxy_headers=False,  # the app decides whom to trust (--trusted-proxy), not uvicorn's default
    )
    return 0


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
    p.add_argument("--pool-size", type=int, default=10, help="DB connections per worker")
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
    args = parser.parse_args(argv)
    if getattr(args, "demo_dir", "x") is None:
        from central.seed import DEMO_DIR

        args.demo_dir = DEMO_DIR
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
