"""服务成效 statistics: stations' hourly counts in, county reports out.

Stations PUT absolute counts per (station-local hour, metric); `store` sets them (never adds),
so a repeat after a lost answer, a kiosk crash or a central restart sets the same numbers and
nothing is counted twice. The day's sums (station_stats_daily) are recomputed from the hours
in the same transaction: the reports read 31 rows per station and metric a month, not 744.

Periods are station-local days; a week or month is named by its first day (YYYY-MM-DD).
Follow-up outcomes (contacted, hired) come from the applications table: `outcome_counts` is
the one place that joins them in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Integer, String, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from central.models import Application, Station, StationStat, StationStatDay

Group = Literal["day", "week", "month"]
# Counties are in China: outcomes (stored in UTC) are dated in its time, like the stations' hours.
REPORT_TZ = ZoneInfo("Asia/Shanghai")
CARD_TYPES = ("resident", "hkmt_permit", "foreign_2017", "foreign_2023")
# What a station may report (kiosk/stats.py METRICS). Unknown names are ignored, not refused,
# so a newer kiosk's batch is never stuck behind a metric this server does not know yet.
METRICS: tuple[str, ...] = (
    "visits", "card_reads", *(f"card_reads_{t}" for t in CARD_TYPES), "card_problems", "codes_scanned",
    "job_views", "slips", "print_problems", "phone_saves", "registrations", "withdrawals", "policy_views",
    "english", "large_text", "read_aloud", "visit_under_1m", "visit_1_3m", "visit_3_10m", "visit_10m_plus",
)
OUTCOMES = ("contacted", "hired")
COLUMNS: tuple[str, ...] = (*METRICS, *OUTCOMES)
MAX_DAYS = 3 * 366  # one request's range


def parse_hour(text: str) -> tuple[date, int]:
    """'YYYY-MM-DDTHH' -> (day, hour); ValueError if not a real hour."""
    at = datetime.strptime(text, "%Y-%m-%dT%H")
    return at.date(), at.hour


def _upsert(s: Session, model: type, values: list[dict[str, Any]], keys: list[str]) -> None:
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(model).values(values)
    s.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"value": stmt.excluded.value}))


def store(s: Session, station_id: str, rows: Iterable[tuple[str, str, int]]) -> tuple[int, int]:
    """Set (hour, metric, value) rows of one station; returns (stored, ignored). The caller
    commits. The station's row is locked first, so two concurrent deliveries of the same
    station recompute its days one after the other (PostgreSQL; SQLite serialises writes)."""
    known, ignored = {}, 0
    for hour, metric, value in rows:
        if metric not in METRICS:
            ignored += 1
            continue
        day, h = parse_hour(hour)
        known[(day, h, metric)] = value  # the last of duplicates in one batch wins
    if not known:
        return 0, ignored
    s.execute(select(Station.id).where(Station.id == station_id).with_for_update())
    values = [{"station_id": station_id, "day": d, "hour": h, "metric": m, "value": v}
              for (d, h, m), v in known.items()]
    for i in range(0, len(values), 500):
        _upsert(s, StationStat, values[i:i + 500], ["station_id", "day", "hour", "metric"])
    days = sorted({d for d, _, _ in known})
    s.execute(delete(StationStatDay).where(StationStatDay.station_id == station_id,
                                           StationStatDay.day.in_(days)))
    s.execute(insert(StationStatDay).from_select(
        ["day", "station_id", "metric", "value"],
        select(StationStat.day, StationStat.station_id, StationStat.metric, func.sum(StationStat.value))
        .where(StationStat.station_id == station_id, StationStat.day.in_(days))
        .group_by(StationStat.day, StationStat.station_id, StationStat.metric)))
    return len(known), ignored


def period_of(day: date, group: Group) -> date:
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    return day


def _period_sql(s: Session, col: Any, group: Group) -> ColumnElement[Any]:
    """The period's first day, in SQL (grouping there keeps a month of 2,000 stations small)."""
    if group == "day":
        return col
    if s.bind.dialect.name == "postgresql":
        return cast(func.date_trunc(group, col), Date)
    if group == "month":
        return func.date(col, "start of month")
    # SQLite: back to Monday (%w: Sunday = 0)
    back = (cast(func.strftime("%w", col), Integer) + 6) % 7
    return func.date(col, "-" + cast(back, String) + " days")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def outcome_counts(s: Session, county: str, start: date, end: date, group: Group,
                   station: str | None = None) -> dict[tuple[str, date], dict[str, int]]:
    """Follow-up outcomes per (station, period) of the applications made in [start, end]
    (station-local dates): contacted = staff reached the seeker (contacted, hired, not hired),
    hired = 上岗. The one join of statistics with the follow-up inbox: it reads
    `applications.status` (the staff workflow status); on a schema without it, no outcomes."""
    status = getattr(Application, "status", None)
    if status is None:
        return {}
    lo = datetime(start.year, start.month, start.day, tzinfo=REPORT_TZ)
    hi = datetime(end.year, end.month, end.day, tzinfo=REPORT_TZ) + timedelta(days=1)
    q = (select(Application.station_id, Application.created_at, status)
         .join(Station, Station.id == Application.station_id)
         .where(Station.county == county, Application.created_at >= lo, Application.created_at < hi,
                status.in_(("contacted", "hired", "not_hired"))))
    if station:
        q = q.where(Application.station_id == station)
    out: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for station_id, created, st in s.execute(q):
        local = created.astimezone(REPORT_TZ) if created.tzinfo else created.replace(tzinfo=REPORT_TZ)
        counts = out[(station_id, period_of(local.date(), group))]
        counts["contacted"] += 1
        counts["hired"] += st == "hired"
    return dict(out)


