"""What a member sees of their own account: joining, the card and the balance screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ledger, members, referrals
from bot.services.card_tokens import CardTokens, deep_link
from bot.services.ledger import EntryKind, Expiry, HistoryPage
from bot.services.program import Program, Tier
from db.models import Member


@dataclass(frozen=True, slots=True)
class Welcome:
    member: Member
    created: bool
    bonus: int
    referral: referrals.Linked | None = None  # when they came through a friend's link


async def welcome(
    session: AsyncSession,
    applicant: members.Applicant,
    *,
    program: Program,
    now: datetime,
    referral_code: str = "",
) -> Welcome:
    """Join once and, the first time only, pay the program's welcome bonus (and, through a
    friend's link, link the two and pay the referral bonus)."""
    joined = await members.join(session, applicant, now=now, tier=program.base_tier.key)
    referral = None
    if joined.created and referral_code:
        referral = await referrals.link_new_member(
            session, joined.member, referral_code, program=program, now=now
        )
    bonus = 0
    if joined.created and program.welcome_bonus:
        await ledger.post(
            session,
            member_id=joined.member.id,
            delta=program.welcome_bonus,
            kind=EntryKind.BONUS,
            idempotency_key=f"welcome:{joined.member.id}",
            now=now,
            reason="welcome",
            expires_at=points_expiry(program, now),
        )
        bonus = program.welcome_bonus
        await session.refresh(joined.member)
    return Welcome(member=joined.member, created=joined.created, bonus=bonus, referral=referral)


async def grant_bonus(
    session: AsyncSession,
    program: Program,
    *,
    member_id: int,
    points: int,
    key: str,
    reason: str,
    now: datetime,
) -> ledger.Posted:
    """Bonus points (birthday, win-back, ...) through the ledger, in a lot that expires by the
    program's rules; the key makes a rerun pay nothing."""
    return await ledger.post(
        session,
        member_id=member_id,
        delta=points,
        kind=EntryKind.BONUS,
        idempotency_key=key,
        now=now,
        reason=reason,
        reference=key,
        expires_at=points_expiry(program, now),
    )


def points_expiry(program: Program, earned_at: datetime) -> datetime | None:
    if not program.points_lifetime_days:
        return None
    return earned_at + timedelta(days=program.points_lifetime_days)


@dataclass(frozen=True, slots=True)
class CardQr:
    link: str
    expires_at: datetime | None


def card_qr(tokens: CardTokens, member: Member, *, bot_username: str, now: datetime) -> CardQr:
    token = tokens.issue(member.id, member.card_version, now)
    return CardQr(link=deep_link(bot_username, token), expires_at=tokens.expires_at(now))


@dataclass(frozen=True, slots=True)
class BalanceView:
    points: int
    stamps: int
    stamps_needed: int
    tier: Tier
    expiry: Expiry | None
    history: HistoryPage


async def balance_view(
    session: AsyncSession, member: Member, *, program: Program, tz: tzinfo, page: int = 0
) -> BalanceView:
    return BalanceView(
        points=await ledger.balance(session, member.id),
        stamps=member.stamps,
        stamps_needed=program.stamps.visits_needed,
        tier=program.tier(member.tier),
        expiry=await ledger.nearest_expiry(session, member.id, tz),
        history=await ledger.history(session, member.id, page=page),
    )
