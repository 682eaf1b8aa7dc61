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
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from central.models import (
    Application,
    CountyVisitHour,
    Station,
    StationStat,
    StationStatDay,
    StationStatMonth,
)

Group = Literal["day", "week", "month"]
# Counties are in China: outcomes (stored in UTC) are dated in its time, like the stations' hours.
REPORT_TZ = ZoneInfo("Asia/Shanghai")
CARD_TYPES = ("resident", "hkmt_permit", "foreign_2017", "foreign_2023")
# What a station may report (kiosk/stats.py METRICS). Unknown names are ignored, not refused,
# so a newer kiosk's batch is never stuck behind a metric this server does not know yet.
METRICS: tuple[str, ...] = (
    "visits", "card_reads", *(f"card_reads_{t}" for t in CARD_TYPES), "card_problems", "codes_scanned",
    "job_views", "slips", "print_problems", "phone_saves", "registrations", "withdrawals", "policy_views",
    "job_reports", "english", "large_text", "read_aloud", "visit_under_1m", "visit_1_3m", "visit_3_10m", "visit_10m_plus",
    # standing registrations made, renewed and ended at the kiosk (issue 16)
    "standing_registrations", "standing_renewals", "standing_endings",
)
OUTCOMES = ("contacted", "hired")
COLUMNS: tuple[str, ...] = (*METRICS, *OUTCOMES)
MAX_DAYS = 3 * 366  # one request's range


def parse_hour(text: str) -> tuple[date, int]:
    """'YYYY-MM-DDTHH' -> (day, hour); ValueError if not a real hour."""
    at = datetime.strptime(text, "%Y-%m-%dT%H")
    return at.date(), at.hour


def _insert(s: Session) -> Any:
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def _upsert(s: Session, model: type, values: list[dict[str, Any]], keys: list[str], add: bool = False) -> None:
    """Insert or set (add=False) / add to (add=True) `value` of existing rows."""
    stmt = _insert(s)(model).values(values)
    value = model.value + stmt.excluded.value if add else stmt.excluded.value
    s.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"value": value}))


def _lock_station(s: Session, station_id: str) -> str:
    """Take the station's write lock before reading what we are about to change (the heat map
    adds differences): PostgreSQL locks the row; SQLite's first write takes the database."""
    if s.bind.dialect.name == "postgresql":
        return s.execute(select(Station.county).where(Station.id == station_id).with_for_update()).scalar_one()
    s.execute(update(Station).where(Station.id == station_id).values(county=Station.county))
    return s.execute(select(Station.county).where(Station.id == station_id)).scalar_one()


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def store(s: Session, station_id: str, rows: Iterable[tuple[str, str, int]]) -> tuple[int, int]:
    """Set (hour, metric, value) rows of one station; returns (stored, ignored). The caller
    commits. Day and month sums are recomputed from the rows below them; the county's
    busiest-hours table gets the difference each new visits count makes, read under the
    station's lock so two deliveries of one station cannot both add the same difference."""
    known, ignored = {}, 0
    for hour, metric, value in rows:
        if metric not in METRICS:
            ignored += 1
            continue
        day, h = parse_hour(hour)
        known[(day, h, metric)] = value  # the last of duplicates in one batch wins
    if not known:
        return 0, ignored
    county = _lock_station(s, station_id)
    visit_days = sorted({d for d, _, m in known if m == "visits"})
    old = {}
    if visit_days:
        old = {(_as_date(d), int(h)): v for d, h, v in s.execute(
            select(StationStat.day, StationStat.hour, StationStat.value)
            .where(StationStat.station_id == station_id, StationStat.metric == "visits",
                   StationStat.day.in_(visit_days)))}
    values = [{"station_id": station_id, "day": d, "hour": h, "metric": m, "value": v}
              for (d, h, m), v in known.items()]
    for i in range(0, len(values), 500):
        _upsert(s, StationStat, values[i:i + 500], ["station_id", "day", "hour", "metric"])
    heat: dict[tuple[date, int, int], int] = defaultdict(int)
    for (d, h, m), v in known.items():
        if m == "visits" and v != old.get((d, h), 0):
            heat[(month_of(d), d.weekday(), h)] += v - old.get((d, h), 0)
    if heat:  # sorted: concurrent stations of one county lock these rows in the same order
        _upsert(s, CountyVisitHour, [{"county": county, "month": m, "weekday": wd, "hour": h, "value": v}
                                     for (m, wd, h), v in sorted(heat.items())],
                ["county", "month", "weekday", "hour"], add=True)
    days = sorted({d for d, _, _ in known})
    s.execute(delete(StationStatDay).where(StationStatDay.station_id == station_id,
                                           StationStatDay.day.in_(days)))
    s.execute(insert(StationStatDay).from_select(
        ["station_id", "day", "metric", "value"],
        select(StationStat.station_id, StationStat.day, StationStat.metric, func.sum(StationStat.value))
        .where(StationStat.station_id == station_id, StationStat.day.in_(days))
        .group_by(StationStat.station_id, StationStat.day, StationStat.metric)))
    for month in sorted({month_of(d) for d in days}):
        s.execute(delete(StationStatMonth).where(StationStatMonth.station_id == station_id,
                                                 StationStatMonth.month == month))
        s.execute(insert(StationStatMonth).from_select(
            ["month", "station_id", "metric", "value"],
            select(literal(month, Date), StationStatDay.station_id, StationStatDay.metric,
                   func.sum(StationStatDay.value))
            .where(StationStatDay.station_id == station_id, StationStatDay.day >= month,
                   StationStatDay.day <= month_end(month))
            .group_by(StationStatDay.station_id, StationStatDay.metric)))
    return len(known), ignored


