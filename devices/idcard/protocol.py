"""SAM module serial protocol for ID card readers (GA 467): frames, status codes, text blocks.

Pure: bytes in, values out, no I/O. Facts are in ../../shared/REFERENCES.md ("Chinese resident
ID card reader"). A frame is

    AA AA AA 96 69 | LEN (2, big-endian) | payload | CHK

LEN counts payload + CHK; CHK is the XOR of LEN and payload. A command payload is
CMD PARA [DATA]; a response payload is SW1 SW2 SW3 [DATA].

`FrameParser` takes bytes in any chunking, skips garbage, and yields `Frame`s whose checksum
was verified, or typed `ParseError`s. Its output does not depend on how the stream was split.
The photo block of a read response is never decoded or kept: `decode_read_response` slices the
text block out and returns only an `IdentityCard`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum, IntEnum
from pathlib import Path

from kiosk.identity import LONG_TERM, CardType, IdentityCard, Sex

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
# Largest LEN a reader sends: text + photo + 1024-byte fingerprint read is 2314. Anything bigger
# is a corrupted length field; refusing it early stops one bad byte from swallowing good frames.
MAX_LEN = 0x0A00
MIN_LEN = 2  # at least one payload byte + CHK

TEXT_LEN = 256
PHOTO_LEN = 1024
READ_FRAME_LEN = HEADER_LEN + 3 + 4 + TEXT_LEN + PHOTO_LEN + 1  # 1295


# --- checksum and frames ---------------------------------------------------------------------
def xor_checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of all bytes. Folds one big integer in halves: O(log n) Python operations instead of
    one per byte, which is what keeps the parser well ahead of the serial line."""
    n = len(data)
    if n == 0:
        return 0
    x = int.from_bytes(data, "little")
    width = 8
    while width < 8 * n:
        width *= 2
    while width > 8:
        width //= 2
        x = (x >> width) ^ (x & ((1 << width) - 1))
    return x


def build_frame(payload: bytes) -> bytes:
    """PREAMBLE | LEN | payload | CHK."""
    length = len(payload) + 1
    if not MIN_LEN <= length <= 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes cannot be framed")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([xor_checksum(body)])


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


class Command(Enum):
    """The commands of a SAM module, as (CMD, PARA) — REFERENCES.md lists their frames."""

    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    READ_SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_APPENDED_ADDRESS = (0x30, 0x03)
    READ_TEXT_PHOTO_FP = (0x30, 0x10)
    SET_BAUD_115200 = (0x60, 0x00)
    SET_BAUD_57600 = (0x60, 0x01)
    SET_BAUD_38400 = (0x60, 0x02)
    SET_BAUD_19200 = (0x60, 0x03)
    SET_BAUD_9600 = (0x60, 0x04)

    @classmethod
    def of(cls, frame: Frame) -> Command | None:
        """The command a frame carries, or None if it is none of these."""
        try:
            return cls(frame.command)
        except ValueError:
            return None

    @property
    def frame(self) -> bytes:
        return build_command(*self.value)


# Complete command frames the driver sends.
RESET_SAM = Command.RESET_SAM.frame
SAM_STATUS = Command.SAM_STATUS.frame
READ_SAM_ID = Command.READ_SAM_ID.frame
FIND_CARD = Command.FIND_CARD.frame
SELECT_CARD = Command.SELECT_CARD.frame
READ_TEXT_PHOTO = Command.READ_TEXT_PHOTO.frame
READ_TEXT_PHOTO_FP = Command.READ_TEXT_PHOTO_FP.frame
READ_APPENDED_ADDRESS = Command.READ_APPENDED_ADDRESS.frame
BAUD_COMMANDS = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}
SET_BAUD: dict[Command, int] = {Command((0x60, para)): rate for rate, para in BAUD_COMMANDS.items()}


def set_baud_command(baudrate: int) -> bytes:
    return build_command(0x60, BAUD_COMMANDS[baudrate])


@dataclass(frozen=True, slots=True)
class Frame:
    """One checksum-verified frame. `payload` is everything between LEN and CHK."""

    payload: bytes

    # response view
    @property
    def sw(self) -> bytes:
        return self.payload[:3]

    @property
    def status(self) -> int:
        """SW3, the byte that carries the meaning (-1 if the frame is too short)."""
        return self.payload[2] if len(self.payload) >= 3 else -1

    @property
    def data(self) -> bytes:
        return self.payload[3:]

    # command view
    @property
    def command(self) -> tuple[int, int]:
        return (self.payload[0], self.payload[1]) if len(self.payload) >= 2 else (-1, -1)

    @property
    def command_data(self) -> bytes:
        return self.payload[2:]

    def to_bytes(self) -> bytes:
        return build_frame(self.payload)

    def __repr__(self) -> str:  # never dump payloads: a read response holds a person
        return f"Frame(len={len(self.payload) + 1}, head={self.payload[:3].hex(' ')})"


