"""Engine and session factory for SQLite (default) and PostgreSQL, and running migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")
# A request waits at most this long for a lock (then 503 + Retry-After, see is_lock_timeout).
LOCK_TIMEOUT_S = 5.0


def normalise_url(url: str) -> str:
    """Plain postgresql:// URLs mean psycopg 3 (the driver we ship), not psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, pool_size: int = 10, lock_timeout_s: float = LOCK_TIMEOUT_S,
                statement_timeout_s: float | None = None) -> Engine:
    """`lock_timeout_s` bounds every wait for a lock (SQLite busy_timeout, PostgreSQL
    lock_timeout); `statement_timeout_s` (PostgreSQL only) bounds any statement."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": lock_timeout_s}}
        if memory:
            kwargs["poolclass"] = StaticPool  # one shared connection, or each sees an empty DB
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable except on power loss
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted and overwritten content is zeroed in the file, so erased personal data
            # (central.followup.erase) does not linger in free space.
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
            cur.close()

        return engine
    options = f"-c lock_timeout={int(lock_timeout_s * 1000)}"
    if statement_timeout_s:
        options += f" -c statement_timeout={int(statement_timeout_s * 1000)}"
    # pool_timeout: a request waiting for a free connection gives up (503) like a lock wait.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False,
                         pool_timeout=max(lock_timeout_s, 1.0), connect_args={"options": options})


def is_lock_timeout(exc: BaseException) -> bool:
    """A bounded wait ran out: SQLite "database is locked", PostgreSQL lock_timeout (55P03) or
    statement_timeout (57014), or no pooled connection in time."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in ("55P03", "57014"):
        return True
    message = str(orig)
    return "database is locked" in message or "database table is locked" in message


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` with Alembic, on the given engine's connection."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
