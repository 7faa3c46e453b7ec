"""Bring a friend: personal invitation links, linking a new member to whoever invited them,
and the rewards on both sides, each paid through the ledger exactly once.

A link is `https://t.me/<bot>?start=<code>`; the code is `r` and 12 random characters, so it is
never taken for a card token (`c`, 36 characters) or a team invitation (`i`, 25 characters).
The friend's bonus is paid when they join; the inviter's reward when the friend makes their
first purchase (`pay_on = "first_purchase"`, which keeps fake accounts from paying out) or when
they join (`pay_on = "join"`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import achievements, ledger, wallet
from bot.services.ledger import EntryKind
from bot.services.program import Program
from db.models import LedgerEntry, Member, Operation, ReferralLink

PREFIX = "r"
_CODE_RE = re.compile(r"^r[A-Za-z0-9_-]{12}$")
CAP_WINDOW = timedelta(days=30)


def looks_like_code(payload: str | None) -> bool:
    return bool(payload) and _CODE_RE.match(payload or "") is not None


def new_code() -> str:
    return PREFIX + secrets.token_urlsafe(9)  # 9 bytes -> 12 characters of A-Za-z0-9_-


def share_url(link: str, text: str) -> str:
    """Telegram's share dialog: the person picks chats, the link and text go there."""
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # no such code was ever issued
    REVOKED = "revoked"  # the member asked for a new link since
    SELF = "self"  # a member opened their own link
    ALREADY_MEMBER = "member"  # links are for people who have not joined yet
    CAP = "cap"  # the inviter brought `monthly_cap` friends within 30 days


@dataclass(frozen=True, slots=True)
class Check:
    referrer: Member | None
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class Linked:
    """What joining through a link did. `referrer` is None when it was refused."""

    referrer: Member | None
    refusal: Refusal | None = None
    friend_bonus: int = 0
    referrer_reward: int = 0  # paid now (`pay_on = "join"`); 0 when it waits for a purchase


@dataclass(frozen=True, slots=True)
class Payout:
    """The inviter's reward, paid by their friend's first qualifying purchase just now."""

    referrer_id: int
    friend_name: str
    points: int


@dataclass(frozen=True, slots=True)
class Stats:
    joined: int
    bought: int
    points: int


async def personal_code(session: AsyncSession, member_id: int, *, now: datetime) -> str:
    """The member's current invitation code, issued the first time they ask."""
    await _lock_member(session, member_id)
    code = await session.scalar(
        select(ReferralLink.code)
        .where(ReferralLink.member_id == member_id, ReferralLink.revoked_at.is_(None))
        .order_by(ReferralLink.id.desc())
        .limit(1)
    )
    if code is not None:
        return code
    return await _issue(session, member_id, now=now)