# --- parse errors (values yielded by the parser, not raised) ---------------------------------
@dataclass(frozen=True, slots=True)
class ParseError:
    @property
    def reason(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class GarbageSkipped(ParseError):
    count: int

    @property
    def reason(self) -> str:
        return f"{self.count} byte(s) outside any frame skipped"


@dataclass(frozen=True, slots=True)
class BadLength(ParseError):
    length: int

    @property
    def reason(self) -> str:
        return f"length field {self.length} out of range {MIN_LEN}..{MAX_LEN}"


@dataclass(frozen=True, slots=True)
class ChecksumMismatch(ParseError):
    expected: int
    actual: int
    length: int

    @property
    def reason(self) -> str:
        return f"checksum mismatch: frame says {self.actual:02X}, bytes give {self.expected:02X} (LEN {self.length})"


@dataclass(frozen=True, slots=True)
class Truncated(ParseError):
    have: int
    need: int

    @property
    def reason(self) -> str:
        return f"frame truncated: {self.have} of {self.need} bytes"


Event = Frame | ParseError


class FrameParser:
    """Incremental parser. `feed(chunk)` returns the events completed by that chunk.

    Decisions are taken only once the bytes they depend on are all buffered, so the events
    are the same however the stream is split. After a bad length or checksum only the first
    preamble byte is dropped and scanning resumes, so a good frame that starts inside the
    damaged one is still found.
    """

    def __init__(self, max_len: int = MAX_LEN) -> None:
        self._buf = bytearray()
        self._garbage = 0
        self._max_len = max_len
        self._need = 0  # bytes a started frame needs before anything can be decided

    def reset(self) -> None:
        """Forget buffered bytes (the driver calls it before each command)."""
        self._buf.clear()
        self._garbage = 0
        self._need = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Event]:
        self._buf += chunk
        if len(self._buf) < self._need:
            return []  # the middle of a long frame: nothing to decide yet
        return list(self._drain())

    def flush(self) -> list[Event]:
        """End of stream: report pending garbage and any partial frame, then reset."""
        events: list[Event] = []
        buf = self._buf
        if buf.startswith(PREAMBLE):
            need = HEADER_LEN + int.from_bytes(buf[5:7], "big") if len(buf) >= HEADER_LEN else HEADER_LEN
            self._emit_garbage(events)
            events.append(Truncated(len(buf), need))
        else:
            self._garbage += len(buf)
            self._emit_garbage(events)
        self.reset()
        return events

    def _emit_garbage(self, events: list[Event]) -> None:
        if self._garbage:
            events.append(GarbageSkipped(self._garbage))
            self._garbage = 0

    def _pending_garbage(self) -> list[Event]:
        events: list[Event] = []
        self._emit_garbage(events)
        return events

    def _drain(self) -> Iterator[Event]:
        buf = self._buf
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                # Keep a tail that may be the beginning of a preamble split across chunks.
                keep = _preamble_prefix_len(buf)
                drop = len(buf) - keep
                if drop:
                    self._garbage += drop
                    del buf[:drop]
                return
            if start:
                self._garbage += start
                del buf[:start]
            if len(buf) < HEADER_LEN:
                return
            length = int.from_bytes(buf[5:7], "big")
            if not MIN_LEN <= length <= self._max_len:
                yield from self._pending_garbage()
                yield BadLength(length)
                del buf[:1]
                continue
            end = HEADER_LEN + length
            if len(buf) < end:
                self._need = end
                return
            self._need = 0
            expected = xor_checksum(memoryview(buf)[5 : end - 1])
            actual = buf[end - 1]
            yield from self._pending_garbage()
            if expected == actual:
                yield Frame(bytes(buf[HEADER_LEN : end - 1]))
                del buf[:end]
            else:
                yield ChecksumMismatch(expected, actual, length)
                del buf[:1]


def _preamble_prefix_len(buf: bytearray) -> int:
    for k in range(min(len(buf), len(PREAMBLE) - 1), 0, -1):
        if buf.endswith(PREAMBLE[:k]):
            return k
    return 0


class MalformedFrame(ValueError):
    """One line, for `gig-kiosk idcard decode` and logs."""


def parse_one(data: bytes) -> Frame:
    """Exactly one well-formed frame and nothing else, or MalformedFrame."""
    parser = FrameParser()
    events = parser.feed(data) + parser.flush()
    frames = [e for e in events if isinstance(e, Frame)]
    errors = [e for e in events if isinstance(e, ParseError)]
    if errors:
        raise MalformedFrame(errors[0].reason)
    if len(frames) != 1:
        raise MalformedFrame("no frame found" if not frames else f"{len(frames)} frames, expected one")
    return frames[0]


