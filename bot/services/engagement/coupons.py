"""Percent-off coupons from birthday and win-back offers: issued once, used once at the counter.

The bot does not compute the discount: staff apply it at the till and tap "redeem", which marks
the coupon used so it can't be shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.engagement.common import insert_once
from db.models import Coupon, LookupLog


class CouponKind(StrEnum):
    BIRTHDAY = "birthday"
    WINBACK = "winback"


class CouponProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    NOT_YET = "not-yet"
    EXPIRED = "expired"


class CouponRefused(Exception):
    def __init__(self, problem: CouponProblem, coupon: Coupon | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.coupon = coupon


@dataclass(frozen=True, slots=True)
class CouponTerms:
    kind: CouponKind
    percent: int
    valid_from: datetime
    valid_until: datetime


def last_day(coupon: Coupon, tz: tzinfo) -> date:
    """The last local day the coupon can be used (it ends at the midnight after)."""
    return (coupon.valid_until - timedelta(microseconds=1)).astimezone(tz).date()


async def issue(
    session: AsyncSession, member_id: int, terms: CouponTerms, *, key: str, now: datetime
) -> int:
    """The id of the coupon for `key`; issuing the same key again returns the first one."""
    coupon_id = await insert_once(
        session,
        Coupon,
        {
            "member_id": member_id,
            "kind": terms.kind.value,
            "percent": terms.percent,
            "key": key,
            "valid_from": terms.valid_from,
            "valid_until": terms.valid_until,
            "created_at": now,
        },
        ["key"],
    )
    if coupon_id is None:
        coupon_id = await session.scalar(select(Coupon.id).where(Coupon.key == key))
        assert coupon_id is not None
    return coupon_id


async def active(session: AsyncSession, member_id: int, now: datetime) -> list[Coupon]:
    """Coupons the member can use right now, the one that ends first first."""
    rows = await session.scalars(
        select(Coupon)
        .where(
            Coupon.member_id == member_id,
            Coupon.redeemed_at.is_(None),
            Coupon.valid_from <= now,
            Coupon.valid_until > now,
        )
        .order_by(Coupon.valid_until, Coupon.id)
    )
    return list(rows)


async def active_at_lookup(session: AsyncSession, member_id: int, lookup_id: int) -> list[Coupon]:
    """The coupons that were usable when staff looked the member up."""
    looked_up = await session.get(LookupLog, lookup_id) if lookup_id else None
    if looked_up is None:
        return []
    return await active(session, member_id, looked_up.created_at)


async def redeem(
    session: AsyncSession, coupon_id: int, *, member_id: int, staff_id: int, now: datetime
) -> Coupon:
    """Mark the coupon used. Two taps at once: one wins, the other is told it is used."""
    coupon = await session.get(Coupon, coupon_id)
    if coupon is None or coupon.member_id != member_id:
        raise CouponRefused(CouponProblem.UNKNOWN)
    result = await session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon_id,
            Coupon.redeemed_at.is_(None),
            Coupon.valid_from <= now,
            Coupon.valid_until > now,
        )
        .values(redeemed_at=now, redeemed_by=staff_id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(coupon)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return coupon
    if coupon.redeemed_at is not None:
        raise CouponRefused(CouponProblem.USED, coupon)
    if coupon.valid_from > now:
        raise CouponRefused(CouponProblem.NOT_YET, coupon)
    raise CouponRefused(CouponProblem.EXPIRED, coupon)
