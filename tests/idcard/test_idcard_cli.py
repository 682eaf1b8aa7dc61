"""`gig-kiosk idcard decode|listen|simulate`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.idcard import protocol as p
from devices.idcard.simulator import ReaderSimulator, fake_photo
from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["idcard", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_decode_captured_find_reply(capsys) -> None:
    rc, out, err = _run(capsys, "decode", "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert doc["status"] == "9F" and doc["kind"] == "find" and doc["ok"] is True
    assert doc["message_zh"] == "寻找证/卡成功" and doc["message_en"] == "card found"


def test_decode_split_arguments_and_error_status(capsys) -> None:
    rc, out, _ = _run(capsys, "decode", "AAAAAA9669", "0004", "000080", "84")
    assert rc == 0
    doc = json.loads(out)
    assert doc["ok"] is False and doc["message_en"] == "no card found" and doc["kind"] == "error"


def test_decode_read_reply_from_stdin_is_masked(capsys, monkeypatch, cards) -> None:
    card = cards["resident"]
    frame = p.build_read_response(p.encode_text_block(card), fake_photo())
    monkeypatch.setattr(sys, "stdin", io.StringIO(frame.hex(" ") + "\n"))
    rc, out, _ = _run(capsys, "decode", "-", "--today", "2026-06-01")
    assert rc == 0
    doc = json.loads(out)
    assert doc["kind"] == "read" and doc["photo_bytes_skipped"] == 1024
    assert doc["card"]["id_number"] == card.masked_id and doc["card"]["name"] == "李*梅"
    assert doc["card"]["age"] == 36 and doc["card_problem"] is None
    assert card.id_number not in out and card.name not in out and card.address not in out


def test_decode_expired_card_says_so(capsys, cards) -> None:
    frame = p.build_read_response(p.encode_text_block(cards["expired"]), fake_photo())
    rc, out, _ = _run(capsys, "decode", frame.hex(), "--today", "2026-06-01")
    assert rc == 0 and json.loads(out)["card_problem"] == "expired"


@pytest.mark.parametrize(
    "text,reason",
    [
        ("AA AA AA 96 69 00 04 00 00 80 85", "checksum mismatch"),
        ("AA AA AA 96 69 00 04 00", "truncated"),
        ("hello", "not hex"),
        ("AA AA AA 96 69 00 03 20 01 22", "too short"),
        ("00 01 02", "skipped"),
        ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97 AA AA AA 96 69 00 04 00 00 80 84", "2 frames"),
    ],
)
def test_decode_malformed_exits_2_with_one_line(capsys, text: str, reason: str) -> None:
    rc, out, err = _run(capsys, "decode", text)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and reason in err and err.startswith("malformed frame: ")


def test_decode_read_reply_with_damaged_text_exits_2(capsys, cards) -> None:
    block = bytearray(p.encode_text_block(cards["resident"]))
    block[248:250] = "Q".encode("utf-16-le")
    frame = p.build_read_response(bytes(block), fake_photo())
    rc, out, err = _run(capsys, "decode", frame.hex())
    assert rc == 2 and "unknown card type" in err


def test_listen_prints_masked_events(capsys, cards) -> None:
    with ReaderSimulator(cards.values()) as sim:
        sim.place(cards["long_term"])
        rc, out, _ = _run(capsys, "listen", "--port", sim.path, "--poll", "0.05", "--seconds", "1")
    assert rc == 0
    events = [json.loads(line) for line in out.splitlines()]
    kinds = [e["event"] for e in events]
    assert "card" in kinds and kinds[-1] == "stats"
    card = next(e for e in events if e["event"] == "card")
    assert card["name"] == "王*国" and card["valid_to"] == "长期"
    assert cards["long_term"].id_number not in out


@pytest.mark.parametrize("tcp", [False, True], ids=["pty", "tcp"])
def test_simulate_prints_a_path_a_driver_can_open(cards, tcp: bool) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "idcard", "simulate", "--card", "young", "--seconds", "20",
         *(["--tcp"] if tcp else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=ROOT, env=env,
    )
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("socket://127.0.0.1:") if tcp else os.path.islink(path)
        from devices.idcard.reader import IdCardReader

        got = []
        reader = IdCardReader(path, poll_interval_s=0.05, on_card=got.append)
        reader.start()
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        reader.stop()
        assert got == [cards["young"]]
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
    assert not os.path.exists(path)  # cleaned up on SIGTERM


def test_simulate_unknown_card_label(capsys) -> None:
    rc, out, err = _run(capsys, "simulate", "--card", "nobody", "--seconds", "0.1")
    assert rc == 2 and "choose from" in err
