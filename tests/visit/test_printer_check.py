"""The printer self-check's rules, headless: the maintenance test page's codes A (native QR)
and B (image QR) read by the kiosk's own camera switch QR to native only when A was read, are
accepted only while the check is pending in maintenance, and are remembered in data_dir."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from visit_helpers import CODES, NOW, STATION, RecordingPrinter, World, make_world

from kiosk import printer_check
from kiosk.codes import PRINTER_TEST, UNRECOGNISED, make_maintenance_code, route
from kiosk.printer_check import PrinterCheck, effective_qr
from kiosk.receipts import Qr, Receipt, Row
from kiosk.store import Store


@dataclass
class CheckedPrinter(RecordingPrinter):
    """What the visit uses of the print service for the check (the real one is tested in
    tests/printer/test_printer_check_service.py): QR mode and GS I answers."""

    qr_checks: list[str] = field(default_factory=list)
    printer_info: dict[str, str] | None = None
    native: bool = False

    def submit_built(self, build) -> str:  # noqa: ANN001
        return self.submit(build(self.printer_info))

    def use_qr_check(self, result: str, native: bool, printer_info: dict[str, str] | None = None) -> None:
        self.qr_checks.append(result)
        self.native = native


@pytest.fixture
def w(demo_store: Store, tmp_path: Path) -> World:
    return make_world(demo_store, tmp_path, printer=CheckedPrinter(printer_info={"model": "TM-T88V"}))


def _maintenance(w: World, ttl_s: float = 3600) -> None:
    code = make_maintenance_code(CODES["maintenance_signing_key_DEMO_ONLY"], STATION, ttl_s=ttl_s,
                                 now=w.clock.now().timestamp())
    assert w.visit.code_scanned(code).screen == "maintenance"


def _codes(receipt: Receipt) -> dict[str, str]:
    """The test page's QR codes: mode -> payload."""
    return {b.mode: b.data for b in receipt.blocks if isinstance(b, Qr)}


def _print_page(w: World) -> dict[str, str]:
    assert w.visit.print_test_page().screen == "printing"
    return _codes(w.visit.printer.receipts[-1])


def _saved(w: World) -> dict:
    return json.loads((w.visit.settings.storage.data_dir / printer_check.FILE).read_text())


def test_the_test_page_carries_fresh_codes_and_the_printers_own_answers(w: World) -> None:
    _maintenance(w)
    first = _print_page(w)
    assert set(first) == {"native", "image"}
    assert first["native"].startswith("ptest:A:") and first["image"].startswith("ptest:B:")
    assert first["native"][8:] == first["image"][8:]  # one page, one nonce
    assert _print_page(w)["native"] != first["native"]  # each page its own
    rows = [b for b in w.visit.printer.receipts[-1].blocks if isinstance(b, Row)]
    assert any(r.key.startswith("型号 model") and r.value == "TM-T88V" for r in rows)


def test_code_a_read_switches_to_native_and_is_remembered(w: World, demo_store: Store, tmp_path: Path) -> None:
    v = w.visit
    assert v.printer_check.result == "unchecked" and w.visit.printer.qr_checks == ["unchecked"]
    _maintenance(w)
    codes = _print_page(w)
    step = v.code_scanned(codes["native"])
    assert step.notice.startswith("Code A read") and step.screen == "maintenance"  # back from printing
    assert v.printer_check.result == "native" and w.visit.printer.qr_checks[-1] == "native"
    assert w.visit.printer.native is True
    saved = _saved(w)
    assert saved["native_read"] is True and saved["model"] == "generic"
    assert saved["printer_info"] == {"model": "TM-T88V"}
    # After a restart the print service starts native straight away.
    again = make_world(demo_store, tmp_path, printer=CheckedPrinter())
    assert again.visit.printer.qr_checks == ["native"]


