"""DLE EOT parsing per state, reply splitting, and status read from the simulator over TCP."""

from __future__ import annotations

import pytest
from printer_testkit import Events, PrinterSimulator, service_for, wait_until

from devices.base import DeviceState
from devices.printer.status import (
    Problem,
    ReplyReader,
    encode_status,
    is_status_byte,
    parse_status,
    process_id_request,
    status_query,
)


def _state(**flags: bool) -> dict[int, int]:
    return {n: encode_status(n, **flags) for n in (1, 2, 3, 4)}


def test_ready_printer() -> None:
    st = parse_status({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12})
    assert st.known and st.online and st.ready and st.problem is None
    assert st.summary() == "ready"


@pytest.mark.parametrize(
    ("replies", "problem", "flag"),
    [
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, Problem.COVER_OPEN, "cover_open"),
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}, Problem.PAPER_OUT, "paper_end"),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x72}, Problem.PAPER_OUT, "paper_end"),  # n=4 bits 5+6 only
        ({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}, Problem.ERROR, "error"),
        ({1: 0x1A, 2: 0x12, 3: 0x1A, 4: 0x12}, Problem.ERROR, "cutter_error"),
        ({1: 0x1A, 2: 0x12, 3: 0x52, 4: 0x12}, Problem.ERROR, "recoverable_error"),
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, Problem.OFFLINE, "online"),
    ],
)
def test_each_state(replies: dict[int, int], problem: Problem, flag: str) -> None:
    st = parse_status(replies)
    assert st.problem is problem
    assert getattr(st, flag) is (flag != "online")


def test_paper_near_end_is_a_warning_not_a_stop() -> None:
    st = parse_status({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E})
    assert st.ready and st.paper_near_end and "near end" in st.summary()


def test_silence_and_noise_are_unknown_never_ok() -> None:
    assert parse_status({}).known is False
    assert parse_status({}).problem is Problem.NOT_RESPONDING
    assert parse_status({2: 0x12, 4: 0x12}).known is False  # no basic status
    assert parse_status({1: 0xFF}).known is False  # fixed bits wrong: not a status byte
    assert not is_status_byte(0x37) and is_status_byte(0x12) and is_status_byte(0x7E)


def test_simulator_encoding_round_trips() -> None:
    assert parse_status(_state()).ready
    assert parse_status(_state(offline=True, cover_open=True)).problem is Problem.COVER_OPEN
    assert parse_status(_state(offline=True, paper_end=True, paper_near_end=True)).problem is Problem.PAPER_OUT


def test_reply_reader_splits_stream() -> None:
    rr = ReplyReader()
    rr.feed(b"\x12\x37\x22" + b"00")
    rr.feed(b"07\x00\x1e\x37\x25\x00\xff")
    assert rr.statuses == [0x12, 0x1E]
    assert rr.process_ids == {"0007"} and rr.cleared == 1


def test_command_bytes() -> None:
    assert status_query(4) == b"\x10\x04\x04"
    assert process_id_request("0001") == b"\x1d(H\x06\x0000" + b"0001"
    with pytest.raises(ValueError):
        status_query(5)


@pytest.mark.parametrize(
    ("state", "device_state", "detail"),
    [
        ({}, DeviceState.OK, "ready"),
        ({"paper_near_end": True}, DeviceState.WARNING, "paper near end"),
        ({"paper_out": True}, DeviceState.ERROR, "paper end"),
        ({"cover_open": True}, DeviceState.ERROR, "cover open"),
        ({"offline": True}, DeviceState.ERROR, "offline"),
        ({"error": True}, DeviceState.ERROR, "error"),
        ({"silent": True}, DeviceState.UNKNOWN, "no answer"),
        ({"reply_delay_s": 0.1, "print_rate": 5000}, DeviceState.OK, "ready"),  # slow printer
    ],
)
def test_status_read_over_tcp(state: dict, device_state: DeviceState, detail: str) -> None:
    with PrinterSimulator(**state) as sim:
        svc = service_for(sim.start(), Events())
        svc.start()
        try:
            assert wait_until(lambda: svc.status.state == device_state, 5), svc.status
            assert detail in svc.status.detail
            assert svc.health()["paper_near_end"] is bool(state.get("paper_near_end") or state.get("paper_out"))
        finally:
            svc.stop()