async def renew_code(session: AsyncSession, member_id: int, *, now: datetime) -> str:
    """A fresh code; the old link stops working (it was posted where it should not be)."""
    await _lock_member(session, member_id)
    await session.execute(
        update(ReferralLink)
        .where(ReferralLink.member_id == member_id, ReferralLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return await _issue(session, member_id, now=now)


async def check(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    is_member: bool,
    program: Program,
    now: datetime,
) -> Check:
    """May this person join through this code? Nothing is stored."""
    link = await session.scalar(select(ReferralLink).where(ReferralLink.code == code))
    if link is None:
        return Check(None, Refusal.UNKNOWN)
    referrer = await session.get(Member, link.member_id)
    if referrer is None:
        return Check(None, Refusal.UNKNOWN)
    if referrer.telegram_id == telegram_id:
        return Check(referrer, Refusal.SELF)
    if is_member:
        return Check(referrer, Refusal.ALREADY_MEMBER)
    if link.revoked_at is not None:
        return Check(referrer, Refusal.REVOKED)
    cap = program.referral.monthly_cap
    if cap and await _joined_since(session, referrer.id, now - CAP_WINDOW) >= cap:
        return Check(referrer, Refusal.CAP)
    return Check(referrer)


async def link_new_member(
    session: AsyncSession, friend: Member, code: str, *, program: Program, now: datetime
) -> Linked:
    """Link a member who has just joined to whoever invited them, and pay what is due now.

    Called once, in the transaction that created the member; the idempotency keys make a
    repeat harmless all the same.
    """
    link = await session.scalar(select(ReferralLink).where(ReferralLink.code == code))
    if link is not None:
        # Friends joining at the same moment queue here, so the monthly cap holds.
        await _lock_member(session, link.member_id)
    verdict = await check(
        session, code, telegram_id=friend.telegram_id, is_member=False, program=program, now=now
    )
    referrer = verdict.referrer
    if verdict.refusal is not None or referrer is None:
        return Linked(None, verdict.refusal or Refusal.UNKNOWN)
    await session.execute(
        update(Member)
        .where(Member.id == friend.id, Member.referrer_id.is_(None))
        .values(referrer_id=referrer.id)
        .execution_options(synchronize_session=False)
    )
    rules = program.referral
    if rules.welcome_bonus:
        await ledger.post(
            session,
            member_id=friend.id,
            delta=rules.welcome_bonus,
            kind=EntryKind.BONUS,
            idempotency_key=f"referral-welcome:{friend.id}",
            now=now,
            reason=f"👥 {referrer.first_name}",
            reference=f"referral-welcome:{friend.id}",
            expires_at=wallet.points_expiry(program, now),
        )
    await achievements.award(
        session, program, referrer.id, achievements.Badge.FRIEND_INVITED, now=now
    )
    paid = 0
    if rules.pay_on == "join":
        paid = await _reward_referrer(session, program, referrer.id, friend, now=now)
    await session.refresh(friend)
    return Linked(referrer, friend_bonus=rules.welcome_bonus, referrer_reward=paid)


async def after_purchase(
    session: AsyncSession, program: Program, operation: Operation, *, now: datetime
) -> Payout | None:
    """The counter's one call into growth, in the purchase's transaction: purchase badges,
    and the inviter's reward when this is the friend's first qualifying purchase (returned,
    so that the inviter can be told)."""
    await achievements.after_purchase(session, program, operation.member_id, now=now)
    rules = program.referral
    if rules.pay_on != "first_purchase" or operation.amount < rules.min_purchase:
        return None
    friend = await session.get(Member, operation.member_id)
    if friend is None or friend.referrer_id is None:
        return None
    paid = await _reward_referrer(session, program, friend.referrer_id, friend, now=now)
    if not paid:
        return None
    return Payout(friend.referrer_id, friend.display_name, paid)


async def stats(session: AsyncSession, member_id: int) -> Stats:
    """How the member's invitations went: friends who joined, who bought, points earned."""
    joined, bought = (
        await session.execute(
            select(func.count(), func.count(Member.last_purchase_at)).where(
                Member.referrer_id == member_id
            )
        )
    ).one()
    points = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.member_id == member_id, LedgerEntry.reference.like("referral:%")
        )
    )
    return Stats(joined=joined, bought=bought, points=int(points or 0))


def reward_key(friend_id: int) -> str:
    return f"referral:{friend_id}"


async def _reward_referrer(
    session: AsyncSession, program: Program, referrer_id: int, friend: Member, *, now: datetime
) -> int:
    points = program.referral.reward
    key = reward_key(friend.id)
    already = await session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key)
    )
    # Paid once, ever: a later purchase, or the same one delivered twice, finds the entry.
    if not points or already is not None:
        return 0
    posted = await ledger.post(
        session,
        member_id=referrer_id,
        delta=points,
        kind=EntryKind.BONUS,
        idempotency_key=key,
        now=now,
        reason=f"👥 {friend.first_name}",
        reference=key,
        expires_at=wallet.points_expiry(program, now),
    )
    return 0 if posted.replayed else points


async def _issue(session: AsyncSession, member_id: int, *, now: datetime) -> str:
    code = new_code()
    session.add(ReferralLink(member_id=member_id, code=code, created_at=now))
    await session.flush()
    return code


async def _joined_since(session: AsyncSession, referrer_id: int, since: datetime) -> int:
    count = await session.scalar(
        select(func.count()).where(Member.referrer_id == referrer_id, Member.created_at >= since)
    )
    return int(count or 0)


async def _lock_member(session: AsyncSession, member_id: int) -> None:
    await session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
