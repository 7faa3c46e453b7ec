"""Joining the program and the member's own settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import webhooks
from bot.services.card_tokens import new_short_code
from db.models import Member
from db.session import insert_for

_PHONE_RE = re.compile(r"^\+?\d{7,15}$")


@dataclass(frozen=True, slots=True)
class Applicant:
    """What Telegram tells us about a person at the moment they agree to the terms."""

    telegram_id: int
    first_name: str
    last_name: str
    username: str | None
    language: str


@dataclass(frozen=True, slots=True)
class Joined:
    member: Member
    created: bool


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    return await session.scalar(select(Member).where(Member.telegram_id == telegram_id))


async def get(session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def find_by_short_code(session: AsyncSession, code: str) -> Member | None:
    return await session.scalar(select(Member).where(Member.short_code == code))


async def find_by_phone(session: AsyncSession, phone: str, *, limit: int = 2) -> list[Member]:
    """Members who shared this number (normalized): more than one means it is ambiguous."""
    return list(
        await session.scalars(
            select(Member).where(Member.phone == phone).order_by(Member.id).limit(limit)
        )
    )


async def join(session: AsyncSession, applicant: Applicant, *, now: datetime, tier: str) -> Joined:
    """Create the member once. Two consents at the same moment still make one member."""
    for _attempt in range(5):
        values = {
            "telegram_id": applicant.telegram_id,
            "first_name": applicant.first_name[:128],
            "last_name": applicant.last_name[:128],
            "username": applicant.username,
            "language": applicant.language,
            "short_code": new_short_code(),
            "card_version": 1,
            "points_balance": 0,
            "stamps": 0,
            "tier": tier,
            "promo_opt_in": True,
            "consent_at": now,
            "created_at": now,
        }
        inserted = await session.scalar(
            insert_for(session)(Member)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(Member.id)
        )
        if inserted is not None:
            member = await session.get(Member, inserted)
            assert member is not None
            await webhooks.enqueue(
                session,
                webhooks.Event.MEMBER_JOINED,
                {"tier": tier, "language": applicant.language, "joined_at": webhooks.iso(now)},
                event_id=f"{webhooks.Event.MEMBER_JOINED}:{inserted}",
                now=now,
                member_id=inserted,
            )
            return Joined(member=member, created=True)
        existing = await get_by_telegram_id(session, applicant.telegram_id)
        if existing is not None:
            return Joined(member=existing, created=False)
        # Neither inserted nor there: the random short code collided. Draw another.
    raise RuntimeError("could not allocate a unique member code")


def normalize_phone(raw: str) -> str | None:
    phone = re.sub(r"[\s()\-]", "", raw)
    if not phone.startswith("+"):
        phone = "+" + phone
    return phone if _PHONE_RE.match(phone) else None


async def set_phone(session: AsyncSession, member: Member, phone: str) -> bool:
    normalized = normalize_phone(phone)
    if normalized is None:
        return False
    member.phone = normalized
    return True


async def set_language(member: Member, language: str) -> None:
    member.language = language


async def set_promo_opt_in(member: Member, enabled: bool) -> None:
    member.promo_opt_in = enabled


async def revoke_card_tokens(member: Member) -> None:
    """Every QR issued so far stops working; the next card gets a fresh one."""
    member.card_version = member.card_version % 65535 + 1
