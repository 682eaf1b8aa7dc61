"""Admin page: the county's rollout. Per station the release it runs (heartbeat), the one
assigned to it (its own, else the county's), pending / failed; assign a release to the
county or to one station (a canary first). Signing: central.releases.tuf_repo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from packaging.version import Version
from sqlalchemy import select

from central import services
from central.admin.routes import Db, FormData, Me, StationManager, check_csrf, render
from central.models import County, Release, ReleaseAssignment, Station
from central.releases import tuf_repo

router = APIRouter(prefix="/admin", include_in_schema=False)


def _page(request: Request, s: Any, me: Any, message: str = "", error: str = "",
          status: int = 200) -> HTMLResponse:
    stations = s.scalars(select(Station).where(Station.county == me.county).order_by(Station.id)).all()
    assigned = tuf_repo.effective_assignments(s)
    own = {a.station_id: a.version for a in s.scalars(select(ReleaseAssignment).where(
        ReleaseAssignment.county == me.county, ReleaseAssignment.station_id.is_not(None)))}
    county_row = s.scalars(select(ReleaseAssignment).where(
        ReleaseAssignment.county == me.county, ReleaseAssignment.station_id.is_(None))).first()
    rows = []
    for st in stations:
        want = assigned.get(st.id)
        running = st.app_version
        failed = st.update_failed_version
        if failed and failed == want:
            state = "failed"
        elif want and running != want:
            state = "pending"
        elif want:
            state = "current"
        else:
            state = "none"
        rows.append({"id": st.id, "name": st.name, "name_en": st.name_en, "running": running,
                     "assigned": want, "canary": st.id in own, "state": state,
                     "failed_version": failed, "failed_reason": st.update_failed_reason,
                     "last_heartbeat_at": services.iso(services.as_utc(st.last_heartbeat_at))
                     if st.last_heartbeat_at else None})
    versions = sorted(s.scalars(select(Release.version)).all(), key=Version, reverse=True)
    return render(request, "releases.html", me, status=status, county=s.get(County, me.county),
                  stations=rows, releases=versions,
                  county_version=county_row.version if county_row else None,
                  message=message, error=error)


@router.get("/releases")
def releases_page(request: Request, s: Db, me: Me) -> HTMLResponse:
    return _page(request, s, me)


@router.post("/releases/assign")
def releases_assign(request: Request, me: StationManager, form: FormData) -> HTMLResponse:
    check_csrf(request, form.get("csrf", ""))
    version = form.get("version", "")
    station_id = form.get("station") or None
    with request.app.state.sessions() as s:
        if station_id is not None:
            services.in_county(s, Station, station_id, me.county)  # 404 for another county's
        try:
            out = tuf_repo.assign(s, request.app.state.cipher, version, tuf_repo.now_utc(),
                                  county=None if station_id else me.county, station=station_id)
        except tuf_repo.ReleaseError as exc:
            s.rollback()
            return _page(request, s, me, error=str(exc), status=422)
        s.commit()
        ours = {st.id for st in s.scalars(select(Station).where(Station.county == me.county))}
        count = len(ours & set(out["stations"]))  # never another county's stations
        return _page(request, s, me, message=f"{version} → {station_id or me.county}: "
                                             f"本县 {count} 个驿站将运行此版本 / {count} stations of "
                                             "this county will run it")
