"""Achievements: small badges for what members do, each awarded at most once.

They are awarded where the events happen: a purchase (through `referrals.after_purchase`, the one
call the counter makes), a finished quiz, a friend who joined through a member's link. A badge
may carry bonus points (`[achievements] bonus` in the program file), paid through the ledger once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ledger, wallet
from bot.services.ledger import EntryKind
from bot.services.program import Program
from db.models import Achievement, Member, Operation
from db.session import insert_for


class Badge(StrEnum):
    FIRST_PURCHASE = "first_purchase"
    VISITS = "visits"  # `[achievements] visits` purchases, 5 by default
    FIRST_QUIZ = "first_quiz"
    FRIEND_INVITED = "friend_invited"
    TIER_REACHED = "tier_reached"  # any tier above the one members join at


ORDER = tuple(Badge)


async def award(
    session: AsyncSession, program: Program, member_id: int, badge: Badge, *, now: datetime
) -> bool:
    """Give the badge unless the member has it; True when it is new. Safe to repeat and race."""
    inserted = await session.scalar(
        insert_for(session)(Achievement)
        .values(member_id=member_id, key=badge.value, awarded_at=now)
        .on_conflict_do_nothing()
        .returning(Achievement.id)
    )
    if inserted is None:
        return False
    points = program.achievements.bonus.get(badge.value, 0)
    if points:
        await ledger.post(
            session,
            member_id=member_id,
            delta=points,
            kind=EntryKind.BONUS,
            idempotency_key=f"achievement:{member_id}:{badge.value}",
            now=now,
            reason=f"🏆 {badge.value}",
            reference=f"achievement:{badge.value}",
            expires_at=wallet.points_expiry(program, now),
        )
    return True


async def earned(session: AsyncSession, member_id: int) -> list[Badge]:
    """The member's badges in the order they are listed to members."""
    keys = set(
        await session.scalars(select(Achievement.key).where(Achievement.member_id == member_id))
    )
    return [badge for badge in ORDER if badge.value in keys]


async def after_purchase(
    session: AsyncSession, program: Program, member_id: int, *, now: datetime
) -> list[Badge]:
    """Purchase badges: the first one, the regular's, a tier above the base one."""
    # operations calls into this module (through referrals): import its names when needed.
    from bot.services.operations import PURCHASE_KINDS, OpStatus

    purchases = (
        await session.scalar(
            select(func.count()).where(
                Operation.member_id == member_id,
                Operation.kind.in_(PURCHASE_KINDS),
                Operation.status == OpStatus.DONE.value,
            )
        )
        or 0
    )
    tier = await session.scalar(select(Member.tier).where(Member.id == member_id))
    due = []
    if purchases >= 1:
        due.append(Badge.FIRST_PURCHASE)
    if purchases >= program.achievements.visits:
        due.append(Badge.VISITS)
    if tier is not None and tier != program.base_tier.key:
        due.append(Badge.TIER_REACHED)
    have = set(await earned(session, member_id))
    return [
        badge
        for badge in due
        if badge not in have and await award(session, program, member_id, badge, now=now)
    ]
