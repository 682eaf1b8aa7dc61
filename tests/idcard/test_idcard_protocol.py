"""Protocol layer: command frames and captured replies from REFERENCES.md, status codes,
text blocks of every card type, the parser on hand-made streams."""

from __future__ import annotations

import datetime as dt

import pytest

from devices.idcard import protocol as p
from devices.idcard.simulator import fake_photo
from kiosk.identity import LONG_TERM, CardType, IdentityCard, Sex

H = bytes.fromhex

COMMANDS = {
    "RESET_SAM": "00 03 10 FF EC",
    "SAM_STATUS": "00 03 11 FF ED",
    "READ_SAM_ID": "00 03 12 FF EE",
    "FIND_CARD": "00 03 20 01 22",
    "SELECT_CARD": "00 03 20 02 21",
    "READ_TEXT_PHOTO": "00 03 30 01 32",
    "READ_TEXT_PHOTO_FP": "00 03 30 10 23",
    "READ_APPENDED_ADDRESS": "00 03 30 03 30",
}
CAPTURED = {
    "find_ok": ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, "find"),
    "select_ok": ("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", 0x90, "select"),
    "find_failed": ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, "error"),
    "select_failed": ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, "error"),
    "read_failed": ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, "error"),
    "sam_ok": ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, "ok"),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_command_frames_match_the_reference_bytes(name: str) -> None:
    frame = getattr(p, name)
    assert frame == p.PREAMBLE + H(COMMANDS[name])


def test_baud_commands() -> None:
    assert p.set_baud_command(115200)[5:] == H("00 03 60 00 63")
    assert p.set_baud_command(9600)[5:] == H("00 03 60 04 67")


@pytest.mark.parametrize("name", CAPTURED)
def test_captured_replies_parse(name: str) -> None:
    text, status, kind = CAPTURED[name]
    frame = p.parse_one(H(text))
    assert frame.status == status
    assert p.response_kind(frame) == kind
    assert frame.to_bytes() == H(text)


def test_status_meanings_zh_and_en() -> None:
    assert p.describe_status(0x80) == ("寻找证/卡失败", "no card found")
    assert p.describe_status(0x60)[1] == "SAM self-test failed"
    for code in p.Status:
        zh, en = p.describe_status(code)
        assert zh and en and not zh.isascii()
    assert "7E" in p.describe_status(0x7E)[1]


