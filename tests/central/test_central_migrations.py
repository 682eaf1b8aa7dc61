"""Migrations run up from an empty database, down again, and match the ORM models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from central import db
from central.models import Base


def test_migrations_up_down_up_and_match_models(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.migrate(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.migrate(engine)
        with engine.connect() as conn:
            counters = dict(conn.exec_driver_sql("SELECT name, value FROM counters").all())
        assert counters == {"jobs": 0, "policies": 0}
    finally:
        engine.dispose()
