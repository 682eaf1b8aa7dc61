"""Start a seeded central server in-process on 127.0.0.1 for tests and `gig-kiosk demo`.

    base_url, seed, stop = start_seeded_server()
    ...
    stop()

The server runs uvicorn in a daemon thread on a free port with a fresh database (a temporary
SQLite file unless `database_url` is given) and a generated data key.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from central import db, seed
from central.app import create_app
from central.security import DataCipher, new_data_key
from central.services import Keyring


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: Any, timeout_s: float = 15.0) -> tuple[str, Callable[[], None]]:
    """Serves an ASGI app on 127.0.0.1:<free port> in a thread; returns (base_url, stop)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            proxy_headers=False)  # like `serve`: the app decides whom to trust
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"central-{port}")
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("central test server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


def start_seeded_server(
    database_url: str | None = None,
    demo_dir: Path = seed.DEMO_DIR,
    admin: bool = True,
    data_key: bytes | None = None,
    lock_timeout_s: float = db.LOCK_TIMEOUT_S,
    **app_options: Any,
) -> tuple[str, dict[str, Any], Callable[[], None]]:
    """(base_url, seed JSON as printed by `gig-central seed-demo`, stop).

    `database_url` must point at an empty database (default: a new temporary SQLite file);
    `data_key` defaults to a fresh random key; `lock_timeout_s` bounds waits for database locks;
    `app_options` go to `create_app` (docs, trusted_proxies, secure_cookies).
    """
    tmp = None
    if database_url is None:
        tmp = tempfile.mkdtemp(prefix="gig-central-")
        database_url = f"sqlite:///{tmp}/central.db"
    engine = db.make_engine(database_url, lock_timeout_s=lock_timeout_s)
    db.migrate(engine)
    key = data_key or new_data_key()
    with db.session_factory(engine)() as session:
        seeded = seed.seed(session, Keyring(DataCipher(key)), demo_dir)
    app = create_app(engine, key, admin=admin, **app_options)
    base_url, stop_server = start_server(app)

    def stop() -> None:
        stop_server()
        if getattr(app.state, "token_listener", None):
            app.state.token_listener.stop()  # its own connection: not in the engine's pool
        engine.dispose()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    return base_url, seeded, stop


def main(argv: list[str] | None = None) -> int:
    """`python -m central.testing DATABASE_URL`: the seeded server in a process of its own (the
    kiosk soak measures the kiosk alone). Prints one JSON line {"base_url", "seed"}, then serves
    until its standard input closes, so it ends with the process that started it."""
    import json
    import sys

    args = sys.argv[1:] if argv is None else argv
    base_url, seeded, stop = start_seeded_server(args[0] if args else None)
    print(json.dumps({"base_url": base_url, "seed": seeded}), flush=True)
    try:
        sys.stdin.read()
    finally:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
