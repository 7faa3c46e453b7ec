"""A member's rights over their data: a copy of everything kept about them, and erasure.

Erasure anonymises the person, not the accounts. Name, username, phone, birthday and the
Telegram id go; ledger entries and operations stay (they are the program's money-grade records),
so every balance and every total still adds up. The member row stays as the anonymous holder of
that history and can no longer be reached or looked up: its Telegram id becomes the negative of
its own id (unique, and never a real user's), its cashier code one that cannot be typed, its QR
codes and invitation links stop working, jobs skip it. Whoever sends /start from that Telegram
account afterwards joins as a new member.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import members
from db.models import BirthdayGift, LedgerEntry, Member, Operation, ReferralLink

EXPORT_FORMAT = "loyalty-wallet/member-data/1"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Export:
    document: dict[str, Any]

    @property
    def entries(self) -> int:
        return len(self.document["ledger"])

    @property
    def operations(self) -> int:
        return len(self.document["operations"])

    def to_json(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode()


@dataclass(frozen=True, slots=True)
class Erased:
    member_id: int
    points_left: int  # stays on the anonymous record: the ledger is never rewritten


def is_erased(member: Member) -> bool:
    return member.telegram_id < 0


def erased_telegram_id(member_id: int) -> int:
    return -member_id


def erased_short_code(member_id: int) -> str:
    """Unique (the id in base 36, for up to 36**7 members), and never a code staff can type:
    cashier codes have no "0" in their alphabet."""
    digits = ""
    number = member_id
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return "0" + digits.rjust(7, "0")


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(session: AsyncSession, member: Member, *, now: datetime) -> Export:
    """Everything the program keeps about the member, as one JSON-ready document."""
    entries = await session.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id)
    )
    operations = await session.scalars(
        select(Operation).where(Operation.member_id == member.id).order_by(Operation.id)
    )
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": _time(now),
        "profile": {
            "member_id": member.id,
            "telegram_id": member.telegram_id,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "username": member.username,
            "phone": member.phone,
            "birthday": _day(member.birthday),
            "language": member.language,
            "card_code": member.short_code,
            "tier": member.tier,
            "points_balance": member.points_balance,
            "stamps": member.stamps,
            "promotional_messages": member.promo_opt_in,
            "joined_at": _time(member.created_at),
            "last_purchase_at": _time(member.last_purchase_at),
        },
        "consent": {
            "given_at": _time(member.consent_at),
            "scope": "name, Telegram ID, phone number if shared, purchases in the program",
        },
        "ledger": [
            {
                "id": entry.id,
                "at": _time(entry.created_at),
                "kind": entry.kind,
                "points": entry.delta,
                "balance_after": entry.balance_after,
                "reason": entry.reason,
            }
            for entry in entries
        ],
        "operations": [
            {
                "id": operation.id,
                "at": _time(operation.created_at),
                "kind": operation.kind,
                "status": operation.status,
                "amount_minor_units": operation.amount,
                "points_earned": operation.points_earned,
                "points_redeemed": operation.points_redeemed,
                "stamps": operation.stamps_delta,
                "tier_before": operation.tier_before,
                "tier_after": operation.tier_after,
            }
            for operation in operations
        ],
    }
    return Export(document)


async def erase(session: AsyncSession, member: Member, *, now: datetime) -> Erased:
    """Anonymise the member in the caller's transaction (see the module's docstring)."""
    member.first_name = ""
    member.last_name = ""
    member.username = None
    member.phone = None
    member.birthday = None
    member.birthday_set_at = None
    member.telegram_id = erased_telegram_id(member.id)
    member.short_code = erased_short_code(member.id)
    member.promo_opt_in = False
    member.unreachable_at = now
    await members.revoke_card_tokens(member)
    # The day a birthday gift was given tells the birthday: keep only the year it was for.
    gifts = await session.scalars(select(BirthdayGift).where(BirthdayGift.member_id == member.id))
    for gift in gifts:
        gift.celebrated_on = date(gift.year, 1, 1)
    await session.execute(
        update(ReferralLink)
        .where(ReferralLink.member_id == member.id, ReferralLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return Erased(member_id=member.id, points_left=member.points_balance)
