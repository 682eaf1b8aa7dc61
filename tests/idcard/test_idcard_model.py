"""`ReaderModel.answer`: what the simulated module replies, frame in, frame out, no port."""

from __future__ import annotations

import pytest

from devices.idcard import protocol as p
from devices.idcard.simulator import ReaderModel
from kiosk.identity import IdentityCard

C, S = p.Command, p.Status


@pytest.fixture
def model(cards: dict[str, IdentityCard]) -> ReaderModel:
    return ReaderModel(cards.values())


def status(reply: bytes) -> int:
    return p.parse_one(reply).status


def test_commands_match_the_reference_frames() -> None:
    # REFERENCES.md lists the frames after the preamble byte by byte.
    listed = {
        C.RESET_SAM: "00 03 10 FF EC", C.SAM_STATUS: "00 03 11 FF ED", C.READ_SAM_ID: "00 03 12 FF EE",
        C.FIND_CARD: "00 03 20 01 22", C.SELECT_CARD: "00 03 20 02 21", C.READ_TEXT_PHOTO: "00 03 30 01 32",
        C.READ_TEXT_PHOTO_FP: "00 03 30 10 23", C.READ_APPENDED_ADDRESS: "00 03 30 03 30",
    }
    for command, frame in listed.items():
        assert command.frame == p.PREAMBLE + bytes.fromhex(frame), command
    assert p.SET_BAUD == {C.SET_BAUD_115200: 115200, C.SET_BAUD_57600: 57600, C.SET_BAUD_38400: 38400,
                          C.SET_BAUD_19200: 19200, C.SET_BAUD_9600: 9600}


def test_captured_replies_without_a_card(model: ReaderModel) -> None:
    # The captured responses in REFERENCES.md, byte for byte.
    assert model.answer(C.SAM_STATUS.frame).hex(" ") == "aa aa aa 96 69 00 04 00 00 90 94"
    assert model.answer(C.FIND_CARD.frame).hex(" ") == "aa aa aa 96 69 00 04 00 00 80 84"
    assert model.answer(C.SELECT_CARD.frame).hex(" ") == "aa aa aa 96 69 00 04 00 00 81 85"
    assert model.answer(C.READ_TEXT_PHOTO.frame).hex(" ") == "aa aa aa 96 69 00 04 00 00 41 45"


def test_find_select_read_gives_the_card_back(model: ReaderModel, cards: dict[str, IdentityCard]) -> None:
    model.place(cards["hkmt"])
    assert model.answer(C.FIND_CARD.frame).hex(" ") == "aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97"
    assert model.answer(C.SELECT_CARD.frame).hex(" ") == "aa aa aa 96 69 00 0c 00 00 90 00 00 00 00 00 00 00 00 9c"
    reply = model.answer(C.READ_TEXT_PHOTO.frame)
    assert len(reply) == p.READ_FRAME_LEN and reply[:14].hex(" ") == "aa aa aa 96 69 05 08 00 00 90 01 00 04 00"
    assert p.decode_read_response(p.parse_one(reply)) == cards["hkmt"]
    with_fp = p.parse_one(model.answer(C.READ_TEXT_PHOTO_FP.frame))
    assert p.read_layout(with_fp) == p.ReadLayout(256, 1024, 512)
    assert model.received[C.FIND_CARD.value] == 1 and model.received[C.READ_TEXT_PHOTO.value] == 1


def test_read_needs_a_selection_and_the_card(model: ReaderModel) -> None:
    model.place(0)
    assert status(model.answer(C.READ_TEXT_PHOTO.frame)) == S.READ_FAILED  # not selected yet
    assert status(model.answer(C.SELECT_CARD.frame)) == S.OK
    model.remove()
    assert status(model.answer(C.READ_TEXT_PHOTO.frame)) == S.READ_FAILED
    assert status(model.answer(C.FIND_CARD.frame)) == S.NO_CARD


def test_read_faults_hit_only_their_command(model: ReaderModel) -> None:
    model.place(0)
    model.answer(C.SELECT_CARD.frame)
    model.fail_reads(1, on=C.READ_TEXT_PHOTO_FP.value)
    assert status(model.answer(C.READ_TEXT_PHOTO.frame)) == S.OK
    assert status(model.answer(C.READ_TEXT_PHOTO_FP.frame)) == S.READ_FAILED
    assert model.pending_faults == 0
    assert status(model.answer(C.READ_TEXT_PHOTO_FP.frame)) == S.OK


def test_module_that_stops_finding_a_read_card(cards: dict[str, IdentityCard]) -> None:
    model = ReaderModel(cards.values(), find_fails_after_read=True)
    model.place(0)
    assert status(model.answer(C.FIND_CARD.frame)) == S.FIND_OK
    model.answer(C.SELECT_CARD.frame)
    model.answer(C.READ_TEXT_PHOTO.frame)
    assert status(model.answer(C.FIND_CARD.frame)) == S.NO_CARD
    assert status(model.answer(C.SELECT_CARD.frame)) == S.OK  # the card is still there


def test_sam_fault_until_reset_and_a_broken_sam(model: ReaderModel) -> None:
    model.place(0)
    model.fail_sam()
    for command in (C.SAM_STATUS, C.FIND_CARD, C.SELECT_CARD, C.READ_TEXT_PHOTO):
        assert status(model.answer(command.frame)) == S.SAM_SELF_TEST_FAILED
    assert status(model.answer(C.RESET_SAM.frame)) == S.OK
    assert status(model.answer(C.FIND_CARD.frame)) == S.FIND_OK
    model.sam_broken = True
    assert status(model.answer(C.RESET_SAM.frame)) == S.SAM_SELF_TEST_FAILED
    assert status(model.answer(C.SAM_STATUS.frame)) == S.SAM_SELF_TEST_FAILED


def test_baud_switch_and_other_commands(model: ReaderModel) -> None:
    assert status(model.answer(C.SET_BAUD_9600.frame)) == S.OK and model.baudrate == 9600
    assert status(model.answer(C.READ_APPENDED_ADDRESS.frame)) == S.NO_CONTENT
    assert p.parse_one(model.answer(C.READ_SAM_ID.frame)).data == bytes(range(16))
    assert status(model.answer(p.build_command(0x55, 0x01))) == S.COMMAND_ERROR


def test_damaged_and_empty_input(model: ReaderModel) -> None:
    bad = bytearray(C.FIND_CARD.frame)
    bad[-1] ^= 0xFF
    assert status(model.answer(bytes(bad))) == S.CHECKSUM_ERROR
    too_long = p.PREAMBLE + (0xFFFF).to_bytes(2, "big") + b"\x20\x01"
    assert status(model.answer(too_long)) == S.LENGTH_ERROR
    assert model.answer(b"") == b"" and model.answer(b"\x01\x02\x03") == b""
    assert model.answer(C.FIND_CARD.frame[:-2]) == b""  # cut short: a module waits, says nothing
    assert sum(model.received.values()) == 0
