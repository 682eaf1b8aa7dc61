"""The real driver (pyserial) against the simulator over a real pseudo-terminal."""

from __future__ import annotations

import time
from functools import partial

import pytest

from devices.base import DeviceState
from devices.idcard import protocol as p
from devices.idcard.simulator import Fault, ReaderSimulator
from kiosk.i18n import tr
from kiosk.identity import IdentityCard, ProblemKind, ReadProblem
from tests import waiting

READ = (0x30, 0x01)
RESET = (0x10, 0xFF)


wait_for = partial(waiting.wait_for, timeout=3.0)

def _ok(reader) -> bool:
    return reader.status.state is DeviceState.OK


def test_card_is_read_once_while_it_stays(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    assert wait_for(lambda: _ok(reader))
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))
    card = ev.of("card")[0]
    assert isinstance(card, IdentityCard) and card == cards["resident"]
    polls_then = sim.received[(0x20, 0x01)]
    assert wait_for(lambda: sim.received[(0x20, 0x01)] >= polls_then + 10)  # ten more polls
    assert ev.kinds() == ["card"]  # not re-announced
    assert sim.received[READ] == 1  # and not even re-read
    assert reader.card_present and reader.stats.cards_read == 1


def test_removal_is_announced_then_a_new_card_is_read(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))
    sim.remove()
    assert wait_for(lambda: "removed" in ev.kinds())
    assert not reader.card_present
    sim.place(cards["hkmt"])
    assert wait_for(lambda: len(ev.of("card")) == 2)
    assert ev.kinds() == ["card", "removed", "card"]
    assert ev.of("card")[1] == cards["hkmt"]


def test_same_card_laid_down_again_is_announced_again(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))
    sim.remove()
    assert wait_for(lambda: "removed" in ev.kinds())
    sim.place(cards["resident"])
    assert wait_for(lambda: len(ev.of("card")) == 2)


def test_module_that_stops_finding_a_read_card_does_not_fake_a_removal(cards, make_reader) -> None:
    with ReaderSimulator(find_fails_after_read=True) as sim:
        reader, ev = make_reader(sim.path)
        sim.place(cards["long_term"])
        assert wait_for(lambda: ev.of("card"))
        reads = sim.received[READ]
        assert wait_for(lambda: sim.received[READ] >= reads + 5)  # it keeps checking the card
        assert ev.kinds() == ["card"]
        sim.remove()
        assert wait_for(lambda: "removed" in ev.kinds())
        assert ev.kinds() == ["card", "removed"]


@pytest.mark.parametrize(
    "label,kind", [("expired", ProblemKind.EXPIRED)]
)
def test_expired_card_is_a_problem_told_once(sim: ReaderSimulator, make_reader, cards, label, kind) -> None:
    reader, ev = make_reader(sim.path)
    sim.place(cards[label])
    assert wait_for(lambda: ev.of("error"))
    polls = sim.received[(0x20, 0x01)]
    assert wait_for(lambda: sim.received[(0x20, 0x01)] >= polls + 5)
    problems = ev.of("error")
    assert len(problems) == 1 and isinstance(problems[0], ReadProblem)
    assert problems[0].kind is kind and tr(problems[0].msgid, "zh") != problems[0].msgid
    assert ev.of("card") == []
    sim.remove()
    assert wait_for(lambda: sim.received[(0x20, 0x02)] >= 1 and not reader.card_tracked)
    assert "removed" not in ev.kinds()  # nothing was announced, so nothing is withdrawn


def test_unknown_card_type(sim: ReaderSimulator, make_reader, cards) -> None:
    block = bytearray(p.encode_text_block(cards["resident"]))
    block[248:250] = "Q".encode("utf-16-le")
    reader, ev = make_reader(sim.path)
    sim.place(bytes(block))
    assert wait_for(lambda: ev.of("error"))
    assert ev.of("error")[0].kind is ProblemKind.UNKNOWN_CARD_TYPE
    assert ev.of("card") == []


