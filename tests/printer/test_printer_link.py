"""The link never lets a driver exception kill the print thread; USB endpoints come from the
descriptor; the Cashino slip-not-taken bit is a state, not noise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest
from printer_testkit import Events, PrinterSimulator, wait_until

from devices.base import DeviceGone
from devices.printer.link import CONNECTIONS, FileConnection, Link, UsbConnection, bulk_endpoints
from devices.printer.service import PrintService
from devices.printer.status import ReplyReader, encode_status, parse_status
from kiosk.settings import PrinterSettings


@dataclass
class Ep:
    bEndpointAddress: int  # noqa: N815 (pyusb's descriptor field names)
    bmAttributes: int = 0x02  # bulk  # noqa: N815


class Intf(list):
    def __init__(self, cls: int, *eps: Ep) -> None:
        super().__init__(eps)
        self.bInterfaceClass = cls


def test_endpoints_are_read_from_the_descriptor() -> None:
    # 0416:5011 clones: 0x81/0x03 and 0x81/0x01 in public code, never the assumed 0x82/0x01
    assert bulk_endpoints([Intf(7, Ep(0x81), Ep(0x03))]) == (0x81, 0x03)
    assert bulk_endpoints([Intf(3, Ep(0x84, 0x03)), Intf(7, Ep(0x02), Ep(0x82))]) == (0x82, 0x02)
    assert bulk_endpoints([Intf(7, Ep(0x01))]) == (None, 0x01)  # no IN endpoint: write-only
    assert bulk_endpoints([Intf(7, Ep(0x81, 0x03))]) == (None, None)  # interrupt only: unusable


class _BadEndpointLink(Link):
    """A real network link whose reads fail as pyusb's do on a missing IN endpoint."""

    fail = True

    def _read(self, timeout: float) -> bytes:
        if self.fail:
            raise ValueError("Invalid endpoint address 0x82")
        return super()._read(timeout)


def test_invalid_endpoint_error_does_not_kill_the_thread() -> None:
    ev = Events()
    with PrinterSimulator() as sim:
        host, port = sim.start()
        cfg = PrinterSettings(connection="network", host=host, port=port, model="epson-tm-t88")
        link = _BadEndpointLink(cfg)
        svc = PrintService(cfg, link=link, on_job_done=ev.on_done, poll_s=0.05, idle_poll_s=0.1,
                           status_timeout_s=0.3)
        svc.backoff_cap_s = 0.2
        svc.start()
        try:
            assert wait_until(lambda: "Invalid endpoint address 0x82" in svc.status.detail, 5), svc.status
            assert svc.status.state.value == "no_device"
            assert svc._thread is not None and svc._thread.is_alive()  # keeps reconnecting
            link.fail = False
            assert wait_until(lambda: svc.status.state.value == "ok", 5), svc.status
        finally:
            svc.stop()


def test_slip_not_taken_bit_is_a_state() -> None:
    byte = encode_status(1, slip_waiting=True)
    assert byte & 0x80
    plain = ReplyReader()
    plain.feed(bytes([byte]))
    assert plain.statuses == []  # an Epson-pattern reader rejects it (issue 21, item 5)
    kiosk = ReplyReader(slip_sensor=True)
    kiosk.feed(bytes([byte]))
    assert kiosk.statuses == [byte]
    st = parse_status({1: byte, 2: 0x12, 3: 0x12, 4: 0x12}, slip_sensor=True)
    assert st.known and st.slip_waiting and st.ready and "slip waiting in the mouth" in st.summary()


def test_kiosk_module_with_slip_waiting_warns_and_still_prints() -> None:
    ev = Events()
    with PrinterSimulator(slip_waiting=True) as sim:
        host, port = sim.start()
        cfg = PrinterSettings(connection="network", host=host, port=port, model="cashino-kp628e")
        svc = PrintService(cfg, on_job_done=ev.on_done, on_job_problem=ev.on_problem, poll_s=0.05,
                           idle_poll_s=0.1, status_timeout_s=0.3)
        svc.start()
        try:
            assert wait_until(lambda: svc.status.state.value == "warning", 5), svc.status
            assert "slip waiting in the mouth" in svc.status.detail and svc.health()["slip_waiting"]
        finally:
            svc.stop()


def test_every_configurable_connection_has_its_class() -> None:
    kinds = set(get_args(PrinterSettings.model_fields["connection"].annotation))
    assert set(CONNECTIONS) == kinds
    for kind in kinds:
        assert type(Link(PrinterSettings(connection=kind, file=Path("/dev/null"))).connection) is CONNECTIONS[kind]


def test_each_connection_describes_itself() -> None:
    describe = {
        "usb": "usb 0416:5011",
        "serial": "serial /dev/ttyS0 @9600",
        "network": "network 127.0.0.1:9100",
        "file": "file /dev/usb/lp0",
    }
    for kind, text in describe.items():
        assert Link(PrinterSettings(connection=kind, file=Path("/dev/usb/lp0"))).describe == text
    usb = Link(PrinterSettings(connection="usb", usb_vendor=0x0FE6, usb_product=0x811E, usb_in_ep=0x82,
                               usb_out_ep=0x02))
    assert isinstance(usb.connection, UsbConnection) and usb.describe == "usb 0fe6:811e in 0x82 out 0x02"


def test_file_link_writes_the_bytes_and_never_reads(tmp_path: Path) -> None:
    out = tmp_path / "lp0"
    link = Link(PrinterSettings(connection="file", file=out))
    assert isinstance(link.connection, FileConnection) and not link.can_read
    link.open()
    try:
        link.write(b"\x1b@" + b"x" * 10000)  # more than one chunk
        assert link.read(0.01) == b""
    finally:
        link.close()
    assert out.read_bytes() == b"\x1b@" + b"x" * 10000


def test_file_link_without_a_file_is_refused_in_one_line() -> None:
    link = Link(PrinterSettings(connection="file"))
    with pytest.raises(DeviceGone, match="printer.file is not set"):
        link.open()
    assert link.printer is None
