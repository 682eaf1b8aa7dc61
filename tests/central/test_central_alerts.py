"""Alerts from real heartbeats: each kind raised, de-duplicated, resolved; flapping damped;
the county API (scoping, ack, body limit) and the heartbeat answer. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alert_helpers import active, beat, history, later, new_station
from sqlalchemy.engine import Engine

from central import db
from central.alerts import RULES, run_alerts
from central.services import now

MIN = timedelta(minutes=1)

# kind -> heartbeat fields that raise it
PROBLEMS: dict[str, dict[str, Any]] = {
    "paper_out": {"paper": "out"},
    "paper_low": {"paper": "low"},
    "device_printer": {"devices": {"printer": {"state": "error", "detail": "cover open"}}},
    "device_idcard": {"devices": {"idcard": {"state": "no_device"}}},
    "device_scanner": {"devices": {"scanner1": {"state": "error"}}},
    "device_camera": {"devices": {"camera": {"state": "no_device"}}},
    "outbox_backlog": {"outbox_depth": 3, "outbox_oldest_s": 3600},
    "config_rejected": {"rejected_config": {"version": 7, "reason": "opening_hours invalid"}},
    "clock_skew": {},  # sent_at set in the test (it depends on the clock)
    "disk_low": {"disk_free_mb": 120, "disk_total_mb": 16000},
    "update_failed": {"update_failed": {"version": "1.4.0", "reason": "health check failed"}},
}


@pytest.fixture(scope="module")
def engine(server) -> Iterator[Engine]:  # noqa: ANN001
    e = db.make_engine(server.database_url)
    yield e
    e.dispose()


def _problem(kind: str) -> dict[str, Any]:
    if kind == "clock_skew":
        return {"sent_at": (now() + timedelta(minutes=5)).isoformat()}
    return PROBLEMS[kind]


@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_each_kind_raised_once_and_self_resolving(server, engine: Engine, kind: str) -> None:  # noqa: ANN001
    sid, token = new_station(engine)
    rule = RULES[kind]
    beat(server, sid, token, **_problem(kind))
    t0 = now()
    run_alerts(engine, t0)
    first = active(engine, sid)
    assert set(first) == {kind}
    assert first[kind].state == ("open" if not rule.open_after else "pending")
    t = t0 + rule.open_after
    for _ in range(3):  # more evaluations and heartbeats with the same problem: still one alert
        run_alerts(engine, t)
        beat(server, sid, token, **_problem(kind))
        t += MIN
    run_alerts(engine, t)
    (alert,) = history(engine, sid, kind)
    assert alert.state == "open" and alert.opened_at is not None and alert.resolved_at is None
    # the heartbeat answer carries the station's own open alerts
    ack = beat(server, sid, token, **_problem(kind))
    assert [a["kind"] for a in ack["alerts"]] == [kind]

    beat(server, sid, token)  # fixed
    t += MIN
    run_alerts(engine, t)
    if rule.clear_after:
        assert history(engine, sid, kind)[-1].state == "open"  # not yet: it must stay clear
        run_alerts(engine, t + rule.clear_after)
    (alert,) = history(engine, sid, kind)
    assert alert.state == "resolved" and alert.resolved_at is not None
    assert active(engine, sid) == {}
    assert beat(server, sid, token)["alerts"] == []


def test_offline_after_three_intervals_and_back(server, engine: Engine) -> None:  # noqa: ANN001
    sid, token = new_station(engine)
    beat(server, sid, token, heartbeat_interval_s=60, paper="out")
    t0 = now()
    run_alerts(engine, t0)
    run_alerts(engine, t0 + 2 * MIN)
    assert active(engine, sid)["paper_out"].state == "open"
    run_alerts(engine, t0 + 2.9 * MIN)  # under 3 x 60 s: not offline yet
    assert "offline" not in active(engine, sid)
    run_alerts(engine, t0 + 3.1 * MIN)
    found = active(engine, sid)
    assert found["offline"].state == "open" and found["offline"].severity == "critical"
    # offline freezes the other conditions: the stale paper report neither opens nor resolves
    run_alerts(engine, t0 + 60 * MIN)
    assert found["paper_out"].state == active(engine, sid)["paper_out"].state == "open"
    beat(server, sid, token, heartbeat_interval_s=60)  # back, paper refilled
    t1 = now()
    run_alerts(engine, t1)
    run_alerts(engine, t1 + 5 * MIN)
    assert history(engine, sid, "offline")[-1].state == "open"  # the heartbeat is 5 min old again
    beat(server, sid, token, heartbeat_interval_s=3600)
    run_alerts(engine, t1 + 6 * MIN)
    run_alerts(engine, t1 + 12 * MIN)
    assert active(engine, sid) == {}
    assert [a.state for a in history(engine, sid, "offline")] == ["resolved"]


def test_flapping_is_damped(server, engine: Engine) -> None:  # noqa: ANN001
    sid, token = new_station(engine)
    t = now()
    # paper out every other minute for 20 minutes: never held for 2 min, never opened
    for i in range(20):
        beat(server, sid, token, paper="out" if i % 2 == 0 else "ok")
        run_alerts(engine, t)
        t += MIN
    beat(server, sid, token)
    run_alerts(engine, t)
    assert history(engine, sid, "paper_out") == []
    # a real outage opens once; flickering back to ok for a minute at a time never resolves it
    beat(server, sid, token, paper="out")
    for _ in range(3):
        run_alerts(engine, t)
        t += MIN
    for i in range(20):
        beat(server, sid, token, paper="ok" if i % 2 == 0 else "out")
        run_alerts(engine, t)
        t += MIN
    (alert,) = history(engine, sid, "paper_out")
    assert alert.state == "open"
    beat(server, sid, token)
    run_alerts(engine, t)
    run_alerts(engine, t + 5 * MIN)
    assert [a.state for a in history(engine, sid, "paper_out")] == ["resolved"]


def test_paper_out_is_not_also_a_printer_fault(server, engine: Engine) -> None:  # noqa: ANN001
    sid, token = new_station(engine)
    # what PrintService reports when the roll ends: an error, because of the paper
    printer = {"state": "error", "detail": "offline, paper end", "paper_end": True, "paper_near_end": True}
    beat(server, sid, token, paper="out", devices={"printer": printer})
    t = now()
    for i in range(5):
        run_alerts(engine, t + i * MIN)
    assert set(active(engine, sid)) == {"paper_out"}
    beat(server, sid, token, paper="out", devices={"printer": {**printer, "cover_open": True}})
    for i in range(5, 10):
        run_alerts(engine, t + i * MIN)
    assert set(active(engine, sid)) == {"paper_out", "device_printer"}


def test_disabled_station_alerts_resolve(server, engine: Engine) -> None:  # noqa: ANN001
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from central.models import Station
    sid, token = new_station(engine)
    beat(server, sid, token, rejected_config={"version": 3, "reason": "bad"})
    run_alerts(engine, now())
    assert active(engine, sid)["config_rejected"].state == "open"
    with Session(engine) as s:
        s.execute(update(Station).where(Station.id == sid).values(disabled=True))
        s.commit()
    run_alerts(engine, later(1))
    assert active(engine, sid) == {}


def test_api_lists_acks_and_scopes(server, engine: Engine) -> None:  # noqa: ANN001
    sid, token = new_station(engine)
    beat(server, sid, token, rejected_config={"version": 3, "reason": "bad"}, paper="low")
    run_alerts(engine, now())
    east, west = server.staff["east"], server.staff["west"]
    r = server.client.get("/v1/counties/east/alerts?state=open", headers=server.as_(east["token"]))
    assert r.status_code == 200
    mine = [a for a in r.json() if a["station_id"] == sid]
    assert [a["kind"] for a in mine] == ["config_rejected"]  # paper_low is still pending: not shown
    alert = mine[0]
    assert alert["state"] == "open" and alert["acknowledged_at"] is None and alert["severity"] == "warning"
    # scoping: another county's staff 404, a station 403, no token 401, bad state 422
    assert server.client.get("/v1/counties/east/alerts", headers=server.as_(west["token"])).status_code == 404
    assert server.client.get("/v1/counties/east/alerts", headers=server.as_(token)).status_code == 403
    assert server.client.get("/v1/counties/east/alerts").status_code == 401
    assert server.client.get("/v1/counties/east/alerts?state=x",
                             headers=server.as_(east["token"])).status_code == 422
    # ack: a maintainer may, an operator may not, another county 404, a station 403
    url = f"/v1/alerts/{alert['id']}/ack"
    operator, maint = server.by_user["east-operator"], server.by_user["east-maint"]
    assert server.client.post(url, headers=server.as_(operator["token"])).status_code == 403
    assert server.client.post(url, headers=server.as_(west["token"])).status_code == 404
    assert server.client.post(url, headers=server.as_(token)).status_code == 403
    assert server.client.post("/v1/alerts/999999/ack", headers=server.as_(maint["token"])).status_code == 404
    assert server.client.post(url, headers=server.as_(maint["token"]), content=b"x" * 2000).status_code == 413
    r = server.client.post(url, headers=server.as_(maint["token"]))
    assert r.status_code == 200
    assert r.json()["acknowledged_by"] == "east-maint" and r.json()["acknowledged_at"]
    again = server.client.post(url, headers=server.as_(east["token"])).json()
    assert again["acknowledged_by"] == "east-maint"  # the first acknowledgement stays
    # resolved list
    beat(server, sid, token)
    run_alerts(engine, later(1))
    r = server.client.get("/v1/counties/east/alerts?state=resolved", headers=server.as_(east["token"]))
    done = [a for a in r.json() if a["station_id"] == sid]
    assert [a["kind"] for a in done] == ["config_rejected"] and done[0]["resolved_at"]
    assert done[0]["acknowledged_by"] == "east-maint"


def test_admin_pages_scope_ack_and_settings(server, engine: Engine) -> None:  # noqa: ANN001
    from central_helpers import admin_login, csrf_of

    sid, token = new_station(engine)
    beat(server, sid, token, update_failed={"version": "3.0", "reason": "no space"})
    run_alerts(engine, now())
    (alert,) = history(engine, sid, "update_failed")

    def as_user(name: str):  # noqa: ANN202
        account = server.by_user.get(name) or next(s for s in server.seed["staff"] if s["username"] == name)
        client = admin_login(server.base_url, account["username"], account["password"])
        page = client.get("/admin/alerts")
        return client, page

    west_admin = server.staff["west"]["username"]
    client, page = as_user(west_admin)
    assert page.status_code == 200 and sid not in page.text  # another county's alert is not listed
    r = client.post(f"/admin/alerts/{alert.id}/ack", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 404
    client, page = as_user("east-operator")  # may look, may not acknowledge or configure
    assert sid in page.text and f"ack-{alert.id}" not in page.text and "alert-settings" not in page.text
    assert client.post(f"/admin/alerts/{alert.id}/ack", data={"csrf": csrf_of(page.text)}).status_code == 403
    assert client.post("/admin/alerts/settings", data={"csrf": csrf_of(page.text)}).status_code == 403
    client, page = as_user("east-maint")
    assert client.post(f"/admin/alerts/{alert.id}/ack", data={"csrf": "forged"}).status_code == 403
    r = client.post(f"/admin/alerts/{alert.id}/ack", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert history(engine, sid, "update_failed")[0].acknowledged_by == "east-maint"
