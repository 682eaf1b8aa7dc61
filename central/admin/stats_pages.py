"""The statistics dashboard (服务成效) and the monthly report exports, for any staff role."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from central import services, stats, stats_export
from central.admin import charts
from central.admin.routes import Db, Me, render
from central.models import County, Station

router = APIRouter(prefix="/admin", include_in_schema=False)
WEEKDAYS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")
FUNNEL = (("visits", "服务人次 Visits"), ("job_views", "岗位浏览 Job views"), ("slips", "打印岗位单 Slips"),
          ("registrations", "报名 Registrations"), ("contacted", "已联系 Contacted"), ("hired", "已上岗 Hired"))
TOP = 6  # stations drawn as lines; every station is in the table
DateParam = Annotated[date | None, Query()]


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    today = datetime.now(stats.REPORT_TZ).date()
    start = start or today.replace(day=1)
    end = end or today
    if end < start or (end - start).days > stats.MAX_DAYS:
        raise HTTPException(422, "起止日期无效 / invalid date range")
    return start, end


def _stations(s: Db, county: str) -> dict[str, str]:
    return dict(s.execute(select(Station.id, Station.name).where(Station.county == county).order_by(Station.id)).all())


@router.get("/stats")
def dashboard(request: Request, s: Db, me: Me, start: Annotated[date | None, Query(alias="from")] = None,
              end: Annotated[date | None, Query(alias="to")] = None,
              station: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    start, end = _range(start, end)
    names = _stations(s, me.county)
    if station and station not in names:
        station = None
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    per_station = stats.station_totals(s, me.county, start, end, station)
    totals = stats.totals(list(per_station.values()))
    top = sorted(per_station, key=lambda sid: -per_station[sid]["visits"])[:TOP]
    series = stats.daily_series(s, top, ("visits", "registrations"), start, end)

    def line_chart(metric: str, title: str) -> str:
        return charts.lines(title, days, [(names.get(sid, sid), [series.get((sid, metric), {}).get(d, 0)
                                                                 for d in days]) for sid in top])

    county = s.get(County, me.county)
    return render(
        request, "stats.html", me, county=county, start=start, end=end, station=station, names=names,
        table=[(sid, names.get(sid, sid), per_station.get(sid, dict.fromkeys(stats.COLUMNS, 0))) for sid in names
               if not station or sid == station],
        totals=totals, columns=stats_export.COLUMNS,
        visits_chart=line_chart("visits", "每日服务人次 Visits per day"),
        registrations_chart=line_chart("registrations", "每日报名 Registrations per day"),
        funnel=charts.funnel("转化漏斗 Funnel", [(label, totals[key]) for key, label in FUNNEL]),
        heat=charts.heatmap("繁忙时段 Busiest hours", stats.heatmap(s, me.county, start, end, station), WEEKDAYS),
    )


def _report(s: Db, county: str, start: date | None, end: date | None) -> tuple[str, dict]:
    start, end = _range(start, end)
    months = stats_export.by_month(stats.report(s, county, start, end, "month"), _stations(s, county))
    return f"{county}-stats-{start.isoformat()}-{end.isoformat()}", months


@router.get("/stats/report.csv")
def report_csv(s: Db, me: Me, start: Annotated[date | None, Query(alias="from")] = None,
               end: Annotated[date | None, Query(alias="to")] = None) -> Response:
    name, months = _report(s, me.county, start, end)
    return Response(stats_export.to_csv(months), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/stats/report.xlsx")
def report_xlsx(s: Db, me: Me, start: Annotated[date | None, Query(alias="from")] = None,
                end: Annotated[date | None, Query(alias="to")] = None) -> Response:
    name, months = _report(s, me.county, start, end)
    county = services.in_county(s, County, me.county, me.county)
    return Response(stats_export.to_xlsx(months, county.name),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