def whole_months(start: date, end: date) -> bool:
    """[start, end] is a run of whole calendar months (the monthly tables answer it)."""
    return start.day == 1 and end == month_end(month_of(end))


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


EARLIEST, LATEST = date(2000, 1, 1), date(9000, 1, 1)  # before and after any application


def outcome_counts(s: Session, county: str, start: date, end: date, group: Group,
                   station: str | None = None) -> dict[tuple[str, date], dict[str, int]]:
    """Follow-up outcomes per (station, period) of the applications made in [start, end]
    (station-local dates): contacted = staff reached the seeker (contacted, hired, not hired),
    hired = 上岗. The one join of statistics with the follow-up inbox: it reads
    `applications.status` (the staff workflow status, central.followup)."""
    status = Application.status
    # Bounds in UTC, as created_at is stored: SQLite compares the stored text, so a +08:00
    # bound would be compared as a string and miss the evening's applications (UTC+8 midnight).
    start, end = max(start, EARLIEST), min(end, LATEST)  # no datetime arithmetic at year 1 or 9999
    if end < start:
        return {}
    lo = datetime(start.year, start.month, start.day, tzinfo=REPORT_TZ).astimezone(UTC)
    hi = (datetime(end.year, end.month, end.day, tzinfo=REPORT_TZ) + timedelta(days=1)).astimezone(UTC)
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


def _pivot(t: Any) -> list[Any]:
    """One column per metric (summed in SQL): a row per station and period, not per metric."""
    return [func.coalesce(func.sum(t.value).filter(t.metric == m), 0).label(m) for m in METRICS]


def report(s: Session, county: str, start: date, end: date, group: Group,
           station: str | None = None) -> list[dict[str, Any]]:
    """One row per station and period with every metric (0 when not counted) and outcomes."""
    in_county = select(Station.id).where(Station.county == county).scalar_subquery()
    if group == "month" and whole_months(start, end):
        t = StationStatMonth
        period: Any = t.month
        where = [t.month >= start, t.month <= end]
    else:
        t = StationStatDay
        period = _period_sql(s, t.day, group)
        where = [t.day >= start, t.day <= end]
    q = (select(t.station_id, period.label("period"), *_pivot(t))
         .where(t.station_id.in_(in_county), *where).group_by(t.station_id, period))
    if station:
        q = q.where(t.station_id == station)
    rows: dict[tuple[str, date], dict[str, Any]] = {}
    for r in s.execute(q).mappings():
        p = _as_date(r["period"])
        rows[(r["station_id"], p)] = {"station_id": r["station_id"], "period": p.isoformat(),
                                      **{m: int(r[m]) for m in METRICS}, **dict.fromkeys(OUTCOMES, 0)}
    for (station_id, p), counts in outcome_counts(s, county, start, end, group, station).items():
        rows.setdefault((station_id, p), {"station_id": station_id, "period": p.isoformat(),
                                          **dict.fromkeys(COLUMNS, 0)}).update(counts)
    return [rows[k] for k in sorted(rows)]


def station_totals(s: Session, county: str, start: date, end: date,
                   station: str | None = None) -> dict[str, dict[str, int]]:
    """{station: {metric: sum over [start, end]}} with outcomes: the dashboard's table and
    funnel, one row per station however long the range."""
    in_county = select(Station.id).where(Station.county == county).scalar_subquery()
    if whole_months(start, end):
        t, col = StationStatMonth, StationStatMonth.month
    else:
        t, col = StationStatDay, StationStatDay.day
    q = (select(t.station_id, *_pivot(t)).where(t.station_id.in_(in_county), col >= start, col <= end)
         .group_by(t.station_id))
    if station:
        q = q.where(t.station_id == station)
    out: dict[str, dict[str, int]] = {}
    for r in s.execute(q).mappings():
        out[r["station_id"]] = {**{m: int(r[m]) for m in METRICS}, **dict.fromkeys(OUTCOMES, 0)}
    for (station_id, _), counts in outcome_counts(s, county, start, end, "month", station).items():
        for k, v in counts.items():
            out.setdefault(station_id, dict.fromkeys(COLUMNS, 0))[k] += v
    return out


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
    grid = [[0] * 24 for _ in range(7)]
    if metric == "visits" and station is None and whole_months(start, end):
        for wd, h, v in s.execute(select(CountyVisitHour.weekday, CountyVisitHour.hour, func.sum(CountyVisitHour.value))
                                  .where(CountyVisitHour.county == county, CountyVisitHour.month >= start,
                                         CountyVisitHour.month <= end)
                                  .group_by(CountyVisitHour.weekday, CountyVisitHour.hour)):
            grid[int(wd)][int(h)] = int(v)
        return grid
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
    for d, h, v in s.execute(q):
        grid[(int(d) + 6) % 7][int(h)] += int(v)  # isodow 1..7 and %w 0..6 both -> Monday = 0
    return grid


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {c: sum(int(r.get(c, 0)) for r in rows) for c in COLUMNS}
