"""ID card reader: card placed (simulator) → IdentityCard delivered, and parser throughput.

Latency goal (issue 3): median ≤ poll interval + 30 ms, measured through the real driver over
a real pty, with cards laid down at random moments of the poll cycle. The simulator answers
at once, so this measures the driver and the link, not a module's RF read time.

Parser goal: keep far ahead of the wire — at least 100× the 115200-baud line rate on 1295-byte
read replies fed in 64-byte chunks (what serial reads deliver). A bare preamble+length splitter
without checksum runs in the same process as a baseline, for the cost of verification.
"""

from __future__ import annotations

import random
import statistics
import threading
import time

from bench.run import Row
from devices.idcard import protocol as p
from devices.idcard.reader import IdCardReader
from devices.idcard.simulator import ReaderSimulator, fake_photo, load_cards

NAME = "bench_idcard"
LINE_RATE_BPS = 115200 / 10  # 8N1: ten bits a byte


def _latency(poll_s: float, placements: int, *, tcp: bool = False) -> list[float]:
    cards = list(load_cards().values())
    got = threading.Event()
    gone = threading.Event()
    stamp: list[float] = []

    def on_card(card: object) -> None:
        stamp.append(time.perf_counter())
        got.set()

    with ReaderSimulator(cards, tcp=tcp) as sim:
        reader = IdCardReader(sim.path, poll_interval_s=poll_s, on_card=on_card, on_removed=gone.set)
        reader.start()
        try:
            deadline = time.monotonic() + 5
            while not reader.status.ok and time.monotonic() < deadline:
                time.sleep(0.01)
            rng = random.Random(3)
            fresh = [c for c in cards if c.problem() is None]
            out = []
            for i in range(placements):
                time.sleep(rng.uniform(0, poll_s))  # a random phase of the poll cycle
                got.clear()
                gone.clear()
                t0 = time.perf_counter()
                sim.place(fresh[i % len(fresh)])
                if not got.wait(5):
                    raise RuntimeError("card not delivered within 5 s")
                out.append(stamp[-1] - t0)
                sim.remove()
                if not gone.wait(5):
                    raise RuntimeError("removal not seen within 5 s")
            return out
        finally:
            reader.stop()


def _stream(frames: int) -> bytes:
    cards = list(load_cards().values())
    return b"".join(
        p.build_read_response(p.encode_text_block(cards[i % len(cards)]), fake_photo(i % 4)) for i in range(frames)
    )


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _parse(chunks: list[bytes]) -> int:
    parser = p.FrameParser()
    n = 0
    for chunk in chunks:
        for event in parser.feed(chunk):
            n += isinstance(event, p.Frame)
    return n


def _bare_split(chunks: list[bytes]) -> int:
    """Baseline: find preamble, read LEN, slice. No checksum, no error handling."""
    buf = bytearray()
    n = 0
    for chunk in chunks:
        buf += chunk
        while True:
            i = buf.find(p.PREAMBLE)
            if i < 0 or len(buf) < i + 7:
                break
            end = i + 7 + int.from_bytes(buf[i + 5 : i + 7], "big")
            if len(buf) < end:
                break
            bytes(buf[i + 7 : end - 1])
            del buf[:end]
            n += 1
    return n


def _best(fn, arg, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t0)
    return best


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    poll_s = 0.1 if quick else 0.3
    lat = _latency(poll_s, 8 if quick else 30)
    med = statistics.median(lat) * 1000
    goal = poll_s * 1000 + 30
    rows.append(Row(NAME, f"card placed → IdentityCard, median (poll {poll_s * 1000:.0f} ms, n={len(lat)})", med, "ms", f"<= {goal:.0f} ms", med <= goal))
    rows.append(Row(NAME, "card placed → IdentityCard, max", max(lat) * 1000, "ms"))
    # The same through a socket:// URL (a serial server), against the pty run above.
    lat_tcp = _latency(poll_s, 8 if quick else 30, tcp=True)
    med_tcp = statistics.median(lat_tcp) * 1000
    rows.append(Row(NAME, f"card placed → IdentityCard over socket://, median (n={len(lat_tcp)})", med_tcp, "ms",
                    f"<= {goal:.0f} ms", med_tcp <= goal))
    rows.append(Row(NAME, "socket:// median / pty median", med_tcp / med, "x"))

    frames = 200 if quick else 2000
    data = _stream(frames)
    chunks64 = _chunks(data, 64)
    repeat = 3 if quick else 5
    assert _parse(chunks64) == frames and _parse([data]) == frames and _bare_split(chunks64) == frames
    t64 = _best(_parse, chunks64, repeat)
    twhole = _best(_parse, [data], repeat)
    tbase = _best(_bare_split, chunks64, repeat)
    mbps = len(data) / t64 / 1e6
    ratio = len(data) / t64 / LINE_RATE_BPS
    rows.append(Row(NAME, "parser, 1295-byte frames in 64-byte chunks", mbps, "MB/s"))
    rows.append(Row(NAME, "parser, frames per second (64-byte chunks)", frames / t64, "frames/s"))
    rows.append(Row(NAME, "parser speed / 115200-baud line rate", ratio, "x", ">= 100x", ratio >= 100))
    rows.append(Row(NAME, "parser, whole stream in one chunk", len(data) / twhole / 1e6, "MB/s"))
    rows.append(Row(NAME, "parser time / bare splitter without checksum (64-byte chunks)", t64 / tbase, "x"))
    card_frame = p.parse_one(data[: p.READ_FRAME_LEN])
    tdec = _best(lambda n: [p.decode_read_response(card_frame) for _ in range(n)], 500, repeat) / 500
    rows.append(Row(NAME, "decode one read reply to IdentityCard", tdec * 1e6, "µs"))
    return rows
