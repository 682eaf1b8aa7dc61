"""The kiosk's phone rule (kiosk.phone) and the central server's (central/schemas.py) are
separate code on purpose (central shares nothing with the kiosk): this test keeps them equal,
so an application the kiosk accepts is never refused by the server for its phone number."""

from __future__ import annotations

import random

from central import schemas
from kiosk import phone


def test_the_kiosks_phone_pattern_is_the_servers() -> None:
    assert phone.PATTERN == schemas._PHONE.pattern


def test_every_number_the_kiosk_accepts_the_server_accepts() -> None:
    rng = random.Random(15)
    samples = [f"1{rng.randrange(10)}{rng.randrange(10**9):09d}" for _ in range(3000)]
    samples += ["13900000001", "12345678901", "1390000000", "139000000011", "23900000001"]
    accepted = [n for n in samples if phone.is_valid(n)]
    assert len(accepted) > 1000  # the sample does reach the accepting side
    assert all(schemas._PHONE.fullmatch(n) for n in accepted)
    # and the shape rule itself agrees on every sample, both ways
    assert [bool(phone._MOBILE.match(n)) for n in samples] == [bool(schemas._PHONE.fullmatch(n)) for n in samples]
