"""pyserial driver for SAM ID card reader modules.

One thread (devices.base.Device) polls: find → select → read. A card is announced once while
it stays; removal is announced after `removal_misses` polls without it. Faults the driver
handles itself: garbage and damaged replies (retry), a reader at another baud rate
(auto-detect 115200 … 9600), repeated SAM errors (reset the SAM), the port vanishing
(reconnect with backoff). Events (`card_laid`, `card_removed`, `card_problem`, Signals) run
on the driver thread; the UI must hop to its own
thread (Kivy: Clock.schedule_once).

Nothing personal is logged or kept: the driver remembers a salted digest of the text block
to recognise "the same card", never the fields, and never the photo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import serial

from devices.base import Device, DeviceGone, DeviceState
from devices.idcard import protocol as p
from devices.serialport import open_port, port_present
from kiosk.identity import IdentityCard, ProblemKind, ReadProblem
from kiosk.worker import Signal

log = logging.getLogger(__name__)

BAUD_RATES = (115200, 57600, 38400, 19200, 9600)
_READ_TIMEOUT_S = 0.02  # pyserial read slice; the transaction deadline is separate

Accept = Callable[[p.Frame], bool]


def _status_only(frame: p.Frame) -> bool:
    # Exactly SW1 SW2 SW3: shorter is no response at all, e.g. our own command echoed back by
    # a looped line (loop://, a TX-RX bridged adapter), which must not pass for a reader.
    return len(frame.payload) == 3


def _accept_find(frame: p.Frame) -> bool:
    return frame.status == p.Status.FIND_OK or (_status_only(frame) and frame.status != p.Status.OK)


def _accept_select(frame: p.Frame) -> bool:
    return p.response_kind(frame) == "select" or (_status_only(frame) and frame.status != p.Status.OK)


def _accept_read(frame: p.Frame) -> bool:
    return p.response_kind(frame) == "read" or (_status_only(frame) and frame.status != p.Status.OK)


@dataclass(frozen=True, slots=True)
class ReaderStats:
    """Counters for the maintenance screen and heartbeats (no personal data)."""

    baudrate: int | None
    cards_read: int
    problems: int
    sam_resets: int
    timeouts: int
    retries: int
    reconnects: int
    parse_errors: dict[str, int]


class IdCardReader(Device):
    name = "idcard"
    backoff_base_s = 0.1
    backoff_cap_s = 1.0  # a USB reader re-appears within a second; look often

    def __init__(
        self,
        port: str,
        baudrate: int | Literal["auto"] = "auto",
        poll_interval_s: float = 0.3,
        on_card: Callable[[IdentityCard], None] | None = None,
        on_removed: Callable[[], None] | None = None,
        on_error: Callable[[ReadProblem], None] | None = None,
        *,
        removal_misses: int = 2,
        unreadable_after: int = 3,
        sam_reset_after: int = 3,
        retries: int = 2,
        command_timeout_s: float = 0.25,
        read_timeout_s: float = 1.5,
        detect_timeout_s: float = 0.2,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__()
        if baudrate != "auto" and baudrate not in BAUD_RATES:
            raise ValueError(f"baudrate must be 'auto' or one of {BAUD_RATES}")
        self.port = port
        self.baudrate = baudrate
        self.poll_interval_s = poll_interval_s
        # Events, on the reader thread (the constructor's on_* are their first listeners).
        self.card_laid: Signal[[IdentityCard]] = Signal("idcard.card_laid", on_card)
        self.card_removed: Signal[[]] = Signal("idcard.card_removed", on_removed)
        self.card_problem: Signal[[ReadProblem]] = Signal("idcard.card_problem", on_error)
        self.removal_misses = removal_misses
        self.unreadable_after = unreadable_after
        self.sam_reset_after = sam_reset_after
        self.retries = retries
        self.command_timeout_s = command_timeout_s
        self.read_timeout_s = read_timeout_s
        self.detect_timeout_s = detect_timeout_s
        self.today = today
        self._ser: serial.SerialBase | None = None
        self._parser = p.FrameParser()
        self._salt = secrets.token_bytes(16)
        self._baud_in_use: int | None = None
        self._next_poll = 0.0
        self._counts: Counter[str] = Counter()
        self._parse_errors: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        # The current placement: digest of the card's text block, whether it was announced,
        # empty polls since, failed reads, and which problem was already told.
        self._card_key: bytes | None = None
        self._announced = False
        self._misses = 0
        self._failed_reads = 0
        self._reported: ProblemKind | None = None
        self._sam_errors = 0
        self._sam_reset_threshold = sam_reset_after
        self._link_failures = 0
        self._opened_once = False

    # --- public -------------------------------------------------------------------------
    @property
    def stats(self) -> ReaderStats:
        c = self._counts
        with self._stats_lock:
            errors = dict(self._parse_errors)
        return ReaderStats(
            baudrate=self._baud_in_use,
            cards_read=c["cards"],
            problems=c["problems"],
            sam_resets=c["sam_resets"],
            timeouts=c["timeouts"],
            retries=c["retries"],
            reconnects=c["reconnects"],
            parse_errors=errors,
        )

    @property
    def card_present(self) -> bool:
        """True while an announced card is on the reader."""
        return self._announced

    @property
    def card_tracked(self) -> bool:
        """True while any read card lies on the reader, including one refused (expired, ...)."""
        return self._card_key is not None

    # --- Device hooks ---------------------------------------------------------------------
    def open(self) -> None:
        if not port_present(self.port):
            raise DeviceGone("port missing")
        try:
            self._ser = open_port(
                self.port,
                BAUD_RATES[0] if self.baudrate == "auto" else self.baudrate,
                timeout=_READ_TIMEOUT_S,
                write_timeout=1.0,
            )
        except (serial.SerialException, ValueError) as exc:
            raise DeviceGone(str(exc)) from None
        if self._opened_once:
            self._counts["reconnects"] += 1
        self._opened_once = True
        self._baud_in_use = None
        self._link_failures = 0
        self._next_poll = 0.0

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished port may fail; it is gone either way
                pass
        self._parser.reset()

    def step(self) -> None:
        try:
            self._step()
        except (serial.SerialException, OSError, DeviceGone) as exc:
            self._device_lost()
            # The base loop reopens at once; if the node still exists but is broken, this pause
            # is what keeps that from spinning.
            self.sleep(self.backoff(1))
            raise DeviceGone(type(exc).__name__) from None

    # --- the cycle -------------------------------------------------------------------------
    def _step(self) -> None:
        if not port_present(self.port):
            raise DeviceGone("port missing")
        now = time.monotonic()
        if now < self._next_poll:
            self.sleep(self._next_poll - now)
            return
        self._next_poll = now + self.poll_interval_s
        if self._baud_in_use is None:
            if not self._connect():
                self._next_poll = time.monotonic() + self.backoff(2)
            return
        self._poll()

    def _connect(self) -> bool:
        """Find the speed the module talks at and check its SAM."""
        assert self._ser is not None
        rates = BAUD_RATES if self.baudrate == "auto" else (self.baudrate,)
        for rate in rates:
            if not self.running:
                return False
            if self._ser.baudrate != rate:
                self._ser.baudrate = rate
            frame = self._transact(p.SAM_STATUS, self.detect_timeout_s, _status_only)
            if frame is not None:
                self._baud_in_use = rate
                log.info("idcard: reader answers at %d baud", rate)
                if frame.status in p.SAM_FAULTS:
                    self._sam_fault(frame.status)
                else:
                    self._sam_ok()
                return True
        tried = f"{rates[0]}..{rates[-1]}" if len(rates) > 1 else str(rates[0])
        self._set_status(DeviceState.UNKNOWN, f"no answer at {tried} baud")
        return False

    def _poll(self) -> None:
        frame = self._command(p.FIND_CARD, self.command_timeout_s, _accept_find)
        if frame is None:
            return
        status = frame.status
        if status in p.SAM_FAULTS:
            self._sam_fault(status)
            return
        if status == p.Status.FIND_OK:
            self._sam_ok()
            self._misses = 0
            if self._card_key is None:
                self._read_card()
            return
        if status == p.Status.NO_CARD:
            self._sam_ok()
            if self._card_key is None:
                self._reset_placement()
                return
            # Some modules stop answering find for a card they have read while it stays on
            # the reader: ask the card itself before calling it gone.
            if self._same_card_still_there():
                self._misses = 0
                return
            self._misses += 1
            if self._misses >= self.removal_misses:
                self._card_gone()

    def _read_card(self) -> None:
        """Select and read the card just found; announce it or report why not (once)."""
        frame = self._select_and_read()
        if frame is None:
            return
        block = self._text_block(frame)
        if block is None:
            return
        key = self._key(block)
        try:
            card = p.decode_text_block(block)
        except p.UnknownCardType as exc:
            self._placement_problem(ReadProblem(ProblemKind.UNKNOWN_CARD_TYPE, str(exc)), key)
            return
        except p.DecodeError as exc:
            self._placement_problem(ReadProblem(ProblemKind.INVALID_DATA, str(exc)), key)
            return
        problem = card.problem(self.today())
        if problem is not None:
            self._placement_problem(problem, key)
            return
        self._card_key = key
        self._announced = True
        self._counts["cards"] += 1
        self._set_status(DeviceState.OK, self._ok_detail())
        log.info("idcard: %s read", card.card_type.value)
        self.card_laid.emit(card)

    def _select_and_read(self) -> p.Frame | None:
        sel = self._command(p.SELECT_CARD, self.command_timeout_s, _accept_select)
        if sel is None:
            return None
        if sel.status != p.Status.OK:
            self._read_failed(sel.status)
            return None
        frame = self._command(p.READ_TEXT_PHOTO, self.read_timeout_s, _accept_read)
        if frame is None:
            self._read_failed(None)
            return None
        if frame.status != p.Status.OK:
            self._read_failed(frame.status)
            return None
        return frame

    def _text_block(self, frame: p.Frame) -> bytes | None:
        layout = p.read_layout(frame)
        if layout is None or layout.text_len != p.TEXT_LEN:
            self._placement_problem(ReadProblem(ProblemKind.INVALID_DATA, "read reply has a bad layout"), None)
            return None
        start = layout.text_offset
        return frame.data[start : start + p.TEXT_LEN]

    def _same_card_still_there(self) -> bool:
        sel = self._command(p.SELECT_CARD, self.command_timeout_s, _accept_select)
        if sel is None or sel.status != p.Status.OK:
            return False
        frame = self._command(p.READ_TEXT_PHOTO, self.read_timeout_s, _accept_read)
        if frame is None or frame.status != p.Status.OK:
            return False
        block = self._text_block(frame)
        if block is None:
            return False
        if self._key(block) == self._card_key:
            return True
        # A different card was laid down in between: end the old one, read the new one.
        self._card_gone()
        self._read_card()
        return False

    def _read_failed(self, status: int | None) -> None:
        if status is not None and status in p.SAM_FAULTS:
            self._sam_fault(status)
            if self._sam_reset_threshold > self.sam_reset_after and self._reported is None:
                # A reset already failed: tell the seeker to get staff rather than wait.
                self._report(ReadProblem(ProblemKind.READER_FAULT, f"SAM status {status:02X}", status))
            return
        if status == p.Status.UNKNOWN_CARD_TYPE:
            self._placement_problem(ReadProblem(ProblemKind.UNKNOWN_CARD_TYPE, "reader: unknown card type", status), None)
            return
        self._failed_reads += 1
        if self._failed_reads >= self.unreadable_after and self._reported is None:
            detail = "no reply" if status is None else f"status {status:02X}"
            self._report(ReadProblem(ProblemKind.UNREADABLE, detail, status))

    def _placement_problem(self, problem: ReadProblem, key: bytes | None) -> None:
        # Remember the card so its problem is told once, not on every poll while it lies there.
        if key is not None:
            self._card_key = key
        if self._reported != problem.kind:
            self._report(problem)

    def _report(self, problem: ReadProblem) -> None:
        self._reported = problem.kind
        self._counts["problems"] += 1
        log.info("idcard: card problem %s (%s)", problem.kind.value, problem.detail)
        self.card_problem.emit(problem)

    def _card_gone(self) -> None:
        announced = self._announced
        self._reset_placement()
        if announced:
            self.card_removed.emit()

    def _reset_placement(self) -> None:
        self._card_key = None
        self._announced = False
        self._misses = 0
        self._failed_reads = 0
        self._reported = None

    def _device_lost(self) -> None:
        # Whoever is at the kiosk can no longer be vouched for by a reader that is gone.
        self._baud_in_use = None
        self._card_gone()

    # --- SAM --------------------------------------------------------------------------------
    def _sam_fault(self, status: int) -> None:
        zh, en = p.describe_status(status)
        self._set_status(DeviceState.ERROR, f"SAM error {status:02X} ({en})")
        self._sam_errors += 1
        if self._sam_errors < self._sam_reset_threshold:
            return
        self._sam_errors = 0
        self._counts["sam_resets"] += 1
        log.warning("idcard: resetting SAM after repeated errors (%02X)", status)
        reset = self._command(p.RESET_SAM, self.read_timeout_s, _status_only)
        check = self._command(p.SAM_STATUS, self.command_timeout_s, _status_only) if reset else None
        if check is not None and check.status == p.Status.OK:
            self._sam_ok()
        else:
            # Back off: a SAM that a reset does not fix should not be reset every second.
            self._sam_reset_threshold = min(self._sam_reset_threshold * 2, 64)

    def _sam_ok(self) -> None:
        self._sam_errors = 0
        self._sam_reset_threshold = self.sam_reset_after
        self._set_status(DeviceState.OK, self._ok_detail())

    def _ok_detail(self) -> str:
        return f"{self._baud_in_use} baud"

    # --- transactions -----------------------------------------------------------------------
    def _command(self, command: bytes, timeout: float, accept: Accept) -> p.Frame | None:
        """Send with retries. Replies about a damaged command (10/11/21) are retried too.
        Repeated silence means the module may have restarted at another speed: re-detect."""
        for attempt in range(self.retries + 1):
            if attempt:
                self._counts["retries"] += 1
            frame = self._transact(command, timeout, accept)
            if frame is not None and frame.status not in p.LINK_FAULTS:
                self._link_failures = 0
                return frame
            if not self.running:
                return None
        self._link_failures += 1
        if self._link_failures >= 3:
            self._baud_in_use = None
            self._set_status(DeviceState.UNKNOWN, "reader stopped answering")
        return None

    def _transact(self, command: bytes, timeout: float, accept: Accept) -> p.Frame | None:
        ser = self._ser
        if ser is None:
            raise DeviceGone("port closed")
        self._parser.reset()
        ser.reset_input_buffer()  # stale replies to an earlier, timed-out command
        ser.write(command)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running:
            chunk = ser.read(max(1, ser.in_waiting))
            if not chunk:
                continue
            for event in self._parser.feed(chunk):
                if isinstance(event, p.Frame):
                    if accept(event):
                        return event
                    self._count_error("StrayFrame")
                else:
                    self._count_error(type(event).__name__)
        self._counts["timeouts"] += 1
        return None

    def _count_error(self, name: str) -> None:
        with self._stats_lock:
            self._parse_errors[name] += 1

    def _key(self, block: bytes) -> bytes:
        return hashlib.blake2b(block, key=self._salt, digest_size=16).digest()
