"""Money is integer minor units (kopecks). Parsing what a cashier types, and showing amounts."""

from __future__ import annotations

import re

_AMOUNT_RE = re.compile(r"^(\d{1,12})(?:[.,](\d{1,2}))?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
NBSP = "\u00a0"


class AmountError(ValueError):
    """The text is not an amount of money."""


def parse_amount(text: str) -> int:
    """`1 250`, `1250.50`, `1250,5` → kopecks. Rejects text, signs and more than two decimals."""
    cleaned = _SPACES.sub("", text.strip())
    for symbol in ("₽", "руб.", "руб", "р.", "rub"):
        cleaned = cleaned.removesuffix(symbol).removesuffix(symbol.upper())
    match = _AMOUNT_RE.match(cleaned)
    if not match:
        raise AmountError(text)
    whole, fraction = match.groups()
    return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))


def group_digits(value: int, locale: str) -> str:
    sign = "−" if value < 0 else ""
    digits = f"{abs(value):,}"
    return sign + (digits.replace(",", NBSP) if locale == "ru" else digits)


def format_money(minor: int, locale: str, symbol: str = "₽") -> str:
    whole, fraction = divmod(abs(minor), 100)
    text = group_digits(whole, locale)
    if fraction:
        text += ("," if locale == "ru" else ".") + f"{fraction:02d}"
    return f"{'−' if minor < 0 else ''}{text}{NBSP}{symbol}"
