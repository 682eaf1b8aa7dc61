"""Issue 16 end to end on both databases: the kiosk's own Outbox sends job reports with its
ApiClient to the reference server through a link that loses the first answer; the resend is
replayed (one report at central), and reports from three different visits hide the job from
the station's delta."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_helpers import job_body

from kiosk.api import ApiClient, ApiOffline
from kiosk.netsim import FaultProxy
from kiosk.outbox import Outbox
from kiosk.settings import from_dict

STATION = "e-park"


@pytest.fixture
def link(server) -> Iterator[FaultProxy]:  # noqa: ANN001
    host, port = server.base_url.removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)))
    yield proxy
    proxy.stop()


def test_reports_are_sent_exactly_once_and_hide_the_job(server, link: FaultProxy, tmp_path: Path) -> None:  # noqa: ANN001
    staff = server.as_(server.staff["east"]["token"])
    r = server.client.post("/v1/jobs", json=job_body(), headers=staff)
    assert r.status_code == 201, r.text
    job = r.json()["id"]
    api = ApiClient(from_dict({"api": {"base_url": link.url, "token": server.stations[STATION]["token"],
                                       "connect_timeout_s": 2.0, "read_timeout_s": 5.0}}).api, retries=0)
    outbox = Outbox(tmp_path / "data", tmp_path / "keys" / "outbox.key")
    at = dt.datetime.now(dt.UTC)
    key = outbox.report(job_id=job, station_id=STATION, reason="fee", visit=uuid.uuid4().hex, at=at)
    link.set("cut")  # central stores it, the kiosk never hears
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    assert outbox.reports_pending() == 1 and outbox.pending() == 1
    link.set("pass")
    assert outbox.flush(api) == (1, 0)
    sent = [q for q in link.requests if q.method == "POST" and q.path == "/v1/job-reports"]
    assert [q.idempotency_key for q in sent] == [key, key]

    def group() -> dict:
        queue = server.client.get("/v1/counties/east/job-reports", headers=staff).json()
        return next(g for g in queue["jobs"] if g["job_id"] == job)

    assert (group()["reports"], group()["visits"], group()["job_status"]) == (1, 1, "open")
    for _ in range(2):  # two more visits
        outbox.report(job_id=job, station_id=STATION, reason="unpaid_wages", visit=uuid.uuid4().hex, at=at)
    assert outbox.flush(api) == (2, 0)
    assert (group()["reports"], group()["visits"], group()["job_status"]) == (3, 3, "review")
    page = api.jobs_page(STATION, None, limit=1000)
    assert job not in {j["id"] for j in page["jobs"]}
    # A report of a job central does not know is final: dropped, not retried forever.
    outbox.report(job_id="e-gone", station_id=STATION, reason="other", visit=uuid.uuid4().hex, at=at)
    assert outbox.flush(api) == (0, 0)
