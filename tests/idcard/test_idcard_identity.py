"""IdentityCard: check digit (agrees with python-stdnum), birth date, age, expiry, masks, demo cards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from stdnum.cn import ric

from devices.idcard.simulator import DEMO_CARDS
from kiosk.i18n import tr
from kiosk.identity import (
    CardType,
    IdentityCard,
    InvalidIdentity,
    ProblemKind,
    ReadProblem,
    Sex,
    area_known,
)
from kiosk.idnumber import calc_check_digit as check_digit

TODAY = dt.date(2026, 6, 1)


def _card(**kw: object) -> IdentityCard:
    base = dict(
        card_type=CardType.RESIDENT, id_number="34990119900315042X", name="李小梅", sex=Sex.FEMALE,
        birth_date=dt.date(1990, 3, 15), valid_from=dt.date(2015, 6, 1), valid_to=dt.date(2035, 6, 1),
    )
    base.update(kw)
    return IdentityCard(**base)  # type: ignore[arg-type]


def test_check_digit_matches_stdnum_and_the_reference_example() -> None:
    assert check_digit("11010519491231002") == "X"  # GB 11643 example
    assert ric.is_valid("360426199101010071") and check_digit("36042619910101007") == "1"
    for n in ("34990119900315042", "99927619880421002", "82990119950712002"):
        assert check_digit(n) == ric.calc_check_digit(n + "0")


def test_unknown_area_code_is_accepted_when_the_check_digit_is_right() -> None:
    card = _card()
    assert not area_known(card.id_number)  # 3499xx does not exist (fictional)
    try:  # stdnum's validate would reject it (or, in stdnum 2.x, crash with KeyError)...
        accepted = ric.is_valid(card.id_number)
    except KeyError:
        accepted = False
    assert not accepted
    card.validate(TODAY)  # ...we do not
    assert card.problem(TODAY) is None


@pytest.mark.parametrize(
    "change,reason",
    [
        (dict(id_number="349901199003150421"), "check digit"),
        (dict(id_number="34990119900315042"), "17 digits"),
        (dict(birth_date=dt.date(1990, 3, 16)), "birth date"),
        (dict(valid_to=dt.date(2010, 1, 1)), "before valid-from"),
        (dict(card_type=CardType.HKMT_PERMIT), "81, 82 or 83"),
        (dict(card_type=CardType.FOREIGN_2023), "start with 9"),
        (dict(card_type=CardType.FOREIGN_2017), "3 letters"),
    ],
)
def test_invalid_identities(change: dict, reason: str) -> None:
    card = _card(**change)
    with pytest.raises(InvalidIdentity, match=reason):
        card.validate(TODAY)
    problem = card.problem(TODAY)
    assert problem is not None and problem.kind is ProblemKind.INVALID_DATA


def test_birth_in_the_future_is_invalid() -> None:
    with pytest.raises(InvalidIdentity, match="future"):
        _card().validate(dt.date(1980, 1, 1))


def test_age_on_a_date() -> None:
    card = _card()
    assert card.age_on(dt.date(2026, 3, 14)) == 35
    assert card.age_on(dt.date(2026, 3, 15)) == 36
    leap = _card(birth_date=dt.date(2008, 2, 29))
    assert leap.age_on(dt.date(2026, 2, 28)) == 17
    assert leap.age_on(dt.date(2026, 3, 1)) == 18


def test_expiry_including_the_last_day_and_long_term() -> None:
    card = _card(valid_to=dt.date(2026, 6, 1))
    assert not card.is_expired(dt.date(2026, 6, 1))
    assert card.is_expired(dt.date(2026, 6, 2))
    problem = card.problem(dt.date(2026, 6, 2))
    assert problem is not None and problem.kind is ProblemKind.EXPIRED
    forever = _card(valid_to=None)
    assert forever.long_term and not forever.is_expired(dt.date(2199, 1, 1))
    assert forever.valid_to_text == "长期"


def test_masked_forms() -> None:
    card = _card()
    assert card.masked_id == "3499**********042X"
    assert card.masked_name == "李*梅"
    assert _card(name="李梅").masked_name == "李*"
    assert _card(name="", name_en="SMITH, JOHN").masked_name == "S***** J***"
    text = repr(card) + str(card)
    assert "李小梅" not in text and "34990119900315042X" not in text and "3499**********042X" in text
    m = card.masked_dict(TODAY)
    assert m["birth_date"] == "1990-**-**" and m["age"] == 36
    assert "34990119900315042X" not in json.dumps(m, ensure_ascii=False)


def test_masked_address() -> None:
    card = _card(address="安徽省虚构市示范区公园路18号")
    assert card.masked_address.startswith("安徽省虚构市") and "公园路" not in card.masked_address


def test_problem_messages_zh_and_en() -> None:
    for kind in ProblemKind:
        problem = ReadProblem(kind)
        assert not tr(problem.msgid, "zh").isascii()
        assert problem.msgid and problem.msgid.isascii()


def test_dict_round_trip() -> None:
    for card in (_card(), _card(valid_to=None), _card(issue_count=2, pass_number="H1")):
        assert IdentityCard.from_dict(json.loads(json.dumps(card.to_dict(), ensure_ascii=False))) == card


def test_demo_cards_cover_what_the_demo_needs() -> None:
    doc = json.loads(DEMO_CARDS.read_text(encoding="utf-8"))
    cards = {c["label"]: IdentityCard.from_dict(c) for c in doc["cards"]}
    assert len(cards) >= 5
    types = {c.card_type for c in cards.values()}
    assert CardType.HKMT_PERMIT in types and types & {CardType.FOREIGN_2017, CardType.FOREIGN_2023}
    assert any(c.long_term for c in cards.values())
    assert any(c.is_expired(TODAY) for c in cards.values())
    for label, card in cards.items():
        card.validate(TODAY)  # valid check digits and birth dates
        if card.card_type is not CardType.FOREIGN_2017:
            assert not area_known(card.id_number), f"{label}: area code must be fictional"
    fresh = [c for c in cards.values() if c.problem(TODAY) is None]
    assert len(fresh) >= 4


def test_card_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _card().name = "x"  # type: ignore[misc]