def iter_frames(chunks: Iterable[bytes]) -> Iterator[Event]:
    parser = FrameParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.flush()


# --- status codes ----------------------------------------------------------------------------
class Status(IntEnum):
    OK = 0x90
    FIND_OK = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORISED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    VERIFY_ERROR = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81
    NO_CONTENT = 0x91


_STATUS = json.loads(Path(__file__).with_name("status_codes.json").read_text(encoding="utf-8"))
STATUS_TEXT: dict[int, tuple[str, str]] = {int(k, 16): (zh, en) for k, (zh, en) in _STATUS["codes"].items()}

# Statuses that point at the SAM module itself (a reset may help), not at the card.
SAM_FAULTS = frozenset({0x23, 0x24, 0x60, 0x66})
# Statuses that mean the card is there but could not be read this time.
CARD_FAULTS = frozenset({0x31, 0x32, 0x33, 0x41, 0x47, 0x81})
# Statuses that mean our command arrived damaged: just send it again.
LINK_FAULTS = frozenset({0x10, 0x11, 0x21})


def describe_status(code: int) -> tuple[str, str]:
    """(zh, en) meaning of SW3."""
    zh, en = _STATUS["unknown"]
    return STATUS_TEXT.get(code, (zh.format(code=f"{code:02X}"), en.format(code=f"{code:02X}")))


# --- text blocks -----------------------------------------------------------------------------
class DecodeError(ValueError):
    """A checksum-valid frame whose content is not a card. One line, no personal data."""


class UnknownCardType(DecodeError):
    def __init__(self, flag: str) -> None:
        super().__init__(f"unknown card type flag {flag!r}")
        self.flag = flag


