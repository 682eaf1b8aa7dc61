"""central.fleet: the heartbeat's one statement says exactly when commands or alerts need a
query, and its asynchronous commit stays inside that statement (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text

from central import db, fleet, services
from central.models import Alert, Station, StationCommand
from central.schemas import Heartbeat
from central.security import DataCipher, new_data_key, new_token

SID = "st-fleet"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    # One connection: whatever a statement leaves on its session, the next one sees.
    engine = db.make_engine(database_url, pool_size=1)
    db.migrate(engine)
    with db.session_factory(engine)() as s:
        keyring = services.Keyring(DataCipher(new_data_key()))
        county = services.create_county(s, keyring, "cf", "县", "County F")
        services.create_station(s, keyring, county, {"id": SID, "name": "驿站", "lat": 30.5,
                                                     "lng": 117.5}, new_token())
        s.commit()
    yield engine
    engine.dispose()


def _beat(engine: Engine) -> tuple[bool, bool]:
    _, version, pending, open_alerts = fleet.record_heartbeat(
        fleet.reader(engine), SID, Heartbeat(app_version="9.9.9", outbox_depth=3, paper="low"))
    assert version >= 1
    return pending, open_alerts


def test_flags_follow_pending_commands_and_open_alerts(engine: Engine) -> None:
    assert _beat(engine) == (False, False)
    with db.session_factory(engine)() as s:
        station = s.get(Station, SID)
        assert (station.app_version, station.outbox_depth, station.paper) == ("9.9.9", 3, "low")
        now = services.now()
        s.add(StationCommand(id="c" * 36, station_id=SID, county="cf", kind="logs", nonce="n1",
                             document="{}", created_at=now, expires_at=now - timedelta(seconds=1)))
        s.add(Alert(station_id=SID, county="cf", kind="offline", severity="critical",
                    state="pending", first_seen_at=now))
        s.commit()
    assert _beat(engine) == (False, False), "an expired command and a pending alert need no query"
    with db.session_factory(engine)() as s:
        s.get(StationCommand, "c" * 36).expires_at = services.now() + timedelta(minutes=5)
        s.scalars(select(Alert)).one().state = "open"
        s.commit()
    assert _beat(engine) == (True, True)


@pytest.mark.postgres
def test_async_commit_stays_in_the_heartbeat_statement(database_url: str, engine: Engine) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("synchronous_commit is PostgreSQL's")
    with engine.connect() as conn:  # the test cluster runs with it off; new sessions: on
        conn.execute(text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = on'))
        conn.commit()
    engine.dispose()
    _beat(engine)
    with engine.connect() as conn:  # the same (only) pooled connection
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
