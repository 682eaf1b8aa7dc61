"""The driver opens its port with pyserial's serial_for_url: a serial server over TCP
(socket://) works like the device node, and a line wired back to itself (loop://) is not
mistaken for a reader."""

from __future__ import annotations

from functools import partial

import pytest

from devices.base import DeviceState
from devices.idcard.simulator import ReaderSimulator
from tests import waiting
from tests.idcard.rfc2217_bridge import Rfc2217Bridge

wait_for = partial(waiting.wait_for, timeout=3.0)


def test_card_read_through_a_serial_server(cards, make_reader) -> None:
    with ReaderSimulator(cards.values(), tcp=True) as sim:
        assert sim.path.startswith("socket://127.0.0.1:")
        reader, ev = make_reader(sim.path)
        assert wait_for(lambda: reader.status.state is DeviceState.OK), reader.status
        sim.place(cards["resident"])
        assert wait_for(lambda: ev.of("card"))
        assert ev.of("card")[0] == cards["resident"]
        sim.remove()
        assert wait_for(lambda: "removed" in ev.kinds())
        assert ev.kinds() == ["card", "removed"]


def test_serial_server_going_away_and_coming_back(cards, make_reader) -> None:
    with ReaderSimulator(cards.values(), tcp=True) as sim:
        reader, ev = make_reader(sim.path)
        sim.place(cards["hkmt"])
        assert wait_for(lambda: ev.of("card"))
        sim.unplug()  # listener and connection closed: refused from now on
        assert wait_for(lambda: reader.status.state is DeviceState.NO_DEVICE), reader.status
        assert ev.kinds() == ["card", "removed"]
        sim.replug()  # same TCP port
        assert wait_for(lambda: len(ev.of("card")) == 2), reader.status
        assert reader.stats.reconnects >= 1


def test_nothing_listening_is_no_device(make_reader) -> None:
    with ReaderSimulator(tcp=True) as sim:
        url = sim.path
    reader, _ = make_reader(url)
    assert wait_for(lambda: reader.status.state is DeviceState.NO_DEVICE), reader.status
    assert "refused" in reader.status.detail.lower()


def test_own_echo_on_a_looped_line_is_not_a_reader(make_reader) -> None:
    # loop:// hands every command back: the driver must wait for a response, not accept its
    # own command frame as one (a TX-RX bridged adapter looks exactly like this).
    reader, ev = make_reader("loop://", baudrate=115200)
    assert wait_for(lambda: reader.status.state is DeviceState.UNKNOWN), reader.status
    assert "no answer" in reader.status.detail
    assert reader.stats.baudrate is None and ev.items == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyserial 3.5 calls setDaemon()
def test_baud_rate_detected_through_an_rfc2217_server(cards, make_reader) -> None:
    # RFC 2217 carries the baud rate: auto-detection reaches the module behind the server.
    with ReaderSimulator(cards.values(), baudrate=38400) as sim, Rfc2217Bridge(sim.path) as bridge:
        reader, ev = make_reader(bridge.url)
        assert wait_for(lambda: reader.status.state is DeviceState.OK, timeout=10), reader.status
        assert reader.stats.baudrate == 38400
        sim.place(cards["young"])
        assert wait_for(lambda: ev.of("card"), timeout=5)
        assert ev.of("card")[0] == cards["young"]
