"""Alembic migrations (run through central.db.migrate)."""
