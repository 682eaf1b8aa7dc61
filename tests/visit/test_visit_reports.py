"""Issue 16 in the visit: "report this job" (reason chips, one report per job per visit, a
random id per visit, committed to the real outbox with no personal data), the complaint number,
and the trust fields of kiosk.models.Job (older caches load with defaults). The reports then
go over real HTTP to the reference server: three different visits hide the job."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from visit_helpers import STATION, World, make_world

from kiosk.api import ApiClient
from kiosk.i18n import tr, translator
from kiosk.models import Job
from kiosk.receipts import job_slip
from kiosk.remote_config import AppliedConfig
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.visit import Step
from kiosk.visit import reports as rep
from kiosk.visit.core import HOTLINE
from tests.sync.sync_helpers import Central

JOB = "qh-0001"


def _rows(w: World) -> list[tuple]:
    with sqlite3.connect(w.outbox.path) as conn:
        return conn.execute("SELECT job_id, station_id, reason, visit, at FROM job_reports ORDER BY seq").fetchall()


def _report(w: World, reason: str = "fee") -> Step:
    v = w.visit
    assert v.ask_report() == Step("job_detail") and v.report_open
    v.choose_report_reason(reason)
    return v.send_report()


def test_a_report_needs_a_reason_and_goes_to_the_outbox_without_personal_data(world: World) -> None:
    v, w = world.visit, world
    v.start()
    v.card_laid(w.cards["resident"])  # even with a card on the reader, nothing of it is sent
    v.choose_job(JOB)
    v.ask_report()
    assert v.send_report() == Step("job_detail") and v.report_open  # no reason yet: nothing sent
    v.choose_report_reason("bribe")  # not a reason the chips offer
    assert v.report_reason == "" and _rows(w) == []
    v.choose_report_reason("false_info")
    assert v.report_reason == "false_info"
    assert v.send_report() == Step("job_detail", notice=rep.THANKS)
    assert not v.report_open and w.events[-1] == "job_reported" and w.sync.wakes == 1
    [(job, station, reason, visit, at)] = _rows(w)
    assert (job, station, reason, visit) == (JOB, STATION, "false_info", v.visit_ref)
    assert dt.datetime.fromisoformat(at).tzinfo is not None
    card = w.cards["resident"]
    with open(w.outbox.path, "rb") as f:
        raw = f.read()
    assert card.id_number.encode() not in raw and card.name.encode("utf-8") not in raw


def test_one_report_per_job_per_visit_and_a_new_id_per_visit(world: World) -> None:
    v, w = world.visit, world
    v.start()
    v.choose_job(JOB)
    _report(w)
    first_visit = v.visit_ref
    assert v.ask_report() == Step("job_detail", notice=rep.ALREADY) and not v.report_open
    v.choose_job("qh-0002")
    _report(w, "unpaid_wages")  # another job in the same visit: same visit id
    v.end("done")
    assert v.visit_ref != first_visit and len(v.visit_ref) == 16
    v.start()
    v.choose_job(JOB)
    _report(w, "other")
    assert [(r[0], r[2], r[3]) for r in _rows(w)] == [
        (JOB, "fee", first_visit), ("qh-0002", "unpaid_wages", first_visit), (JOB, "other", v.visit_ref)]
    assert w.events.count("job_reported") == 3


def test_cancel_and_the_end_of_a_visit_close_the_dialog(world: World) -> None:
    v = world.visit
    v.start()
    v.choose_job(JOB)
    v.ask_report()
    v.choose_report_reason("fee")
    assert v.cancel_report() == Step("job_detail") and not v.report_open and v.report_reason == ""
    v.ask_report()
    v.end("idle")
    assert not v.report_open and _rows(world) == []


def test_no_outbox_says_to_call(demo_store: Store, tmp_path: Path) -> None:
    v = make_world(demo_store, tmp_path, outbox=None).visit
    v.start()
    v.choose_job(JOB)
    assert v.ask_report().notice == rep.NOT_HERE and not v.report_open


def test_complaint_number_falls_back_to_help_then_hotline(world: World) -> None:
    v = world.visit
    assert v.complaint_number == HOTLINE
    v.apply_config(AppliedConfig(version=2, help_phone="0556-1234567"))
    assert v.complaint_number == "0556-1234567"
    v.apply_config(AppliedConfig(version=3, help_phone="0556-1234567", complaint_phone="0556-12333"))
    assert v.complaint_number == "0556-12333"


def _job(**over) -> Job:  # noqa: ANN003
    base = {"id": "qh-9", "title": "保洁", "category": "保洁", "employer": "示例公司", "headcount": 1,
            "pay_amount": 19, "pay_unit": "hour", "settlement": "daily", "start_date": "2026-11-24",
            "end_date": "2026-11-25", "address": "示例路1号", "lat": 31.3, "lng": 117.2}
    return Job.from_dict({**base, **over})


def test_job_trust_fields_from_the_wire_the_cache_and_old_caches() -> None:
    old = _job()  # a cache written before issue 16
    assert (old.employer_verified, old.guidance_amount, old.below_guidance) == (False, None, False)
    wire = _job(employer_verified=True, guidance={"amount": 25, "unit": "hour"})
    assert (wire.employer_verified, wire.guidance_amount) == (True, 25.0)
    assert Job.from_dict(wire.to_dict()) == wire  # the cache's form reads back the same
    assert _job(guidance={"amount": 25, "unit": "day"}).guidance_amount is None  # another unit: no comparison


@pytest.mark.parametrize("pay, guidance, low", [(19, 25, True), (20, 25, False), (19.99, 25, True),
                                                (25, 25, False), (100, None, False)])
def test_below_guidance_means_under_80_percent(pay: float, guidance: float | None, low: bool) -> None:
    job = _job(pay_amount=pay, guidance=None if guidance is None else {"amount": guidance, "unit": "hour"})
    assert job.below_guidance is low


def test_the_words_exist_in_both_languages_and_the_slip_carries_them(world: World) -> None:
    assert not translator().missing([*(m for _, m in rep.REASONS), rep.REPORT, rep.ASK, rep.SEND, rep.THANKS,
                                     rep.ALREADY, rep.NOT_HERE, rep.NO_FEE, rep.VERIFIED, rep.NOT_VERIFIED,
                                     rep.LOW_PAY])
    assert [tr(m, "zh") for _, m in rep.REASONS] == ["收费", "虚假信息", "拖欠工资", "其他"]
    job = _job(guidance={"amount": 25, "unit": "hour"})
    slip = job_slip(job, world.visit.station(), printed_at=dt.datetime(2026, 11, 23, 10), complaint_phone="12333")
    text = "\n".join(getattr(b, "text", "") for b in slip.blocks)
    assert "企业未认证" in text
    assert "工资低于本县指导价（25元/时）" in text and "求职不收任何费用" in text and "12333" in text
    verified = job_slip(replace(job, employer_verified=True, pay_amount=30), world.visit.station(),
                        printed_at=dt.datetime(2026, 11, 23, 10), complaint_phone="12333")
    text = "\n".join(getattr(b, "text", "") for b in verified.blocks)
    assert "已认证企业" in text and "指导价" not in text


def test_the_visit_prints_the_trust_lines(world: World) -> None:
    v = world.visit
    v.start()
    v.choose_job(JOB)
    v.print_slip()
    text = "\n".join(getattr(b, "text", "") for b in world.printer.receipts[-1].blocks)
    assert "求职不收任何费用" in text and HOTLINE in text


# --- over real HTTP ----------------------------------------------------------------------------------
def test_reports_from_three_visits_reach_central_and_hide_the_job(demo_store: Store, tmp_path: Path) -> None:
    central = Central(tmp_path / "central")
    try:
        api = ApiClient(from_dict({"api": {"base_url": central.base_url, "token": central.station["token"],
                                           "connect_timeout_s": 1.0, "read_timeout_s": 5.0}}).api, retries=0)
        w = make_world(demo_store, tmp_path)
        v = w.visit
        for reasons in (("fee", "other"), ("fee",), ("unpaid_wages",)):  # three visits
            v.start()
            v.choose_job(JOB)
            for reason in reasons:
                v.reported_jobs.clear()  # as if the kiosk restarted mid-visit: the same visit id
                _report(w, reason)
            v.end("done")
        assert w.outbox.reports_pending() == 4
        assert w.outbox.flush(api) == (4, 0) and _rows(w) == []
        with central.staff_client() as staff:
            queue = staff.get(f"/v1/counties/{central.station['county']}/job-reports").json()
            [group] = [g for g in queue["jobs"] if g["job_id"] == JOB]
            assert (group["reports"], group["visits"], group["job_status"]) == (4, 3, "review")
        page = api.jobs_page(STATION, None, limit=1000)
        jobs = {j["id"]: j for j in page["jobs"]}
        while page["has_more"]:
            page = api.jobs_page(STATION, page["cursor"], limit=1000)
            jobs |= {j["id"]: j for j in page["jobs"]}
        assert JOB not in jobs and "qh-0002" in jobs
        # The demo's trust data (assets/demo/trust.json) reaches the kiosk's model.
        verified, low = Job.from_dict(jobs["qh-0132"]), Job.from_dict(jobs["qh-0107"])
        assert verified.employer_verified and not verified.below_guidance
        assert (low.employer_verified, low.guidance_amount, low.below_guidance) == (False, 25.0, True)
    finally:
        central.stop()


def test_job_to_dict_names_every_field() -> None:
    """Job.to_dict is written out by hand for speed: a field added to Job must be added there
    too, or the cache silently drops it (it dropped the trust fields once, in a merge)."""
    from dataclasses import fields

    assert set(_job().to_dict()) == {f.name for f in fields(Job)}
