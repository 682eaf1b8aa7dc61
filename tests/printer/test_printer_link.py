"""The link never lets a driver exception kill the print thread; USB endpoints come from the
descriptor; the Cashino slip-not-taken bit is a state, not noise."""

from __future__ import annotations

from dataclasses import dataclass

from printer_testkit import Events, PrinterSimulator, wait_until

from devices.printer.link import Link, bulk_endpoints
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
