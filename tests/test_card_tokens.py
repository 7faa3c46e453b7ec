from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.card_tokens import (
    CODE_ALPHABET,
    CardTokens,
    InvalidToken,
    TokenProblem,
    deep_link,
    format_short_code,
    new_short_code,
    normalize_short_code,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SECRET = b"k" * 32


def test_token_round_trips_and_fits_telegram_deep_links():
    tokens = CardTokens(SECRET, ttl_seconds=600)
    token = tokens.issue(2**40 + 7, 3, NOW)
    link = deep_link("loyalty_test_bot", token)
    assert link == f"https://t.me/loyalty_test_bot?start={token}"
    assert len(token) <= 64
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    decoded = tokens.verify(token, NOW + timedelta(minutes=9))
    assert (decoded.member_id, decoded.card_version, decoded.issued_at) == (2**40 + 7, 3, NOW)


def test_token_expires_after_the_ttl():
    tokens = CardTokens(SECRET, ttl_seconds=600)
    token = tokens.issue(1, 1, NOW)
    with pytest.raises(InvalidToken) as refused:
        tokens.verify(token, NOW + timedelta(seconds=601))
    assert refused.value.problem is TokenProblem.EXPIRED


def test_ttl_zero_never_expires():
    tokens = CardTokens(SECRET, ttl_seconds=0)
    token = tokens.issue(1, 1, NOW)
    assert tokens.verify(token, NOW + timedelta(days=3650)).member_id == 1
    assert tokens.expires_at(NOW) is None


def test_forged_tokens_are_refused():
    tokens = CardTokens(SECRET, ttl_seconds=600)
    token = tokens.issue(1, 1, NOW)
    other_key = CardTokens(b"x" * 32, ttl_seconds=600).issue(1, 1, NOW)
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    for forged in (other_key, flipped):
        with pytest.raises(InvalidToken) as refused:
            tokens.verify(forged, NOW)
        assert refused.value.problem is TokenProblem.FORGED


@pytest.mark.parametrize("garbage", ["", "c", "hello", "c" + "!" * 35, "x" + "A" * 35, "c" * 80])
def test_malformed_tokens_are_refused(garbage):
    with pytest.raises(InvalidToken) as refused:
        CardTokens(SECRET, ttl_seconds=600).verify(garbage, NOW)
    assert refused.value.problem is TokenProblem.MALFORMED


def test_token_from_the_future_is_refused():
    tokens = CardTokens(SECRET, ttl_seconds=600)
    token = tokens.issue(1, 1, NOW + timedelta(hours=1))
    with pytest.raises(InvalidToken):
        tokens.verify(token, NOW)


def test_short_codes_avoid_look_alikes_and_normalize():
    for _ in range(200):
        code = new_short_code()
        assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL5S2Z8B") & set(CODE_ALPHABET)
    code = new_short_code()
    assert normalize_short_code(format_short_code(code).lower()) == code
    assert normalize_short_code(f" {code[:4]} {code[4:]} ") == code
    assert normalize_short_code("hello") is None
    assert normalize_short_code("OOOOOOOO") is None
