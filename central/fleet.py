"""The fleet's frequent requests (heartbeat, config poll, jobs poll) as prebuilt Core statements.

Every station sends these every minute or so, so their cost sizes a province (bench_scale: CPU
per request per endpoint). In the steady state each is ONE statement on a connection outside
a transaction block (PostgreSQL autocommit): no BEGIN/COMMIT round trips, no ORM objects, and
statements built once at import, so SQLAlchemy neither constructs them nor computes their
cache keys per request (on the ORM path that was most of the CPU). The rare cases (commands
waiting, alerts open, a changed config or jobs page) fall back to the ordinary Session code.

Nothing here is cached in the process: every answer comes from the database in that one
statement, so it holds across instances.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, bindparam, exists, func, select, update

from central import services
from central.models import Alert, Counter, Station, StationCommand, StationConfigVersion
from central.schemas import Heartbeat
from central.text import has_bad_characters

_station = Station.__table__
_command = StationCommand.__table__
_alert = Alert.__table__
_version = StationConfigVersion.__table__


@functools.lru_cache(maxsize=8)
def _heartbeat_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """UPDATE stations SET <columns> ... RETURNING config_version and the two flags; built once
    per dialect and column set (services.heartbeat_values decides the columns), each column
    from a bind named like it plus "_" (a bind may not be named like the column it sets)."""
    at = bindparam("at", type_=_command.c.expires_at.type)
    # Whether the two follow-up queries are needed, answered by the same statement: almost
    # always neither is (indexes: ix_station_commands_station_state, uq_alerts_active).
    pending = exists().where(_command.c.station_id == bindparam("sid"), _command.c.state == "pending",
                             _command.c.expires_at > at)
    open_alerts = exists().where(_alert.c.station_id == bindparam("sid"), _alert.c.state == "open",
                                 _alert.c.resolved_at.is_(None))
    returning = [_station.c.config_version, pending.label("commands"), open_alerts.label("alerts")]
    if dialect == "postgresql":
        # Heartbeats are telemetry, replaced a minute later: losing the last few in a server
        # crash is harmless, so this statement's commit does not wait for its WAL flush.
        # set_config(..., true) is SET LOCAL: it holds for the statement's own (implicit)
        # transaction, whose commit comes after it; it spares a BEGIN, SET and COMMIT.
        returning.append(func.set_config("synchronous_commit", "off", True).label("async_commit"))
    values = {c: bindparam(c + "_", type_=_station.c[c].type) for c in columns}
    return update(_station).where(_station.c.id == bindparam("sid")).values(values).returning(*returning)


_CONFIG_VERSION = select(_station.c.county, _station.c.config_version).where(_station.c.id == bindparam("sid"))
# The current version's signed document, for a poll whose ETag did not match (a kiosk's first
# poll, or a new config): a join, so the version and its document are one snapshot.
_CONFIG_DOCUMENT = select(_station.c.county, _station.c.config_version, _version.c.document,
                          _version.c.created_at).join_from(
    _station, _version, and_(_version.c.station_id == _station.c.id,
                             _version.c.version == _station.c.config_version),
).where(_station.c.id == bindparam("sid"))
_JOBS_HIGH = select(Counter.value).where(Counter.name == "jobs").scalar_subquery()
_JOBS_POLL = select(_station.c.id, _station.c.county, _station.c.lat, _station.c.lng,
                    _station.c.config_version, _JOBS_HIGH.label("high")).where(_station.c.id == bindparam("sid"))


def reader(engine: Engine) -> Engine:
    """The engine to run this module's statements on: each statement its own transaction.
    On PostgreSQL that is autocommit (saves the BEGIN and COMMIT/ROLLBACK round trips); the
    SQLite driver opens no transaction for a SELECT anyway, and this module commits its one
    UPDATE itself."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _station_row(engine: Engine, statement: Any, station_id: str, county: str) -> Row:
    """The station's row from `statement`, or NotFound as services.in_county says it."""
    if has_bad_characters(station_id):
        raise services.not_found(Station)
    with engine.connect() as conn:
        row = conn.execute(statement, {"sid": station_id}).first()
    if row is None or row.county != county:
        raise services.not_found(Station)
    return row


def config_version(engine: Engine, station_id: str, county: str) -> int:
    """The station's current config version (its ETag), if it is in `county`."""
    return _station_row(engine, _CONFIG_VERSION, station_id, county).config_version


def config_document(engine: Engine, station_id: str, county: str) -> Row:
    """(county, config_version, document, created_at): the station's current signed config,
    if it is in `county` (services.config_is_fresh says whether it may be served as is)."""
    return _station_row(engine, _CONFIG_DOCUMENT, station_id, county)


def jobs_poll(engine: Engine, station_id: str, county: str) -> Row:
    """(id, county, lat, lng, config_version, high): the station's place and the jobs change
    sequence, for services.jobs_delta(..., high=row.high)."""
    return _station_row(engine, _JOBS_POLL, station_id, county)


def record_heartbeat(engine: Engine, station_id: str, beat: Heartbeat) -> tuple[datetime, int, bool, bool]:
    """Stores the station's health: (received at, the station's current config version, whether
    commands are pending, whether it has open alerts), in one statement. The station learns
    from the version whether to fetch a newer config."""
    at = services.now()
    values = services.heartbeat_values(beat, at)
    statement = _heartbeat_statement(engine.dialect.name, tuple(values))
    params = {c + "_": v for c, v in values.items()}
    params.update(sid=station_id, at=at)
    with engine.connect() as conn:
        row = conn.execute(statement, params).one()
        conn.commit()  # no-op in autocommit; ends the SQLite driver's implicit transaction
    return at, row.config_version, bool(row.commands), bool(row.alerts)