def test_only_code_b_read_keeps_image_and_a_later_a_still_switches(w: World) -> None:
    v = w.visit
    _maintenance(w)
    codes = _print_page(w)
    assert v.code_scanned(codes["image"]).notice.startswith("Code B read: image QR works")
    assert v.printer_check.result == "image" and w.visit.printer.qr_checks[-1] == "image"
    assert w.visit.printer.native is False
    assert ("Test page", "Code B read; code A not yet", "") in v.printer_check_rows()
    v.code_scanned(codes["native"])
    assert v.printer_check.result == "native"
    assert ("Test page", "Codes A and B read", "") in v.printer_check_rows()
    assert ("QR printed as", "Native", "") in v.printer_check_rows()


def test_a_new_page_where_only_b_scans_goes_back_to_image(w: World) -> None:
    """A new check replaces the old one (e.g. the printer was swapped for one of the same model)."""
    v = w.visit
    _maintenance(w)
    v.code_scanned(_print_page(w)["native"])
    assert v.printer_check.result == "native"
    v.code_scanned(_print_page(w)["image"])
    assert v.printer_check.result == "image" and _saved(w)["native_read"] is False


def test_codes_count_only_while_a_check_is_pending_in_maintenance(w: World) -> None:
    v = w.visit
    refused = "A printer test code: print a new test page in maintenance first."
    nonce = "0123456789abcdef"
    assert v.code_scanned(f"ptest:A:{nonce}").notice == refused  # no page printed
    _maintenance(w, ttl_s=600)
    old = _print_page(w)
    new = _print_page(w)
    assert v.code_scanned(old["native"]).notice == refused  # an earlier page's code
    v.end("maintenance done")
    assert v.code_scanned(new["native"]).notice == refused  # maintenance is over
    _maintenance(w, ttl_s=60)
    page = _print_page(w)
    w.clock.advance(61)  # access ran out before the tick noticed
    assert v.code_scanned(page["native"]).notice == refused
    assert v.printer_check.result == "unchecked"
    assert not (v.settings.storage.data_dir / printer_check.FILE).exists()


def test_the_result_belongs_to_the_printer_model_it_was_taken_on(tmp_path: Path) -> None:
    chk = PrinterCheck.in_dir(tmp_path, "epson-tm-t88")
    nonce = chk.begin()
    assert chk.seen("A", nonce, now=NOW.timestamp()) == "native"
    assert PrinterCheck.in_dir(tmp_path, "epson-tm-t88").result == "native"
    assert PrinterCheck.in_dir(tmp_path, "xprinter-xp80").result == "unchecked"


@pytest.mark.parametrize("content", ["", "{", "[]", '{"model": "generic"}', '{"model": "generic", '
                                     '"native_read": "yes", "image_read": false, "checked_at": 1}'])
def test_an_unreadable_result_is_unchecked(tmp_path: Path, content: str) -> None:
    (tmp_path / printer_check.FILE).write_text(content)
    assert PrinterCheck.in_dir(tmp_path, "generic").result == "unchecked"


def test_which_qr_prints() -> None:
    assert effective_qr("image", None, "unchecked") == "image"  # generic: image until confirmed
    assert effective_qr("native", None, "unchecked") == "native"  # the model table's sourced value
    assert effective_qr("image", None, "native") == "native"  # A was read
    assert effective_qr("native", None, "image") == "image"  # only B was read
    assert effective_qr("native", "image", "native") == "image"  # the station's config wins


@pytest.mark.parametrize("text", ["ptest:A:0123456789abcdef", "ptest:B:fedcba9876543210"])
def test_test_codes_route_as_their_own_kind(world: World, text: str) -> None:
    r = route(text, world.visit.settings)
    assert r.kind == PRINTER_TEST and r.value == text[6:]


@pytest.mark.parametrize("text", ["ptest:C:0123456789abcdef", "ptest:A:0123", "ptest:A:0123456789ABCDEF",
                                  "ptest:A:0123456789abcdef:x", "PTEST:A:0123456789abcdef"])
def test_malformed_test_codes_are_unrecognised(world: World, text: str) -> None:
    assert route(text, world.visit.settings).kind == UNRECOGNISED
