"""Periodic job: keep the TUF timestamp (and snapshot) signed before they expire, else every
station stops updating (freeze protection turns against us). The lead registers it in
central/periodic.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from central import db
from central.releases import tuf_repo
from central.security import DataCipher


def run_timestamp_resign(engine: Engine, now: datetime, cipher: DataCipher | None = None) -> dict[str, Any]:
    """`cipher` defaults to one from the data key in the environment (as `serve` sets it)."""
    if cipher is None:
        import os

        from central.app import DATA_KEY_ENV
        from central.security import decode_key

        cipher = DataCipher(decode_key(os.environ[DATA_KEY_ENV]))
    with db.session_factory(engine)() as session:
        out = tuf_repo.resign_expiring(session, cipher, now)
        session.commit()
    return out
