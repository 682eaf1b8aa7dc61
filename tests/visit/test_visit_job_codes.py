"""The job's QR code (screen and slip) is useful to a phone and still opens the job here
(issue 18 item 16), and slips come in the visit's language (item 13)."""

from __future__ import annotations

from visit_helpers import World

from kiosk import jobcode
from kiosk.codes import route
from kiosk.receipts import Qr
from kiosk.remote_config import AppliedConfig


def _first_job(w: World) -> str:
    w.visit.open_jobs()
    return w.visit.rows[0]["job_id"]


def test_the_slip_qr_is_a_readable_summary_with_the_contact_that_opens_the_job_here(world: World) -> None:
    v = world.visit
    job_id = _first_job(world)
    v.choose_job(job_id)
    v.print_slip()
    code = world.printer.receipts[0].qr_data
    job = v.job
    lines = code.split("\n")
    assert lines[0] == job.title and job.contact in code and lines[1].startswith(job.pay_text("zh"))
    assert lines[-1].endswith(f"job:{job_id}") and len(code.encode()) <= jobcode.MAX_BYTES
    assert route(code, v.settings).value == job_id  # the code read back by the router
    v.end("done")
    v.start()
    v.code_scanned(code)  # the seeker holds the slip to the kiosk's camera: the job opens
    assert v.screen == "job_detail" and v.job.id == job_id


def test_every_demo_job_summary_fits_the_budget_in_both_languages(world: World) -> None:
    jobs = [world.store.get_job(r[0]) for r in world.store.conn.execute("SELECT id FROM jobs")]
    assert len(jobs) > 100
    for job in jobs:
        for lang in ("zh", "en"):
            code = jobcode.summary(job, lang)
            assert len(code.encode()) <= jobcode.MAX_BYTES, (job.id, code)
            assert jobcode.job_id_in_summary(code) == job.id and job.title[:2] in code


def test_a_long_address_is_shortened_not_the_contact() -> None:
    import dataclasses

    from visit_helpers import NOW

    from kiosk import demo_data

    job = demo_data.load_jobs(NOW.date())[0]
    long = dataclasses.replace(job, address="青禾县" * 40, title="很长的岗位名称" * 6)
    code = jobcode.summary(long, "zh")
    assert len(code.encode()) <= jobcode.MAX_BYTES and job.contact in code and jobcode.ELLIPSIS in code
    assert jobcode.job_id_in_summary(code) == job.id


def test_english_visit_gets_an_english_slip_and_summary(world: World) -> None:
    v = world.visit
    v.set_language("en")
    v.choose_job(_first_job(world))
    v.print_slip()
    receipt = world.printer.receipts[0]
    text = str(receipt)
    assert "Gig job information" in text and "零工岗位信息" not in text
    assert "Qinghe People's Park Gig Station" in text and "青禾县人民公园零工驿站" not in text
    assert receipt.qr_data.split("\n")[1].startswith(world.visit.job.pay_text("en")) and "Contact: " in receipt.qr_data


def test_the_countys_public_job_page_goes_in_the_qr_and_opens_the_job(world: World) -> None:
    v = world.visit
    v.apply_config(AppliedConfig(version=4, public_job_url="https://zp.qinghe.example/jobs/{job_id}?from=kiosk"))
    job_id = _first_job(world)
    v.choose_job(job_id)
    v.print_slip()
    receipt = world.printer.receipts[0]
    url = f"https://zp.qinghe.example/jobs/{job_id}?from=kiosk"
    assert receipt.qr_data == url and [b.data for b in receipt.blocks if isinstance(b, Qr)] == [url]
    v.end("done")
    v.start()
    v.code_scanned(url)
    assert v.screen == "job_detail" and v.job.id == job_id
    v.back()
    assert v.code_scanned("https://zp.qinghe.example/jobs/../x?from=kiosk").notice  # not a job id: refused
    assert v.code_scanned("https://evil.example/jobs/" + job_id + "?from=kiosk").notice


def test_other_multi_line_text_is_not_a_job() -> None:
    from kiosk.settings import from_dict

    s = from_dict({})
    assert route("hello\nworld", s).kind == "unrecognised"
    assert route("a\nb job:x y", s).kind == "unrecognised"
    assert route("a\n\x07job:qh-1", s).kind == "unrecognised"  # other control characters still refused
    assert route("title\r\nJob code: job:qh-0001\r\n", s).value == "qh-0001"


def test_public_job_url_is_validated() -> None:
    import pytest
    from pydantic import ValidationError

    from kiosk.remote_config import StationConfig

    assert StationConfig(public_job_url="https://a.example/j/{job_id}").public_job_url
    for bad in ("http://a.example/j/{job_id}", "https://a.example/j/", "https://a.example/{job_id} x",
                "javascript:alert(1)//{job_id}", "https://a.example/" + "x" * 200 + "{job_id}"):
        with pytest.raises(ValidationError):
            StationConfig(public_job_url=bad)


def test_english_rows_and_titles_translate_the_kiosks_own_words(world: World) -> None:
    """Category and pay words inside the job data (kiosk/categories.json, kiosk/title_words.json)."""
    v = world.visit
    v.set_language("en")
    v.open_jobs()
    titles = [r["title"] for r in v.rows]
    assert not any("（日结）" in t for t in titles)
    daily = [t for t in titles if t.endswith("(paid daily)")]
    assert daily, titles[:10]
    job = next(j for j in (world.store.get_job(r["job_id"]) for r in v.rows) if j.category == "保洁")
    assert job.category_text("en") == "Cleaning" and job.category_text("zh") == "保洁"
    assert job.title_text("zh") == job.title


def test_a_chinese_visit_keeps_the_chinese_slip(world: World) -> None:
    v = world.visit
    v.choose_job(_first_job(world))
    v.print_slip()
    text = str(world.printer.receipts[0])
    assert "零工岗位信息" in text and "青禾县人民公园零工驿站" in text