def report(s: Session, county: str, start: date, end: date, group: Group,
           station: str | None = None) -> list[dict[str, Any]]:
    """One row per station and period with every metric (0 when not counted) and outcomes."""
    period = _period_sql(s, StationStatDay.day, group).label("period")
    q = (select(StationStatDay.station_id, period, StationStatDay.metric, func.sum(StationStatDay.value))
         .join(Station, Station.id == StationStatDay.station_id)
         .where(Station.county == county, StationStatDay.day >= start, StationStatDay.day <= end)
         .group_by(StationStatDay.station_id, period, StationStatDay.metric))
    if station:
        q = q.where(StationStatDay.station_id == station)
    rows: dict[tuple[str, date], dict[str, Any]] = {}

    def row(station_id: str, p: date) -> dict[str, Any]:
        if (station_id, p) not in rows:
            rows[(station_id, p)] = {"station_id": station_id, "period": p.isoformat(),
                                     **dict.fromkeys(COLUMNS, 0)}
        return rows[(station_id, p)]

    for station_id, p, metric, value in s.execute(q):
        row(station_id, _as_date(p))[metric] = int(value)
    for (station_id, p), counts in outcome_counts(s, county, start, end, group, station).items():
        row(station_id, p).update(counts)
    return [rows[k] for k in sorted(rows)]


def station_totals(s: Session, county: str, start: date, end: date,
                   station: str | None = None) -> dict[str, dict[str, int]]:
    """{station: {metric: sum over [start, end]}} (no outcomes): the dashboard's table and funnel,
    one row per station and metric however long the range."""
    q = (select(StationStatDay.station_id, StationStatDay.metric, func.sum(StationStatDay.value))
         .join(Station, Station.id == StationStatDay.station_id)
         .where(Station.county == county, StationStatDay.day >= start, StationStatDay.day <= end)
         .group_by(StationStatDay.station_id, StationStatDay.metric))
    if station:
        q = q.where(StationStatDay.station_id == station)
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for station_id, metric, value in s.execute(q):
        out[station_id][metric] = int(value)
    for (station_id, _), counts in outcome_counts(s, county, start, end, "month", station).items():
        for k, v in counts.items():
            out[station_id][k] += v
    return dict(out)


def daily_series(s: Session, stations: list[str], metrics: tuple[str, ...], start: date,
                 end: date) -> dict[tuple[str, str], dict[str, int]]:
    """{(station, metric): {YYYY-MM-DD: value}} for a few stations (the dashboard's lines)."""
    if not stations:
        return {}
    q = (select(StationStatDay.station_id, StationStatDay.metric, StationStatDay.day, StationStatDay.value)
         .where(StationStatDay.station_id.in_(stations), StationStatDay.metric.in_(metrics),
                StationStatDay.day >= start, StationStatDay.day <= end))
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for station_id, metric, day, value in s.execute(q):
        out[(station_id, metric)][_as_date(day).isoformat()] = int(value)
    return dict(out)


def heatmap(s: Session, county: str, start: date, end: date, station: str | None = None,
            metric: str = "visits") -> list[list[int]]:
    """Busiest hours: [weekday Monday..Sunday][hour 0..23] -> sum of `metric` over the range."""
    if s.bind.dialect.name == "postgresql":
        dow = func.extract("isodow", StationStat.day)
    else:
        dow = func.strftime("%w", StationStat.day)
    q = (select(dow, StationStat.hour, func.sum(StationStat.value))
         .join(Station, Station.id == StationStat.station_id)
         .where(Station.county == county, StationStat.metric == metric,
                StationStat.day >= start, StationStat.day <= end)
         .group_by(dow, StationStat.hour))
    if station:
        q = q.where(StationStat.station_id == station)
    grid = [[0] * 24 for _ in range(7)]
    for d, h, v in s.execute(q):
        grid[(int(d) + 6) % 7][int(h)] += int(v)  # isodow 1..7 and %w 0..6 both -> Monday = 0
    return grid


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {c: sum(int(r.get(c, 0)) for r in rows) for c in COLUMNS}
