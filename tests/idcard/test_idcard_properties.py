"""Property tests (hypothesis): whatever bytes arrive, in whatever chunks, the parser yields only
checksum-valid frames or typed errors, the same events for every chunking, and never a card
from a damaged frame."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devices.idcard import protocol as p
from devices.idcard.simulator import load_cards

CARDS = list(load_cards().values())
BLOCKS = [p.encode_text_block(c) for c in CARDS]
SMALL = [
    p.build_response(p.Status.FIND_OK, b"\0\0\0\0"),
    p.build_response(p.Status.NO_CARD),
    p.build_response(p.Status.OK, bytes(8)),
    p.build_response(p.Status.READ_FAILED),
    p.FIND_CARD,
]
SETTINGS = settings(max_examples=int(os.environ.get("IDCARD_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _photo(seed: int) -> bytes:
    # No 0xAA: a damaged frame rescanned byte by byte must not hide a genuine frame in its photo.
    return bytes(b if b != 0xAA else 0x55 for b in random.Random(seed).randbytes(p.PHOTO_LEN))


@st.composite
def segments(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    """A stream of good frames, damaged frames and garbage; returns (good frames in order, stream)."""
    good: list[bytes] = []
    out = bytearray()
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["read", "small", "damaged", "garbage"]))
        if kind == "garbage":
            junk = draw(st.binary(max_size=60))
            out += junk.replace(b"\xaa", b"\x00")  # garbage that cannot start a preamble
            continue
        if draw(st.booleans()) or kind == "small":
            frame = draw(st.sampled_from(SMALL))
        else:
            frame = p.build_read_response(draw(st.sampled_from(BLOCKS)), _photo(draw(st.integers(0, 3))))
        if kind == "damaged":
            # Flip one byte of the payload or CHK: the XOR must then disagree.
            i = draw(st.integers(p.HEADER_LEN, len(frame) - 1))
            frame = frame[:i] + bytes([frame[i] ^ draw(st.integers(1, 255))]) + frame[i + 1 :]
        else:
            good.append(frame)
        out += frame
    return good, bytes(out)


def _chunk(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for c in points:
        pieces.append(data[last:c])
        last = c
    pieces.append(data[last:])
    return pieces


@SETTINGS
@given(segments(), st.lists(st.integers(0, 10_000), max_size=30))
def test_every_good_frame_comes_out_and_nothing_else(seg: tuple[list[bytes], bytes], cuts: list[int]) -> None:
    good, stream = seg
    events = list(p.iter_frames(_chunk(stream, cuts)))
    frames = [e.to_bytes() for e in events if isinstance(e, p.Frame)]
    assert frames == good
    assert all(isinstance(e, p.Frame | p.ParseError) for e in events)


@SETTINGS
@given(segments(), st.lists(st.integers(0, 10_000), max_size=30))
def test_events_do_not_depend_on_chunking(seg: tuple[list[bytes], bytes], cuts: list[int]) -> None:
    _, stream = seg
    assert list(p.iter_frames(_chunk(stream, cuts))) == list(p.iter_frames([stream]))


@SETTINGS
@given(st.binary(max_size=3000), st.lists(st.integers(0, 10_000), max_size=40))
def test_arbitrary_bytes_give_only_verified_frames_or_typed_errors(data: bytes, cuts: list[int]) -> None:
    events = list(p.iter_frames(_chunk(data, cuts)))
    assert events == list(p.iter_frames([data]))
    for e in events:
        if isinstance(e, p.Frame):
            assert p.parse_one(e.to_bytes()) == e  # checksum verified
            assert e.to_bytes() in data
        else:
            assert isinstance(e, p.ParseError) and e.reason


@SETTINGS
@given(
    st.sampled_from(range(len(CARDS))),
    st.lists(st.tuples(st.integers(p.HEADER_LEN - 2, p.READ_FRAME_LEN - 1), st.integers(1, 255)), min_size=1, max_size=3),
    st.binary(max_size=30),
    st.lists(st.integers(0, 10_000), max_size=20),
)
def test_never_a_card_from_a_damaged_read_frame(
    index: int, flips: list[tuple[int, int]], tail: bytes, cuts: list[int]
) -> None:
    """Damage anywhere after the preamble, length field included, that an XOR checksum can
    see (the deltas do not cancel): never a card, unless the damage undid itself."""
    frame = bytearray(p.build_read_response(BLOCKS[index], _photo(index)))
    original = bytes(frame)
    delta = 0
    for i, x in flips:
        frame[i] ^= x
        delta ^= x
    assume(delta != 0 or bytes(frame) == original)
    for event in p.iter_frames(_chunk(bytes(frame) + tail, cuts)):
        if isinstance(event, p.Frame) and p.read_layout(event) is not None:
            # Only possible if the flips cancelled out and the frame is intact.
            assert event.to_bytes() == original
            assert p.decode_read_response(event) == CARDS[index]


def test_xor_checksum_limit_compensating_damage_passes_but_validation_catches_it() -> None:
    """The protocol's XOR cannot see two damaged bytes with the same delta. Such a frame parses;
    what protects the kiosk then is IdentityCard validation (check digit, birth date)."""
    raw = bytearray(p.build_read_response(BLOCKS[0], _photo(0)))
    raw[14 + 122] ^= 0x01  # first digit of the ID number: '3' -> '2'
    raw[14 + 256 + 10] ^= 0x01  # the same delta in the photo: the XOR is unchanged
    frame = p.parse_one(bytes(raw))
    card = p.decode_read_response(frame)
    assert card.id_number != CARDS[0].id_number
    problem = card.problem()
    assert problem is not None and problem.kind.value == "invalid_data"