def test_damaged_card_content_is_invalid_data(sim: ReaderSimulator, make_reader, cards) -> None:
    block = bytearray(p.encode_text_block(cards["resident"]))
    block[122:124] = "2".encode("utf-16-le")  # ID number no longer matches its check digit
    reader, ev = make_reader(sim.path)
    sim.place(bytes(block))
    assert wait_for(lambda: ev.of("error"))
    assert ev.of("error")[0].kind is ProblemKind.INVALID_DATA
    assert ev.of("card") == []


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.BAD_CHECKSUM, Fault.SPLIT, Fault.SLOW, Fault.SILENT])
def test_link_faults_on_every_reply_type_are_survived(sim: ReaderSimulator, make_reader, cards, fault) -> None:
    sim.slow_s = 0.1  # slower than usual, still inside the command timeout
    reader, ev = make_reader(sim.path)
    assert wait_for(lambda: _ok(reader))
    sim.place(cards["foreign2023"])
    # Fault on the next replies: hits find, select and the 1295-byte read in turn.
    sim.inject(fault, times=4)
    assert wait_for(lambda: ev.of("card"), timeout=5)
    assert ev.of("card") == [cards["foreign2023"]]
    assert ev.of("error") == []
    assert wait_for(lambda: sim.pending_faults == 0)
    stats = reader.stats
    if fault is Fault.BAD_CHECKSUM:
        assert stats.parse_errors.get("ChecksumMismatch", 0) >= 1
    if fault is Fault.SILENT:
        assert stats.timeouts >= 1 and stats.retries >= 1
    if fault is Fault.GARBAGE:
        assert stats.parse_errors.get("GarbageSkipped", 0) >= 1
    assert _ok(reader)


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.BAD_CHECKSUM, Fault.SPLIT, Fault.SLOW, Fault.SILENT])
def test_link_faults_on_the_read_reply(sim: ReaderSimulator, make_reader, cards, fault) -> None:
    sim.slow_s = 0.1
    reader, ev = make_reader(sim.path)
    assert wait_for(lambda: _ok(reader))
    breaking = fault in (Fault.BAD_CHECKSUM, Fault.SILENT)  # the others still deliver the frame
    sim.inject(fault, times=2 if breaking else 1, on=READ)
    sim.place(cards["hkmt"])
    assert wait_for(lambda: ev.of("card"), timeout=5)
    assert ev.of("card") == [cards["hkmt"]] and ev.of("error") == []
    assert sim.pending_faults == 0
    assert sim.received[READ] == (3 if breaking else 1)  # retried within the same poll


def test_a_reply_slower_than_the_timeout_is_retried(sim: ReaderSimulator, make_reader, cards) -> None:
    sim.slow_s = 0.4
    reader, ev = make_reader(sim.path, command_timeout_s=0.15)
    assert wait_for(lambda: _ok(reader))
    sim.inject(Fault.SLOW, times=1)
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"), timeout=5)
    assert reader.stats.timeouts >= 1


def test_read_failure_then_success(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    sim.inject(Fault.READ_FAIL, times=2)
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))
    assert ev.of("error") == []  # two failures are below the reporting threshold
    assert sim.received[READ] == 3


def test_unreadable_card_is_reported_once_and_read_when_it_works(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    sim.inject(Fault.READ_FAIL, times=6)
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"), timeout=5)
    errors = ev.of("error")
    assert len(errors) == 1 and errors[0].kind is ProblemKind.UNREADABLE and errors[0].status_code == 0x41
    assert ev.kinds() == ["error", "card"]


def test_sam_reset_after_repeated_sam_errors(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    assert wait_for(lambda: _ok(reader))
    sim.fail_sam()
    assert wait_for(lambda: sim.received[RESET] >= 1)
    assert wait_for(lambda: _ok(reader))
    assert reader.stats.sam_resets >= 1
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))


def test_broken_sam_shows_in_status_and_is_not_reset_every_poll(sim: ReaderSimulator, make_reader, cards) -> None:
    statuses = []
    reader, ev = make_reader(sim.path)
    reader.status_changed.connect(statuses.append)
    assert wait_for(lambda: _ok(reader))
    sim.sam_broken = True
    assert wait_for(lambda: reader.status.state is DeviceState.ERROR)
    assert "SAM" in reader.status.detail and "60" in reader.status.detail
    finds_then = sim.received[(0x20, 0x01)]
    assert wait_for(lambda: sim.received[(0x20, 0x01)] >= finds_then + 40, timeout=8)
    # 40 failing polls: with the threshold doubling after each failed reset, at most 4 resets.
    assert sim.received[RESET] <= 5
    sim.sam_broken = False
    assert wait_for(lambda: _ok(reader), timeout=5)


