"""`gig-kiosk idcard decode|listen|simulate` — for maintainers and developers. Headless.

decode   one reader response frame (hex, spaces allowed; `-` reads stdin) → one JSON line.
         Exit 2 with a one-line reason when the frame is malformed.
listen   run the real driver on a port and print events as JSON lines (masked) until Ctrl-C.
simulate start a simulated reader on a pty (or TCP), print its path, serve until Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import signal
import sys
import threading
from typing import Any

from devices.idcard import protocol as p

EXIT_MALFORMED = 2


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)

    dec = sub.add_parser("decode", help="decode one response frame given in hex (or - for stdin)")
    dec.add_argument("hex", nargs="+", help="frame bytes in hex, e.g. 'AA AA AA 96 69 00 04 00 00 90 94'")
    dec.add_argument("--today", type=dt.date.fromisoformat, help="date for age/expiry (default: today)")

    lis = sub.add_parser("listen", help="read cards from a real reader, print masked events")
    lis.add_argument("--port", required=True, help="serial device or pyserial URL, e.g. /dev/ttyUSB0, socket://10.0.0.5:4001")
    lis.add_argument("--baud", default="auto", help="auto (default) or 115200/57600/38400/19200/9600")
    lis.add_argument("--poll", type=float, default=0.3, help="poll interval in seconds")
    lis.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until Ctrl-C)")

    sim = sub.add_parser("simulate", help="simulated reader on a pty; prints the path to open")
    sim.add_argument("--cards", default=None, help="cards JSON (default: assets/demo/cards.json)")
    sim.add_argument("--card", default=None, help="label of the card to lay on the reader at start")
    sim.add_argument("--baud", type=int, default=115200, help="speed the simulated module talks at")
    sim.add_argument("--link", default=None, help="path of the symlink to create (default: a temp dir)")
    sim.add_argument("--tcp", action="store_true", help="listen on 127.0.0.1 instead; prints a socket:// URL")
    sim.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until Ctrl-C)")


def run(args: argparse.Namespace) -> int:
    return {"decode": _decode, "listen": _listen, "simulate": _simulate}[args.action](args)


# --- decode ------------------------------------------------------------------------------------
def decode_hex(text: str, today: dt.date | None = None) -> dict[str, Any]:
    """Hex text → the JSON-able description printed by `idcard decode`. Raises MalformedFrame."""
    cleaned = re.sub(r"(0x)|[\s:,]", "", text.strip(), flags=re.IGNORECASE)
    if not cleaned:
        raise p.MalformedFrame("no input")
    if len(cleaned) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", cleaned):
        raise p.MalformedFrame("input is not hex bytes")
    frame = p.parse_one(bytes.fromhex(cleaned))
    if len(frame.payload) < 3:
        raise p.MalformedFrame(f"response too short: {len(frame.payload)} payload byte(s), need SW1 SW2 SW3")
    zh, en = p.describe_status(frame.status)
    out: dict[str, Any] = {
        "status": f"{frame.status:02X}",
        "sw": frame.sw.hex(" ").upper(),
        "ok": frame.status in (p.Status.OK, p.Status.FIND_OK),
        "message_zh": zh,
        "message_en": en,
        "kind": p.response_kind(frame),
        "data_len": len(frame.data),
    }
    layout = p.read_layout(frame)
    if layout is not None:
        try:
            card = p.decode_read_response(frame)
        except p.DecodeError as exc:
            raise p.MalformedFrame(f"read response: {exc}") from None
        today = today or dt.date.today()
        out["card"] = card.masked_dict(today)
        problem = card.problem(today)
        out["card_problem"] = problem.kind.value if problem else None
        out["photo_bytes_skipped"] = layout.photo_len
        if layout.fingerprint_len is not None:
            out["fingerprint_bytes_skipped"] = layout.fingerprint_len
    return out


def _decode(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.hex == ["-"] else " ".join(args.hex)
    try:
        result = decode_hex(text, args.today)
    except p.MalformedFrame as exc:
        print(f"malformed frame: {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    print(json.dumps(result, ensure_ascii=False))
    return 0


# --- listen ------------------------------------------------------------------------------------
def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _listen(args: argparse.Namespace) -> int:
    from devices.idcard.reader import BAUD_RATES, IdCardReader
    from kiosk.i18n import tr

    baud: int | str = args.baud if args.baud == "auto" else int(args.baud)
    if baud != "auto" and baud not in BAUD_RATES:
        print(f"--baud must be auto or one of {', '.join(map(str, BAUD_RATES))}", file=sys.stderr)
        return 2
    reader = IdCardReader(
        args.port,
        baud,  # type: ignore[arg-type]
        args.poll,
        on_card=lambda c: _emit({"event": "card", **c.masked_dict()}),
        on_removed=lambda: _emit({"event": "removed"}),
        on_error=lambda e: _emit(
            {"event": "problem", "kind": e.kind.value, "message_zh": tr(e.msgid, "zh"), "message_en": e.msgid, "detail": e.detail}
        ),
    )
    reader.status_changed.connect(lambda s: _emit({"event": "status", **s.as_dict()}))
    reader.start()
    try:
        _wait(args.seconds)
    finally:
        reader.stop()
        _emit({"event": "stats", **dataclasses.asdict(reader.stats)})
    return 0


# --- simulate ----------------------------------------------------------------------------------
def _simulate(args: argparse.Namespace) -> int:
    from devices.idcard.simulator import DEMO_CARDS, ReaderSimulator, load_cards

    cards = load_cards(args.cards or DEMO_CARDS)
    if args.card is not None and args.card not in cards:
        print(f"unknown card {args.card!r}; choose from: {', '.join(cards)}", file=sys.stderr)
        return 2
    sim = ReaderSimulator(cards.values(), baudrate=args.baud, link_path=args.link, tcp=args.tcp)
    path = sim.start()
    if args.card is not None:
        sim.place(cards[args.card])
    print(path, flush=True)
    print(f"cards: {', '.join(cards)}; type 'place LABEL', 'remove', 'unplug', 'replug' on stdin", file=sys.stderr)
    if sys.stdin is not None and not sys.stdin.closed:
        threading.Thread(target=_console, args=(sim, cards), daemon=True).start()
    try:
        _wait(args.seconds)
    finally:
        sim.stop()
    return 0


def _console(sim: Any, cards: dict[str, Any]) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, rest = words[0], words[1:]
        if cmd == "place" and rest and rest[0] in cards:
            sim.place(cards[rest[0]])
        elif cmd == "remove":
            sim.remove()
        elif cmd == "unplug":
            sim.unplug()
        elif cmd == "replug":
            sim.replug()
        else:
            print(f"? {cmd}: place LABEL | remove | unplug | replug", file=sys.stderr)


def _wait(seconds: float) -> None:
    """Block until Ctrl-C/SIGTERM, or `seconds` if positive."""
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait(seconds if seconds > 0 else None)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
