"""Issue 12 end to end on both databases: the kiosk's own ApiClient and Outbox look a seeker's
registrations up and withdraw one at the reference server, on SQLite and PostgreSQL, through
a link that loses the first answer (the resend is answered the same, one erasure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_helpers import application, id_number

from kiosk.api import ApiClient, ApiOffline
from kiosk.netsim import FaultProxy
from kiosk.outbox import Outbox
from kiosk.settings import from_dict
from tests.sync.sync_helpers import erasures, withdraw_requests

STATION = "e-park"


@pytest.fixture
def link(server) -> Iterator[FaultProxy]:  # noqa: ANN001
    host, port = server.base_url.removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)))
    yield proxy
    proxy.stop()


def _apply(server, job: str, number: str) -> str:  # noqa: ANN001
    r = server.client.post("/v1/applications", json=application(STATION, job_id=job, id_number=number),
                           headers={**server.as_(server.stations[STATION]["token"]),
                                    "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_kiosk_looks_up_and_withdraws_exactly_once(server, link: FaultProxy, tmp_path: Path) -> None:  # noqa: ANN001
    number = id_number(777)
    older, newer = _apply(server, "e-003", number), _apply(server, "e-004", number)
    staff = server.as_(server.by_user["east-operator"]["token"])
    r = server.client.post(f"/v1/applications/{older}/outcome", json={"status": "contacted"}, headers=staff)
    assert r.status_code == 200, r.text
    api = ApiClient(from_dict({"api": {"base_url": link.url, "token": server.stations[STATION]["token"],
                                       "connect_timeout_s": 2.0, "read_timeout_s": 5.0}}).api, retries=0)
    rows = api.my_applications(number, station_id=STATION)
    assert [(r["id"], r["status"], r["job_open"]) for r in rows] == [(newer, "new", True), (older, "contacted", True)]

    outbox = Outbox(tmp_path / "data", tmp_path / "keys" / "outbox.key")
    key = outbox.withdraw(app_id=older, station_id=STATION, id_number=number).idempotency_key
    link.set("cut")  # central erases, the kiosk never hears it
    with pytest.raises(ApiOffline):
        outbox.flush(api)
    link.set("pass")
    assert outbox.flush(api) == (1, 0) and outbox.withdrawal_status(older) == "withdrawn"
    assert [r.idempotency_key for r in withdraw_requests(link)] == [key, key]
    assert erasures(server.database_url).get(older) == 1
    assert [r["id"] for r in api.my_applications(number, station_id=STATION)] == [newer]
    inbox = server.client.get("/v1/counties/east/applications", params={"status": "withdrawn"}, headers=staff)
    mine = [a for a in inbox.json()["applications"] if a["id"] == older]
    assert [(a["erased"], a["seeker"]) for a in mine] == [(True, None)]


@pytest.mark.parametrize("outcome", [("contacted", "hired"), ("no_answer", "not_hired")])
def test_a_finished_application_is_withdrawn_too(server, outcome: tuple[str, str]) -> None:  # noqa: ANN001
    """The kiosk lists hired / not hired registrations and offers to withdraw them (CONTRACTS:
    withdraw erases at once, 200). Central answered 409 "cannot go from hired to withdrawn",
    so the seeker read "Withdrawn" while their details stayed. Now the personal data goes at
    once and the outcome stays (as the retention purge keeps it: counts survive)."""
    number = id_number(780 + len(outcome[1]))
    app = _apply(server, "e-005" if outcome[1] == "hired" else "e-006", number)
    staff = server.as_(server.by_user["east-operator"]["token"])
    for status in outcome:
        assert server.client.post(f"/v1/applications/{app}/outcome", json={"status": status},
                                  headers=staff).status_code == 200
    api = ApiClient(from_dict({"api": {"base_url": server.base_url, "token": server.stations[STATION]["token"]}}).api,
                    retries=0)
    assert app in [r["id"] for r in api.my_applications(number, station_id=STATION)]
    assert api.withdraw_application(app, number, str(uuid.uuid4()), station_id=STATION) == {
        "id": app, "status": "withdrawn"}
    assert api.withdraw_application(app, number, str(uuid.uuid4()), station_id=STATION)["status"] == "withdrawn"
    assert api.my_applications(number, station_id=STATION) == []
    inbox = server.client.get("/v1/counties/east/applications", params={"status": outcome[1], "limit": 200},
                              headers=staff).json()["applications"]
    assert [(a["status"], a["erased"], a["seeker"]) for a in inbox if a["id"] == app] == [(outcome[1], True, None)]
    assert erasures(server.database_url).get(app) == 1


def test_concurrent_resends_erase_once(server) -> None:  # noqa: ANN001
    """A kiosk whose read timed out resends while the first request still runs: eight
    withdrawals of one application at the same moment make one erasure, and the county's
    counts move by one."""
    import threading

    number = id_number(790)
    app = _apply(server, "e-007", number)
    staff = server.as_(server.by_user["east-operator"]["token"])
    before = server.client.get("/v1/counties/east/applications", headers=staff).json()["counts"]
    token = server.stations[STATION]["token"]
    start, answers = threading.Barrier(8), []

    def send() -> None:
        api = ApiClient(from_dict({"api": {"base_url": server.base_url, "token": token,
                                           "read_timeout_s": 30.0}}).api, retries=0)
        start.wait()
        try:
            answers.append(api.withdraw_application(app, number, str(uuid.uuid4()), station_id=STATION)["status"])
        except Exception as exc:  # noqa: BLE001 - the answer is what the test checks
            answers.append(repr(exc))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == ["withdrawn"] * 8
    assert erasures(server.database_url).get(app) == 1
    after = server.client.get("/v1/counties/east/applications", headers=staff).json()["counts"]
    assert (after["new"], after["withdrawn"]) == (before["new"] - 1, before["withdrawn"] + 1)


def test_concurrent_outcomes_count_once(server) -> None:  # noqa: ANN001
    """Two operators (or a double click) record "contacted" at the same moment: one takes
    effect (one status change, counted once), the others get 409 — whether their requests
    really overlap (the row claim refuses the stale read) or arrive one after the other on a
    busy server (contacted → contacted is not a move). "No answer" is not used here: a second
    no_answer after the first has committed is a real second attempt, so the outcome of that
    race depends on timing."""
    import threading

    app = _apply(server, "e-008", id_number(791))
    staff = server.as_(server.by_user["east-operator"]["token"])
    before = server.client.get("/v1/counties/east/applications", headers=staff).json()["counts"]
    start, codes = threading.Barrier(6), []

    def send() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as c:
            start.wait()
            codes.append(c.post(f"/v1/applications/{app}/outcome", json={"status": "contacted"},
                                headers=staff).status_code)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [200] + [409] * 5
    after = server.client.get("/v1/counties/east/applications", headers=staff).json()["counts"]
    assert after.get("contacted", 0) == before.get("contacted", 0) + 1
    assert after["new"] == before["new"] - 1