@pytest.mark.parametrize("baud", [9600, 38400])
def test_baud_rate_is_detected(cards, make_reader, baud: int) -> None:
    with ReaderSimulator(baudrate=baud) as sim:
        reader, ev = make_reader(sim.path)
        assert wait_for(lambda: _ok(reader), timeout=5)
        assert reader.stats.baudrate == baud and str(baud) in reader.status.detail
        sim.place(cards["young"])
        assert wait_for(lambda: ev.of("card"))


def test_fixed_wrong_baud_rate_is_reported_not_crashed(cards, make_reader) -> None:
    with ReaderSimulator(baudrate=9600) as sim:
        reader, ev = make_reader(sim.path, baudrate=115200)
        assert wait_for(lambda: reader.status.state is DeviceState.UNKNOWN)
        assert "no answer" in reader.status.detail


def test_missing_port_then_device_appears(tmp_path, cards, make_reader) -> None:
    link = tmp_path / "idcard"
    reader, ev = make_reader(str(link))
    assert wait_for(lambda: reader.status.state is DeviceState.NO_DEVICE)
    with ReaderSimulator(link_path=link) as sim:
        assert wait_for(lambda: _ok(reader), timeout=3)
        sim.place(cards["resident"])
        assert wait_for(lambda: ev.of("card"))


def test_unplug_and_replug_recovered_within_3_s(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path, poll_interval_s=0.3)  # the kiosk's default
    sim.place(cards["resident"])
    assert wait_for(lambda: ev.of("card"))
    sim.unplug()
    assert wait_for(lambda: reader.status.state is DeviceState.NO_DEVICE)
    assert ev.kinds() == ["card", "removed"]  # a reader that vanished vouches for no one
    time.sleep(0.5)  # stays unplugged for a while, so the driver is in its backoff
    t0 = time.monotonic()
    sim.replug()
    assert wait_for(lambda: _ok(reader), timeout=3)
    assert wait_for(lambda: len(ev.of("card")) == 2, timeout=3)
    recovered = time.monotonic() - t0
    assert recovered < 3.0, recovered
    assert reader.stats.reconnects == 1


def test_repeated_unplugs(sim: ReaderSimulator, make_reader, cards) -> None:
    reader, ev = make_reader(sim.path)
    for _ in range(3):
        sim.unplug()
        assert wait_for(lambda: reader.status.state is DeviceState.NO_DEVICE)
        sim.replug()
        assert wait_for(lambda: _ok(reader), timeout=3)
    sim.place(cards["hkmt"])
    assert wait_for(lambda: ev.of("card"))


def test_callback_exception_does_not_stop_the_driver(sim: ReaderSimulator, cards) -> None:
    from devices.idcard.reader import IdCardReader

    seen = []

    def bad(card: IdentityCard) -> None:
        seen.append(card)
        raise RuntimeError("UI bug")

    reader = IdCardReader(sim.path, poll_interval_s=0.05, on_card=bad, on_removed=lambda: seen.append("rm"))
    reader.start()
    try:
        sim.place(cards["resident"])
        assert wait_for(lambda: seen)
        sim.remove()
        assert wait_for(lambda: "rm" in seen)
        assert reader.status.state is DeviceState.OK
    finally:
        reader.stop()


def test_nothing_personal_is_logged(sim: ReaderSimulator, make_reader, cards, caplog) -> None:
    caplog.set_level("DEBUG")
    reader, ev = make_reader(sim.path)
    for label in ("resident", "expired"):
        sim.place(cards[label])
        assert wait_for(lambda: len(ev.items) >= 1)
        sim.remove()
        assert wait_for(lambda: not reader.card_tracked)
        ev.items.clear()
    text = caplog.text
    for label in ("resident", "expired"):
        c = cards[label]
        assert c.id_number not in text and c.name not in text and c.address not in text
