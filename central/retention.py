"""Retention of applicants' personal data: `run_purge` erases it (central.followup.erase) a
county's `retention_final_days` after an application reached a final status, and
`retention_max_days` after it was made whatever its status. Rows and statuses stay (counts).

A plain function for central.periodic (the lead registers it) and `gig-central purge`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, or_, select, text
from sqlalchemy.orm import Session

from central import db
from central.followup import FINAL, erase
from central.models import Application, County

CHUNK = 500  # ids per UPDATE: well under SQLite's bound-parameter limit


def due(session: Session, county: County, at: datetime) -> list[str]:
    """Ids of the county's applications whose personal data must go at `at`."""
    final_cut = at - timedelta(days=county.retention_final_days)
    max_cut = at - timedelta(days=county.retention_max_days)
    return list(session.scalars(select(Application.id).where(
        Application.county == county.code, Application.erased_at.is_(None),
        or_(and_(Application.status.in_(FINAL), Application.status_at <= final_cut),
            Application.created_at <= max_cut))).all())


def run_purge(engine: Engine, now: datetime) -> dict[str, int]:
    """{"erased": applications erased now, "kept": applications whose data is still kept}."""
    erased = 0
    with db.session_factory(engine)() as s:
        for county in s.scalars(select(County).order_by(County.code)).all():
            ids = due(s, county, now)
            for i in range(0, len(ids), CHUNK):
                erased += erase(s, ids[i:i + CHUNK], now)
        kept = s.execute(select(func.count()).select_from(Application)
                         .where(Application.erased_at.is_(None))).scalar_one()
        s.commit()
    if erased:
        scrub(engine)
    return {"erased": erased, "kept": int(kept)}


def scrub(engine: Engine) -> None:
    """After erasing on SQLite: secure_delete (db.make_engine) zeroes the old bytes in the
    database file, but the WAL still holds earlier page images with the ciphertext until it is
    checkpointed and cut to zero length. (PostgreSQL keeps dead row versions until VACUUM.)"""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
