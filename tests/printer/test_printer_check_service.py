"""The test page's self-check on the real print service and simulated families: the printer is
asked GS I just before the page (answers printed on it, silence = unknown), the page's codes are
read back from what the printer drew, and the check's result decides the next slip's QR."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import zxingcpp
from printer_testkit import Events

from devices.printer import preview
from devices.printer.render import render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from devices.printer.service import PrintService
from devices.printer.simulator import PrinterSimulator
from devices.printer.status import ReplyReader, encode_status, info_request
from kiosk import printer_models as models
from kiosk import receipts as r
from kiosk.printer_check import PrinterCheck, qr_for
from kiosk.settings import PrinterSettings

GS_QR = b"\x1d(k"


def _service(sim: PrinterSimulator, key: str, ev: Events, **settings: object) -> PrintService:
    host, port = sim.start()
    cfg = PrinterSettings(connection="network", host=host, port=port, model=key, **settings)
    return PrintService(cfg, on_job_done=ev.on_done, on_job_problem=ev.on_problem, poll_s=0.05,
                        idle_poll_s=0.1, status_timeout_s=0.3)


def _test_page(svc: PrintService, nonce: str):  # noqa: ANN202
    def build(info: dict[str, str] | None) -> r.Receipt:
        return r.maintenance_test_page(SAMPLE_STATION, printed_at=SAMPLE_TIME, device_status={},
                                       paper=svc.options.paper, check_nonce=nonce, printer_info=info)
    return build


@pytest.mark.parametrize(("key", "info", "read"), [
    # Epson TM-T88: answers GS I, draws its own QR: A and B scan -> native
    ("epson-tm-t88", {"model": "TM-T88V", "maker": "EPSON", "firmware": "30.01 ESC/POS",
                      "fonts": "CHINA GB18030"}, {"A", "B"}),
    # XP-58 class (ZJ-5890): no GS I answer, no QR command (A prints as text) -> image
    ("xprinter-xp58", {}, {"B"}),
])
def test_the_self_check_on_a_simulated_family(tmp_path: Path, key: str, info: dict, read: set) -> None:
    ev = Events()
    check = PrinterCheck.in_dir(tmp_path, key)
    m = models.resolve(key)
    with PrinterSimulator.family(key) as sim:
        svc = _service(sim, key, ev)
        svc.use_qr_check(check.result, qr_for(svc.settings, check.result) == "native")
        svc.start()
        try:
            nonce = check.begin()
            job = svc.submit_built(_test_page(svc, nonce))
            assert ev.wait(lambda: [j for j, _ in ev.done] == [job], 15), (svc.status, ev.problems)
            assert sim.wait_printed(1, 5)
            drawn = preview.render_preview(sim.printed[0], m.dots, sim.emulation)
            assert svc.printer_info == info and svc.health()["gs_i"] == info
            if info:
                assert "型号 model：TM-T88V" in drawn.text
            else:
                assert any("无应答 no answer" in line for line in drawn.text)
            # The GS I questions put nothing on the slip: it is exactly the page with the answers.
            assert sim.printed[0] == render(_test_page(svc, nonce)(info), svc.options)
            # The maintainer holds the slip to the camera: what reads is what the printer drew.
            codes = [c.text for c in zxingcpp.read_barcodes(drawn.image.convert("L"))]
            assert {c.split(":")[1] for c in codes} == read
            for code in codes:
                _, mark, got = code.split(":")
                check.seen(mark, got, svc.printer_info)
            expected = "native" if "A" in read else "image"
            assert check.result == expected
            svc.use_qr_check(check.result, qr_for(svc.settings, check.result) == "native",
                             check.record.printer_info)
            assert svc.health()["qr_check"] == expected
            job = svc.submit(r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME))
            assert ev.wait(lambda: len(ev.done) == 2, 15)
            assert sim.wait_printed(2, 5)
            assert (GS_QR in sim.printed[1]) is (expected == "native")
        finally:
            svc.stop()


def test_native_only_after_code_a_and_the_config_wins() -> None:
    """The rule (kiosk.printer_check.qr_for) as the print service applies it."""

    def native_after(result: str, **cfg: object) -> bool:
        svc = PrintService(PrinterSettings(connection="network", **cfg))
        svc.use_qr_check(result, qr_for(svc.settings, result) == "native")
        assert svc.health()["qr_check"] == result
        return svc.options.native_qr

    assert PrintService(PrinterSettings(connection="network")).options.native_qr is False
    assert native_after("unchecked") is False  # generic: image until confirmed
    assert native_after("native") is True
    assert native_after("image", model="epson-tm-t88") is False  # only B read
    assert native_after("unchecked", model="epson-tm-t88") is True  # the model table's sourced value
    assert native_after("native", qr="image") is False  # the station's config wins


def test_gs_i_answers_are_read_apart_from_status_bytes() -> None:
    reader = ReplyReader()
    # 'R' (0x52) and 'V' (0x56) have a status byte's fixed bits: inside an answer they are text.
    answer = b"_TM-T88V R\x00"
    reader.feed(answer[:4])
    assert reader.infos == [] and reader.statuses == []  # the rest is on its way
    reader.feed(answer[4:] + bytes([encode_status(1)]))
    assert reader.infos == ["TM-T88V R"] and reader.statuses == [0x12]
    reader.feed(b"_" + b"x" * 100)  # no NUL in sight: noise, skipped byte by byte
    assert reader.infos == ["TM-T88V R"]
    reader.feed(b"_\x1b\x07ok\x00")  # control bytes are never kept
    assert reader.infos[-1] == "ok"


@pytest.mark.parametrize(("key", "answer"), [
    ("epson-tm-t82", b"_TM-T82\x00"), ("epson-tm-t88", b"_TM-T88V\x00"), ("generic", b""), ("hprt", b""),
])
def test_gs_i_is_answered_only_by_families_that_have_it(key: str, answer: bytes) -> None:
    with PrinterSimulator.family(key) as sim, socket.create_connection(sim.start()) as conn:
        conn.settimeout(0.5)
        conn.sendall(info_request(67))
        try:
            got = conn.recv(64)
        except TimeoutError:
            got = b""
    assert got == answer
    with pytest.raises(ValueError):
        info_request(1)