# Field layouts in bytes (UCS-2 LE, two bytes a character). The type flag is always at 248.
LAYOUTS: dict[CardType, tuple[tuple[str, int], ...]] = {
    CardType.RESIDENT: (
        ("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70), ("id", 36),
        ("issuer", 30), ("valid_from", 16), ("valid_to", 16), ("reserved", 36),
    ),
    CardType.HKMT_PERMIT: (
        ("name", 30), ("sex", 2), ("reserved0", 4), ("birth", 16), ("address", 70), ("id", 36),
        ("issuer", 30), ("valid_from", 16), ("valid_to", 16), ("pass_number", 18),
        ("issue_count", 4), ("reserved1", 6), ("flag", 2), ("reserved2", 6),
    ),
    CardType.FOREIGN_2017: (
        ("name_en", 120), ("sex", 2), ("id", 30), ("nationality", 6), ("name", 30),
        ("valid_from", 16), ("valid_to", 16), ("birth", 16), ("version", 4), ("issuer", 8),
        ("flag", 2), ("reserved", 6),
    ),
    CardType.FOREIGN_2023: (
        ("name", 30), ("sex", 2), ("issue_count", 4), ("birth", 16), ("name_en", 70), ("id", 36),
        ("reserved0", 30), ("valid_from", 16), ("valid_to", 16), ("name_en2", 22),
        ("nationality", 6), ("flag", 2), ("prev_link", 6),
    ),
}
TYPE_FLAGS = {"J": CardType.HKMT_PERMIT, "I": CardType.FOREIGN_2017, "Y": CardType.FOREIGN_2023}
FLAG_OF = {v: k for k, v in TYPE_FLAGS.items()}
FLAG_OFFSET = 248


def card_type_of(block: bytes) -> CardType:
    flag = block[FLAG_OFFSET : FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    if flag in (" ", "\x00"):
        return CardType.RESIDENT
    if flag in TYPE_FLAGS:
        return TYPE_FLAGS[flag]
    raise UnknownCardType(flag)


def split_fields(block: bytes, card_type: CardType) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    for name, size in LAYOUTS[card_type]:
        raw = block[pos : pos + size]
        pos += size
        try:
            out[name] = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            raise DecodeError(f"field {name} is not valid UCS-2") from None
    return out


def _date(text: str, field: str) -> dt.date:
    t = text.strip(" \x00")
    if len(t) != 8 or not t.isdigit():
        raise DecodeError(f"field {field} is not YYYYMMDD")
    try:
        return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    except ValueError:
        raise DecodeError(f"field {field} is not a calendar date") from None


def _s(text: str) -> str:
    return text.strip(" \x00")


def decode_text_block(block: bytes) -> IdentityCard:
    """256-byte text block -> IdentityCard. Raises DecodeError / UnknownCardType."""
    if len(block) != TEXT_LEN:
        raise DecodeError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    card_type = card_type_of(block)
    f = split_fields(block, card_type)
    sex_code = _s(f["sex"])
    try:
        sex = Sex.from_code(sex_code)
    except KeyError:
        raise DecodeError("field sex has an unknown code") from None
    valid_to_text = _s(f["valid_to"])
    valid_to = None if valid_to_text == LONG_TERM else _date(valid_to_text, "valid_to")
    count = _s(f.get("issue_count", ""))
    if count and not count.isdigit():
        raise DecodeError("field issue_count is not a number")
    id_number = _s(f["id"]).upper()
    if not id_number:
        raise DecodeError("field id is empty")
    name_en = (f.get("name_en", "") + f.get("name_en2", "")).strip(" \x00")
    return IdentityCard(
        card_type=card_type,
        id_number=id_number,
        name=_s(f["name"]),
        sex=sex,
        birth_date=_date(f["birth"], "birth"),
        valid_from=_date(f["valid_from"], "valid_from"),
        valid_to=valid_to,
        name_en=name_en,
        nation_code=_s(f.get("nation", "")) if card_type is CardType.RESIDENT else "",
        address=_s(f.get("address", "")),
        issuer=_s(f.get("issuer", "")),
        nationality=_s(f.get("nationality", "")),
        pass_number=_s(f.get("pass_number", "")),
        issue_count=int(count) if count else None,
        version=_s(f.get("version", "")),
    )


def _field(value: str, size: int, name: str) -> bytes:
    raw = value.encode("utf-16-le")
    if len(raw) > size:
        raise ValueError(f"{name} does not fit in {size} bytes")
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def encode_text_block(card: IdentityCard) -> bytes:
    """IdentityCard -> 256-byte text block, as a reader sends it (simulator and tests)."""
    ymd = "%Y%m%d"
    name_en = card.name_en
    values = {
        "name": card.name,
        "sex": card.sex.code,
        "nation": card.nation_code,
        "birth": card.birth_date.strftime(ymd),
        "address": card.address,
        "id": card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from.strftime(ymd) if card.valid_from else "",
        "valid_to": card.valid_to.strftime(ymd) if card.valid_to else LONG_TERM,
        "pass_number": card.pass_number,
        "issue_count": "" if card.issue_count is None else f"{card.issue_count:02d}",
        "nationality": card.nationality,
        "version": card.version,
        "flag": FLAG_OF.get(card.card_type, " "),
    }
    if card.card_type is CardType.FOREIGN_2023:
        values["name_en"], values["name_en2"] = name_en[:35], name_en[35:]
    else:
        values["name_en"] = name_en
    out = b"".join(_field(values.get(n, ""), size, n) for n, size in LAYOUTS[card.card_type])
    assert len(out) == TEXT_LEN
    return out


# --- responses -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadLayout:
    text_len: int
    photo_len: int
    fingerprint_len: int | None  # None: plain text+photo read

    @property
    def text_offset(self) -> int:
        return 4 if self.fingerprint_len is None else 6


def read_layout(frame: Frame) -> ReadLayout | None:
    """The length header of a successful read response, or None if the frame is not one."""
    data = frame.data
    if frame.status != Status.OK or len(data) < 4:
        return None
    tl, pl = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) == 4 + tl + pl and tl:
        return ReadLayout(tl, pl, None)
    if len(data) >= 6:
        fl = int.from_bytes(data[4:6], "big")
        if len(data) == 6 + tl + pl + fl and tl:
            return ReadLayout(tl, pl, fl)
    return None


def decode_read_response(frame: Frame) -> IdentityCard:
    """Text+photo(+fingerprint) read response -> IdentityCard; photo and fingerprint skipped."""
    layout = read_layout(frame)
    if layout is None:
        raise DecodeError("not a read response: length header does not match the frame")
    if layout.text_len != TEXT_LEN:
        raise DecodeError(f"text length {layout.text_len}, expected {TEXT_LEN}")
    start = layout.text_offset
    return decode_text_block(frame.data[start : start + TEXT_LEN])


def build_read_response(text_block: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """Successful read response frame (the simulator's side)."""
    head = len(text_block).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if fingerprint is not None:
        head += len(fingerprint).to_bytes(2, "big")
    return build_response(Status.OK, head + text_block + photo + (fingerprint or b""))


def response_kind(frame: Frame) -> str:
    """Best guess at which command a response answers, from its status and shape."""
    if frame.status == Status.FIND_OK:
        return "find"
    if frame.status == Status.OK:
        if read_layout(frame) is not None:
            return "read"
        if len(frame.data) == 8:
            return "select"
        if len(frame.data) == 16:
            return "sam_id"
        return "ok"
    return "error"
