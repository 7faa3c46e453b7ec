"""Win-back: a time-limited return offer for members who stopped coming.

A member is inactive `after_days` after their last purchase (or after joining, if they never
bought). They get one offer per inactivity period: the `winback_offers` row is unique per member
and the moment the period started, so only a new purchase, and a new silence after it, brings
another. Promotional: only for members who accept promotions, never during quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import wallet
from bot.services.engagement import coupons
from bot.services.engagement.common import (
    Engagement,
    JobReport,
    JobStatus,
    Outgoing,
    full_date,
    insert_once,
    run_in_batches,
)
from bot.services.engagement.coupons import CouponKind, CouponTerms
from bot.services.engagement.offers import Offer, grant_many
from db.models import Member, WinBackOffer

JOB = "winback"
_OFFER_KEY = ["member_id", "inactive_since"]


async def send_winback_offers(ctx: Engagement, report: JobReport) -> None:
    rules = ctx.program.winback
    if not rules.enabled or not (rules.points or rules.coupon_percent):
        report.status = JobStatus.DISABLED
        return
    if ctx.in_quiet_hours():
        report.status = JobStatus.QUIET
        return
    now = ctx.clock.now()
    inactive_since = func.coalesce(Member.last_purchase_at, Member.created_at)

    async def fetch(session: AsyncSession, after: int) -> Any:
        rows = await session.execute(
            select(
                Member.id,
                Member.telegram_id,
                Member.language,
                Member.first_name,
                Member.last_purchase_at,
                Member.created_at,
            )
            .where(
                Member.id > after,
                Member.promo_opt_in.is_(True),
                Member.unreachable_at.is_(None),
                inactive_since <= now - timedelta(days=rules.after_days),
                ~exists().where(
                    WinBackOffer.member_id == Member.id,
                    WinBackOffer.inactive_since == inactive_since,
                ),
            )
            .order_by(Member.id)
            .limit(ctx.batch_size)
        )
        return rows.all()

    last_day = ctx.local_now().date() + timedelta(days=rules.valid_days - 1)
    terms = None
    if rules.coupon_percent:
        terms = CouponTerms(
            kind=CouponKind.WINBACK,
            percent=rules.coupon_percent,
            valid_from=now,
            valid_until=ctx.midnight(last_day + timedelta(days=1)),
        )

    def record(row: Any) -> dict[str, Any]:
        return {
            "member_id": row.id,
            "inactive_since": row.last_purchase_at or row.created_at,
            "points": rules.points,
            "created_at": now,
        }

    def key(row: Any) -> str:
        since = row.last_purchase_at or row.created_at
        return f"winback:{row.id}:{int(since.timestamp())}"

    def message(row: Any) -> Outgoing:
        i18n = ctx.i18n(row.language)
        lines = [i18n("winback-greeting", name=row.first_name or "")]
        if rules.points:
            lines.append(i18n("winback-gift-points", points=rules.points))
        if rules.coupon_percent:
            lines.append(
                i18n(
                    "winback-gift-coupon", percent=rules.coupon_percent, until=full_date(last_day)
                )
            )
        lines.append(i18n("offer-how-to-use"))
        return Outgoing(row.id, row.telegram_id, "\n".join(lines))

    async def handle(session: AsyncSession, row: Any) -> Outgoing | None:
        offer_id = await insert_once(session, WinBackOffer, record(row), _OFFER_KEY)
        if offer_id is None:
            return None
        if rules.points:
            await wallet.grant_bonus(
                session,
                ctx.program,
                member_id=row.id,
                points=rules.points,
                key=key(row),
                reason=ctx.i18n(row.language).plain("reason-winback"),
                now=now,
            )
        if terms is not None:
            coupon_id = await coupons.issue(session, row.id, terms, key=key(row), now=now)
            await session.execute(
                update(WinBackOffer).where(WinBackOffer.id == offer_id).values(coupon_id=coupon_id)
            )
        return message(row)

    async def handle_batch(session: AsyncSession, rows: Sequence[Any]) -> list[Outgoing] | None:
        """The batch's offers with a few statements in all (`offers.grant_many`)."""
        reasons: dict[str, str] = {}

        def offer(row: Any) -> Offer:
            i18n = ctx.i18n(row.language)
            if rules.points and i18n.locale not in reasons:
                reasons[i18n.locale] = i18n.plain("reason-winback")
            reason = reasons.get(i18n.locale, "")
            return Offer(row.id, record(row), key(row), reason, terms)

        granted = await grant_many(
            session,
            ctx.program,
            WinBackOffer,
            _OFFER_KEY,
            [offer(row) for row in rows],
            points=rules.points,
            now=now,
        )
        if granted is None:
            return None
        return [message(row) for row in rows if row.id in granted]

    await run_in_batches(ctx, report, JOB, fetch, handle, handle_batch)
