"""Birthdays: the member's date (set once, changed only by an owner) and the yearly offer.

A date without a year is stored in year 4, a leap year, so 29 February fits. A 29 February
birthday is celebrated on 28 February in other years. The offer goes out `days_before` the day
at the program's local hour, once per member and year: the `birthday_gifts` row, unique per
(member, year), is inserted in the same transaction as the points and the coupon.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, extract, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import members, wallet
from bot.services.card_tokens import normalize_short_code
from bot.services.engagement import coupons
from bot.services.engagement.common import (
    Engagement,
    JobReport,
    JobStatus,
    Outgoing,
    day_month,
    full_date,
    insert_once,
    run_in_batches,
)
from bot.services.engagement.coupons import CouponKind, CouponTerms
from bot.services.engagement.offers import Offer, grant_many
from bot.services.program import BirthdayOffer
from db.models import BirthdayGift, Member

JOB = "birthday"
_GIFT_KEY = ["member_id", "year"]
YEAR_UNKNOWN = 4
MAX_AGE = 120
_DATE_RE = re.compile(r"^\s*(\d{1,2})\s*[./-]\s*(\d{1,2})\s*(?:[./-]\s*(\d{4})\s*)?$")


class BirthdayProblem(StrEnum):
    FORMAT = "format"
    NO_SUCH_DATE = "no-such-date"
    FUTURE = "future"
    TOO_OLD = "too-old"


class InvalidBirthday(ValueError):
    def __init__(self, problem: BirthdayProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class BirthdayLocked(Exception):
    """The member set their birthday already; only an owner can change it."""


def parse_birthday(typed: str, today: date) -> date:
    """`DD.MM` or `DD.MM.YYYY` (dots, slashes or dashes): a real date, not in the future,
    not more than 120 years ago."""
    match = _DATE_RE.match(typed)
    if match is None:
        raise InvalidBirthday(BirthdayProblem.FORMAT)
    day, month = int(match[1]), int(match[2])
    year = int(match[3]) if match[3] else None
    try:
        value = date(year or YEAR_UNKNOWN, month, day)
    except ValueError:
        raise InvalidBirthday(BirthdayProblem.NO_SUCH_DATE) from None
    if year is not None:
        if value > today:
            raise InvalidBirthday(BirthdayProblem.FUTURE)
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age > MAX_AGE:
            raise InvalidBirthday(BirthdayProblem.TOO_OLD)
    return value


def has_year(birthday: date) -> bool:
    return birthday.year != YEAR_UNKNOWN


def format_birthday(birthday: date) -> str:
    return full_date(birthday) if has_year(birthday) else day_month(birthday)


def celebration_day(birthday: date, year: int) -> date:
    """The day the birthday falls on in `year`: 29 February is 28 February in other years."""
    if (birthday.month, birthday.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def gift_waits_a_year(birthday: date, set_on: date, known_days: int) -> bool:
    """Whether a birthday entered on `set_on` comes too soon for a gift (the 30-day rule):
    the offer needs the date known at least `known_days` before the day it is celebrated."""
    celebrated = celebration_day(birthday, set_on.year)
    if celebrated < set_on:
        celebrated = celebration_day(birthday, set_on.year + 1)
    return (celebrated - set_on).days < known_days


async def set_own_birthday(
    session: AsyncSession, member: Member, birthday: date, *, now: datetime
) -> None:
    """The member's own entry, accepted once: afterwards only an owner can change it."""
    if member.birthday is not None:
        raise BirthdayLocked
    result = await session.execute(
        update(Member)
        .where(Member.id == member.id, Member.birthday.is_(None))
        .values(birthday=birthday, birthday_set_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise BirthdayLocked
    await session.refresh(member, ["birthday", "birthday_set_at"])


async def override_birthday(
    session: AsyncSession, code: str, birthday: date | None, *, now: datetime
) -> Member | None:
    """An owner sets, corrects or (with None) clears a member's birthday by their short code.

    A correction keeps the moment the birthday first became known, so the 30-day rule still
    counts from the member's own entry; clearing lets the member enter it again.
    """
    normalized = normalize_short_code(code)
    member = await members.find_by_short_code(session, normalized) if normalized else None
    if member is None:
        return None
    member.birthday = birthday
    if birthday is None:
        member.birthday_set_at = None
    elif member.birthday_set_at is None:
        member.birthday_set_at = now
    await session.flush()
    return member


def due_celebrations(rules: BirthdayOffer, local_now: datetime) -> dict[tuple[int, int], date]:
    """Which birthdays (month, day) are due an offer now, and the day each is celebrated.

    The offer for a birthday celebrated on day C is due from `hour` on C - days_before; offers
    up to `catch_up_days` late still go out (the bot may have been down).
    """
    due: dict[tuple[int, int], date] = {}
    for late in range(rules.catch_up_days + 1):
        offer_day = local_now.date() - timedelta(days=late)
        if late == 0 and local_now.hour < rules.hour:
            continue
        celebrated = offer_day + timedelta(days=rules.days_before)
        due[(celebrated.month, celebrated.day)] = celebrated
        if (celebrated.month, celebrated.day) == (2, 28) and not calendar.isleap(celebrated.year):
            due[(2, 29)] = celebrated
    return due


async def give_birthday_offers(ctx: Engagement, report: JobReport) -> None:
    rules = ctx.program.birthday
    if not rules.enabled or not (rules.points or rules.coupon_percent):
        report.status = JobStatus.DISABLED
        return
    if ctx.in_quiet_hours():
        report.status = JobStatus.QUIET
        return
    now = ctx.clock.now()
    due = due_celebrations(rules, ctx.local_now())
    if not due:
        return
    conditions = []
    for (month, day), celebrated in due.items():
        # The 30-day rule: known on or before `celebrated - known_days`.
        known_by = ctx.midnight(celebrated - timedelta(days=rules.known_days - 1))
        conditions.append(
            and_(
                extract("month", Member.birthday) == month,
                extract("day", Member.birthday) == day,
                or_(Member.birthday_set_at.is_(None), Member.birthday_set_at < known_by),
                ~exists().where(
                    BirthdayGift.member_id == Member.id, BirthdayGift.year == celebrated.year
                ),
            )
        )

    async def fetch(session: AsyncSession, after: int) -> Any:
        rows = await session.execute(
            select(
                Member.id, Member.telegram_id, Member.language, Member.first_name, Member.birthday
            )
            .where(
                Member.id > after,
                Member.birthday.is_not(None),
                Member.promo_opt_in.is_(True),
                Member.unreachable_at.is_(None),
                or_(*conditions),
            )
            .order_by(Member.id)
            .limit(ctx.batch_size)
        )
        return rows.all()

    async def handle(session: AsyncSession, row: Any) -> Outgoing | None:
        celebrated = due[(row.birthday.month, row.birthday.day)]
        return await _grant(ctx, session, row, celebrated, now)

    async def handle_batch(session: AsyncSession, rows: Sequence[Any]) -> list[Outgoing] | None:
        """The batch's offers with a few statements in all (`offers.grant_many`)."""
        celebrated = {row.id: due[(row.birthday.month, row.birthday.day)] for row in rows}
        reasons: dict[str, str] = {}

        def offer(row: Any) -> Offer:
            i18n = ctx.i18n(row.language)
            if rules.points and i18n.locale not in reasons:
                reasons[i18n.locale] = i18n.plain("reason-birthday")
            return Offer(
                member_id=row.id,
                record=_record(ctx, row.id, celebrated[row.id], now),
                key=_key(row.id, celebrated[row.id]),
                reason=reasons.get(i18n.locale, ""),
                coupon=_coupon_terms(ctx, celebrated[row.id]),
            )

        granted = await grant_many(
            session,
            ctx.program,
            BirthdayGift,
            _GIFT_KEY,
            [offer(row) for row in rows],
            points=rules.points,
            now=now,
        )
        if granted is None:
            return None
        return [_offer_message(ctx, row, celebrated[row.id]) for row in rows if row.id in granted]

    await run_in_batches(ctx, report, JOB, fetch, handle, handle_batch)


def _key(member_id: int, celebrated: date) -> str:
    return f"birthday:{member_id}:{celebrated.year}"


def _record(ctx: Engagement, member_id: int, celebrated: date, now: datetime) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "year": celebrated.year,
        "celebrated_on": celebrated,
        "points": ctx.program.birthday.points,
        "created_at": now,
    }


def _coupon_last_day(ctx: Engagement, celebrated: date) -> date:
    # An offer caught up late still leaves the member at least today to use it.
    rules = ctx.program.birthday
    return max(celebrated + timedelta(days=rules.coupon_days_after), ctx.local_now().date())


def _coupon_terms(ctx: Engagement, celebrated: date) -> CouponTerms | None:
    rules = ctx.program.birthday
    if not rules.coupon_percent:
        return None
    offer_day = celebrated - timedelta(days=rules.days_before)
    first_day = min(offer_day, celebrated - timedelta(days=rules.coupon_days_before))
    return CouponTerms(
        kind=CouponKind.BIRTHDAY,
        percent=rules.coupon_percent,
        valid_from=ctx.midnight(first_day),
        valid_until=ctx.midnight(_coupon_last_day(ctx, celebrated) + timedelta(days=1)),
    )


def _offer_message(ctx: Engagement, row: Any, celebrated: date) -> Outgoing:
    rules = ctx.program.birthday
    i18n = ctx.i18n(row.language)
    lines = [
        i18n("birthday-greeting", name=row.first_name or "")
        if rules.days_before == 0
        else i18n("birthday-greeting-soon", name=row.first_name or "", date=day_month(celebrated))
    ]
    if rules.points:
        lines.append(i18n("birthday-gift-points", points=rules.points))
    if rules.coupon_percent:
        until = full_date(_coupon_last_day(ctx, celebrated))
        lines.append(i18n("birthday-gift-coupon", percent=rules.coupon_percent, until=until))
    lines.append(i18n("offer-how-to-use"))
    return Outgoing(row.id, row.telegram_id, "\n".join(lines))


async def _grant(
    ctx: Engagement, session: AsyncSession, row: Any, celebrated: date, now: datetime
) -> Outgoing | None:
    """One member's offer, ten statements or so: the path for a batch `grant_many` can't do."""
    rules = ctx.program.birthday
    gift_id = await insert_once(
        session, BirthdayGift, _record(ctx, row.id, celebrated, now), _GIFT_KEY
    )
    if gift_id is None:  # given already: by an earlier run, or another instance just now
        return None
    key = _key(row.id, celebrated)
    if rules.points:
        await wallet.grant_bonus(
            session,
            ctx.program,
            member_id=row.id,
            points=rules.points,
            key=key,
            reason=ctx.i18n(row.language).plain("reason-birthday"),
            now=now,
        )
    terms = _coupon_terms(ctx, celebrated)
    if terms is not None:
        coupon_id = await coupons.issue(session, row.id, terms, key=key, now=now)
        await session.execute(
            update(BirthdayGift).where(BirthdayGift.id == gift_id).values(coupon_id=coupon_id)
        )
    return _offer_message(ctx, row, celebrated)