def test_read_frame_is_1295_bytes_with_the_reference_header(cards: dict[str, IdentityCard]) -> None:
    raw = p.build_read_response(p.encode_text_block(cards["resident"]), fake_photo())
    assert len(raw) == p.READ_FRAME_LEN == 1295
    assert raw[:14] == H("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    card = p.decode_read_response(p.parse_one(raw))
    assert card.id_number == cards["resident"].id_number


def test_read_with_fingerprint_skips_the_extra_length(cards: dict[str, IdentityCard]) -> None:
    for fp_len in (1024, 512, 0):
        raw = p.build_read_response(p.encode_text_block(cards["hkmt"]), fake_photo(), bytes(fp_len))
        frame = p.parse_one(raw)
        layout = p.read_layout(frame)
        assert layout == p.ReadLayout(256, 1024, fp_len) and layout.text_offset == 6
        assert p.decode_read_response(frame) == cards["hkmt"]


@pytest.mark.parametrize("label", ["resident", "long_term", "expired", "young", "hkmt", "foreign2023", "foreign2017"])
def test_text_block_round_trip_for_every_demo_card(cards: dict[str, IdentityCard], label: str) -> None:
    block = p.encode_text_block(cards[label])
    assert len(block) == 256
    assert p.decode_text_block(block) == cards[label]


def _put(block: bytearray, offset: int, text: str) -> None:
    raw = text.encode("utf-16-le")
    block[offset : offset + len(raw)] = raw


def _blank() -> bytearray:
    return bytearray(" ".encode("utf-16-le") * 128)


def test_resident_offsets_by_hand() -> None:
    b = _blank()
    _put(b, 0, "李小梅")
    _put(b, 30, "2")
    _put(b, 32, "01")
    _put(b, 36, "19900315")
    _put(b, 52, "安徽省虚构市公园路18号")
    _put(b, 122, "34990119900315042X")
    _put(b, 158, "虚构市公安局")
    _put(b, 188, "20150601")
    _put(b, 204, LONG_TERM)
    card = p.decode_text_block(bytes(b))
    assert card.card_type is CardType.RESIDENT
    assert (card.name, card.sex, card.nation_zh) == ("李小梅", Sex.FEMALE, "汉")
    assert card.birth_date == dt.date(1990, 3, 15)
    assert card.id_number == "34990119900315042X"
    assert card.valid_to is None and card.long_term


def test_foreign_2017_sex_is_at_its_own_offset() -> None:
    b = _blank()
    _put(b, 0, "SMITH, JOHN")
    _put(b, 120, "1")  # sex right after the 120-byte English name
    _put(b, 122, "USA990187060501")
    _put(b, 152, "USA")
    _put(b, 158, "史约翰")
    _put(b, 188, "20190901")
    _put(b, 204, "20290901")
    _put(b, 220, "19870605")
    _put(b, 236, "01")
    _put(b, 240, "9901")
    _put(b, 248, "I")
    card = p.decode_text_block(bytes(b))
    assert card.card_type is CardType.FOREIGN_2017
    assert card.sex is Sex.MALE and card.name_en == "SMITH, JOHN" and card.nationality == "USA"
    assert card.birth_date == dt.date(1987, 6, 5)


def test_foreign_2023_long_english_name_spans_two_fields() -> None:
    long_name = "VAN DER BERG-SCHMIDT, ANNA MARIA KATHARINA"  # 42 chars > 35
    card = IdentityCard(
        CardType.FOREIGN_2023, "99927619880421002" + "2", "施安娜", Sex.FEMALE, dt.date(1988, 4, 21),
        dt.date(2024, 1, 15), dt.date(2034, 1, 15), name_en=long_name, nationality="DEU", issue_count=1,
    )
    block = p.encode_text_block(card)
    assert block[248:250] == "Y".encode("utf-16-le")
    assert block[30:32] == "2".encode("utf-16-le")  # sex right after the Chinese name
    assert p.decode_text_block(block).name_en == long_name


def test_hkmt_permit_fields() -> None:
    b = bytearray(p.encode_text_block(
        IdentityCard(CardType.HKMT_PERMIT, "82990119950712002" + "6", "陈嘉欣", Sex.FEMALE,
                     dt.date(1995, 7, 12), dt.date(2025, 3, 1), dt.date(2030, 3, 1), pass_number="H99012345", issue_count=1)
    ))
    assert b[220:238].decode("utf-16-le") == "H99012345"
    assert b[238:242].decode("utf-16-le") == "01"
    assert b[248:250].decode("utf-16-le") == "J"
    card = p.decode_text_block(bytes(b))
    assert card.pass_number == "H99012345" and card.issue_count == 1 and card.nation_code == ""


def test_unknown_card_type_flag(cards: dict[str, IdentityCard]) -> None:
    b = bytearray(p.encode_text_block(cards["resident"]))
    _put(b, 248, "Z")
    with pytest.raises(p.UnknownCardType) as exc:
        p.decode_text_block(bytes(b))
    assert exc.value.flag == "Z"


@pytest.mark.parametrize(
    "offset,text,reason",
    [(36, "1990AB15", "birth"), (36, "19901345", "birth"), (30, "5", "sex"), (188, "        ", "valid_from")],
)
def test_bad_fields_are_decode_errors(cards: dict[str, IdentityCard], offset: int, text: str, reason: str) -> None:
    b = bytearray(p.encode_text_block(cards["resident"]))
    _put(b, offset, text)
    with pytest.raises(p.DecodeError, match=reason):
        p.decode_text_block(bytes(b))


def test_invalid_ucs2_is_a_decode_error(cards: dict[str, IdentityCard]) -> None:
    b = bytearray(p.encode_text_block(cards["resident"]))
    b[0:2] = b"\x00\xd8"  # lone high surrogate
    with pytest.raises(p.DecodeError, match="UCS-2"):
        p.decode_text_block(bytes(b))


def test_photo_is_not_kept(cards: dict[str, IdentityCard]) -> None:
    photo = fake_photo(7)
    card = p.decode_read_response(p.parse_one(p.build_read_response(p.encode_text_block(cards["resident"]), photo)))
    for value in card.to_dict().values():
        assert not isinstance(value, bytes | bytearray)
    assert not hasattr(card, "__dict__")  # slots: nowhere to hang a photo


def test_frame_repr_never_shows_payload(cards: dict[str, IdentityCard]) -> None:
    frame = p.parse_one(p.build_read_response(p.encode_text_block(cards["resident"]), fake_photo()))
    assert "00 00 90" in repr(frame) and len(repr(frame)) < 60


# --- the parser on hand-made streams ----------------------------------------------------------
FIND_OK = H(CAPTURED["find_ok"][0])
NO_CARD = H(CAPTURED["find_failed"][0])


def test_garbage_between_frames_is_counted_and_skipped() -> None:
    parser = p.FrameParser()
    events = parser.feed(b"\x01\x02" + FIND_OK + b"\xaa\xaa\x00" + NO_CARD) + parser.flush()
    assert events == [p.GarbageSkipped(2), p.Frame(FIND_OK[7:-1]), p.GarbageSkipped(3), p.Frame(NO_CARD[7:-1])]


def test_bad_checksum_is_reported_and_next_frame_found() -> None:
    bad = FIND_OK[:-1] + b"\x00"
    events = list(p.iter_frames([bad + NO_CARD]))
    assert isinstance(events[0], p.ChecksumMismatch) and events[0].actual == 0 and events[0].expected == 0x97
    assert events[-1] == p.Frame(NO_CARD[7:-1])


def test_frame_inside_a_corrupted_frame_is_still_found() -> None:
    # A length field damaged to claim more bytes swallows the next frame: it must come back.
    damaged = p.PREAMBLE + b"\x00\x20" + b"\x00\x00\x9f"
    events = list(p.iter_frames([damaged + NO_CARD + bytes(40)]))
    assert p.Frame(NO_CARD[7:-1]) in events
    assert any(isinstance(e, p.ChecksumMismatch) for e in events)


def test_bad_length_field() -> None:
    events = list(p.iter_frames([p.PREAMBLE + b"\xff\xff" + NO_CARD]))
    assert p.BadLength(0xFFFF) in events and events[-1] == p.Frame(NO_CARD[7:-1])
    assert p.BadLength(0) in list(p.iter_frames([p.PREAMBLE + b"\x00\x00"]))


def test_split_at_every_position() -> None:
    stream = b"\x13" + FIND_OK + NO_CARD
    whole = list(p.iter_frames([stream]))
    for cut in range(1, len(stream)):
        assert list(p.iter_frames([stream[:cut], stream[cut:]])) == whole
    assert list(p.iter_frames([bytes([b]) for b in stream])) == whole


def test_truncated_frame_on_flush() -> None:
    parser = p.FrameParser()
    assert parser.feed(FIND_OK[:9]) == []
    assert parser.flush() == [p.Truncated(9, 15)]
    assert parser.buffered == 0


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "no frame"),
        (FIND_OK + NO_CARD, "2 frames"),
        (b"\x00" + FIND_OK, "skipped"),
        (FIND_OK[:-1] + b"\x98", "checksum"),
        (FIND_OK[:-3], "truncated"),
    ],
)
def test_parse_one_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(p.MalformedFrame, match=reason):
        p.parse_one(data)
