from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.money import AmountError, format_money, parse_amount
from bot.services.program import Program, ProgramFileError, load_program


@pytest.mark.parametrize(
    ("typed", "kopecks"),
    [
        ("1 250", 125_000),
        ("1250.50", 125_050),
        ("1250,5", 125_050),
        ("99", 9_900),
        ("0,01", 1),
        ("1\u00a0250 ₽", 125_000),
        ("1250р.", 125_000),
    ],
)
def test_cashier_amounts_parse_to_kopecks(typed, kopecks):
    assert parse_amount(typed) == kopecks


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1.234", "1e5", "12,3,4", "+7", "1 250 руб 5"])
def test_non_amounts_are_refused(typed):
    with pytest.raises(AmountError):
        parse_amount(typed)


def test_money_is_shown_the_local_way():
    assert format_money(125_050, "ru") == "1\u00a0250,50\u00a0₽"
    assert format_money(125_000, "en") == "1,250\u00a0₽"


def test_default_program_matches_common_practice():
    program = Program()
    assert [tier.cashback_percent for tier in program.tiers] == [1, 3, 5]
    assert program.max_redeem_percent == 30
    assert program.stamps.visits_needed == 5
    assert program.points_lifetime_days == 180


def test_program_file_loads(tmp_path: Path):
    path = tmp_path / "program.toml"
    path.write_text(
        'name = { ru = "Салон", en = "Salon" }\nmax_redeem_percent = 50\n'
        "[stamps]\nvisits_needed = 9\nmin_purchase = 50000\n",
        encoding="utf-8",
    )
    program = load_program(path)
    assert program.name["en"] == "Salon" and program.stamps.visits_needed == 9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("max_redeem_percent = 150", "max_redeem_percent"),
        ("unknown_rule = 1", "unknown_rule"),
        ("name = ", "not valid TOML"),
        (
            '[[tiers]]\nkey = "a"\nname = {en="A"}\ncashback_percent = 1\n'
            '[[tiers]]\nkey = "b"\nname = {en="B"}\ncashback_percent = 2\n',
            "must need more",
        ),
    ],
)
def test_program_file_errors_say_what_is_wrong(tmp_path: Path, content: str, message: str):
    path = tmp_path / "program.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProgramFileError, match=message):
        load_program(path)
