"""服务成效 statistics at central: absolute hourly counts set (never added), county reports by
day/week/month, scoping, body limit, and no person data in the statistics tables."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from central import stats
from central.models import Base

TABLES = ("station_stats", "station_stats_daily", "station_stats_monthly", "county_visit_hours")


def _put(server, station, rows, token=None):  # noqa: ANN001, ANN202
    token = token or server.stations[station]["token"]
    return server.client.put(f"/v1/stations/{station}/stats", headers=server.as_(token), json={"rows": rows})


def _get(server, county, token=None, **params):  # noqa: ANN001, ANN003, ANN202
    token = token or server.staff[county]["token"]
    return server.client.get(f"/v1/counties/{county}/stats", headers=server.as_(token), params=params)


def test_counts_are_set_not_added_and_grouped(server) -> None:  # noqa: ANN001
    rows = [{"hour": "2026-03-02T09", "metric": "visits", "value": 4},   # a Monday
            {"hour": "2026-03-02T10", "metric": "visits", "value": 3},
            {"hour": "2026-03-02T10", "metric": "slips", "value": 2},
            {"hour": "2026-03-08T18", "metric": "visits", "value": 5},   # Sunday, same ISO week
            {"hour": "2026-03-09T08", "metric": "registrations", "value": 1},  # next week
            {"hour": "2026-03-09T08", "metric": "from_a_newer_kiosk", "value": 9}]
    for _ in range(3):  # retries and repeats set the same numbers
        r = _put(server, "e-park", rows)
        assert r.status_code == 200, r.text
        assert r.json() == {"stored": 5, "ignored": 1}
    assert _put(server, "e-mall", [{"hour": "2026-03-02T09", "metric": "visits", "value": 1}]).status_code == 200
    # a later, larger absolute value for the same hour replaces the earlier one
    assert _put(server, "e-park", [{"hour": "2026-03-02T10", "metric": "visits", "value": 6}]).status_code == 200

    r = _get(server, "east", **{"from": "2026-03-01", "to": "2026-03-31", "group": "day"})
    assert r.status_code == 200, r.text
    got = {(x["station_id"], x["period"]): x for x in r.json()["rows"]}
    assert got[("e-park", "2026-03-02")]["visits"] == 10 and got[("e-park", "2026-03-02")]["slips"] == 2
    assert got[("e-park", "2026-03-08")]["visits"] == 5
    assert got[("e-mall", "2026-03-02")]["visits"] == 1
    assert {"contacted", "hired", "card_reads", "job_views"} <= set(got[("e-park", "2026-03-02")])

    week = {(x["station_id"], x["period"]): x for x in _get(
        server, "east", **{"from": "2026-03-01", "to": "2026-03-31", "group": "week"}).json()["rows"]}
    assert week[("e-park", "2026-03-02")]["visits"] == 15
    assert week[("e-park", "2026-03-09")]["registrations"] == 1
    engine = sa.create_engine(server.database_url)
    with Session(engine) as s:  # the county's busiest hours (added differences) == the hours
        grid = stats.heatmap(s, "east", date(2026, 3, 1), date(2026, 3, 31))
        assert grid == stats.heatmap(s, "east", date(2026, 2, 28), date(2026, 3, 31))
        assert grid[0][9] == 5 and grid[0][10] == 6 and grid[6][18] == 5  # e-park 4 then 6 at 10:00, e-mall 1
    engine.dispose()
    month = _get(server, "east", **{"from": "2026-03-01", "to": "2026-03-31", "group": "month",
                                    "station": "e-park"}).json()["rows"]
    assert [(x["station_id"], x["period"], x["visits"], x["slips"]) for x in month] == [
        ("e-park", "2026-03-01", 15, 2)]


def test_scoping_and_limits(server) -> None:  # noqa: ANN001
    row = [{"hour": "2026-04-01T09", "metric": "visits", "value": 1}]
    staff = server.staff["east"]["token"]
    assert _put(server, "e-park", row, token=staff).status_code == 403  # staff do not report counts
    assert _put(server, "e-mall", row, token=server.stations["e-park"]["token"]).status_code == 403
    assert _put(server, "w-park", row, token=server.stations["e-park"]["token"]).status_code == 403
    q = {"from": "2026-04-01", "to": "2026-04-30"}
    assert _get(server, "west", token=staff, **q).status_code == 404  # another county
    assert _get(server, "nowhere", token=staff, **q).status_code == 404
    assert _get(server, "east", token=server.stations["e-park"]["token"], **q).status_code == 403
    assert _get(server, "east", **q, station="w-park").status_code == 404
    for name in ("east-operator", "east-maint"):
        assert _get(server, "east", token=server.by_user[name]["token"], **q).status_code == 200
    assert _get(server, "east", **{"from": "2026-04-30", "to": "2026-04-01"}).status_code == 422
    bad = [{"hour": "2026-02-30T09", "metric": "visits", "value": 1}]
    assert _put(server, "e-park", bad).status_code == 422
    assert _put(server, "e-park", [{"hour": "2026-04-01T24", "metric": "visits", "value": 1}]).status_code == 422
    assert _put(server, "e-park", [{**row[0], "value": -1}]).status_code == 422
    big = {"rows": [{"hour": "2026-04-01T09", "metric": "visits", "value": 1}] * 4000}  # 208 KB
    r = server.client.put("/v1/stations/e-park/stats", headers=server.as_(server.stations["e-park"]["token"]),
                          json=big)
    assert r.status_code == 413


def test_statistics_tables_hold_no_person_data(server) -> None:  # noqa: ANN001
    """Only station, hour/day, metric name and a count: no column could hold a person or a visit."""
    engine = sa.create_engine(server.database_url)
    try:
        columns = {t: {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(t)} for t in TABLES}
    finally:
        engine.dispose()
    assert set(columns["station_stats"]) == {"station_id", "day", "hour", "metric", "value"}
    assert set(columns["station_stats_daily"]) == {"station_id", "day", "metric", "value"}
    assert set(columns["station_stats_monthly"]) == {"station_id", "month", "metric", "value"}
    assert set(columns["county_visit_hours"]) == {"county", "month", "weekday", "hour", "value"}
    for table in TABLES:
        model = Base.metadata.tables[table]
        assert not any(isinstance(c.type, sa.DateTime) for c in model.columns)  # nothing finer than the hour
        assert {c.name for c in model.primary_key.columns} <= {"station_id", "county", "day", "month", "weekday",
                                                               "hour", "metric"}


def test_outcomes_join_the_report(server) -> None:  # noqa: ANN001
    """contacted / hired come from the follow-up status of the applications made in the period
    (central.stats.outcome_counts), set by staff in the follow-up inbox (issue 12)."""
    import uuid
    from datetime import datetime

    from central_helpers import application, id_number

    token = server.stations["e-mall"]["token"]
    ids = []
    for serial, status in ((701, "hired"), (702, "contacted"), (703, "not_hired"), (704, "new")):
        body = application("e-mall")
        body["seeker"]["id_number"] = id_number(serial)
        r = server.client.post("/v1/applications", json=body,
                               headers={**server.as_(token), "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        ids.append((r.json()["id"], status))
    engine = sa.create_engine(server.database_url)
    with engine.begin() as conn:
        for app_id, status in ids:
            conn.execute(sa.text("UPDATE applications SET status = :s WHERE id = :i"), {"s": status, "i": app_id})
    engine.dispose()
    today = datetime.now(stats.REPORT_TZ).date().isoformat()
    rows = _get(server, "east", **{"from": today, "to": today, "group": "month", "station": "e-mall"}).json()["rows"]
    assert [(r["contacted"], r["hired"]) for r in rows] == [(3, 1)]


def test_every_kiosk_metric_is_known_at_central() -> None:
    """A metric the kiosk counts but central does not know is dropped ("ignored") on delivery."""
    from kiosk import stats as kiosk_stats

    assert set(kiosk_stats.METRICS) - set(stats.METRICS) == set()


def test_standing_registration_counts_are_stored_and_reported(server, tmp_path) -> None:  # noqa: ANN001
    """Issue 16: the kiosk counts work registrations made, renewed and ended; central used to
    drop the three metrics ("ignored": 4 below). Counted by the kiosk's own StatsCounter,
    delivered over HTTP, then in the API report, the statistics page and both exports."""
    import csv
    import io
    import re
    from datetime import datetime

    from central_helpers import admin_login
    from openpyxl import load_workbook

    from central.stats_export import COLUMNS
    from kiosk.stats import StatsCounter

    now = [datetime(2026, 5, 4, 9, 30).timestamp()]  # station-local, as the kiosk counts
    counter = StatsCounter(tmp_path / "stats.db", clock=lambda: now[0])
    for event in ("standing_registered",) * 3 + ("standing_renewed",):
        counter.record(event)
    now[0] = datetime(2026, 5, 5, 14, 10).timestamp()
    for event in ("standing_registered", "standing_ended", "standing_ended", "job_reported"):
        counter.record(event)
    acks = []

    def put(rows: list[dict]) -> None:
        r = _put(server, "e-mall", rows)
        assert r.status_code == 200, r.text
        acks.append(r.json())

    assert counter.deliver(put) == {"sent": 5, "pending": 0}
    assert acks == [{"stored": 5, "ignored": 0}]
    names = ("standing_registrations", "standing_renewals", "standing_endings", "job_reports")
    days = {x["period"]: [x[n] for n in names] for x in _get(
        server, "east", **{"from": "2026-05-01", "to": "2026-05-31", "group": "day", "station": "e-mall"}).json()["rows"]}
    assert days == {"2026-05-04": [3, 1, 0, 0], "2026-05-05": [1, 0, 2, 1]}
    (month,) = _get(server, "east", **{"from": "2026-05-01", "to": "2026-05-31", "group": "month"}).json()["rows"]
    assert (month["station_id"], [month[n] for n in names]) == ("e-mall", [4, 1, 2, 1])

    admin = server.staff["east"]
    web = admin_login(server.base_url, admin["username"], admin["password"])
    q = {"from": "2026-05-01", "to": "2026-05-31"}
    page = web.get("/admin/stats", params=q)
    assert page.status_code == 200
    row = page.text.split('<tr data-station="e-mall">')[1].split("</tr>")[0]
    cells = dict(re.findall(r'data-metric="(\w+)">(\d+)<', row))
    assert [cells[n] for n in names] == ["4", "1", "2", "1"]
    assert "求职登记 Work registrations" in page.text
    lines = list(csv.reader(io.StringIO(web.get("/admin/stats/report.csv", params=q).content.decode("utf-8-sig"))))
    head, mall = lines[0], next(line for line in lines if line[1] == "e-mall")
    assert [int(mall[head.index(label)]) for key, label in COLUMNS if key in names] == [4, 1, 2, 1]
    sheet = load_workbook(io.BytesIO(web.get("/admin/stats/report.xlsx", params=q).content))["2026-05"]
    keys = [k for k, _ in COLUMNS]
    by_station = {r[0]: dict(zip(keys, r[2:], strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert [by_station["e-mall"][n] for n in names] == [4, 1, 2, 1]
    assert [by_station["合计 Total"][n] for n in names] == [4, 1, 2, 1]
    web.close()
