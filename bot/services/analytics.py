"""The program's figures for owners and marketers: every number is an SQL aggregate.

Periods are the last 7, 30 or 90 days or all time; "this week" and "this month" are calendar
ones in the business's time zone. Weekly series and monthly cohorts are grouped by local day in
SQL (PostgreSQL converts with the zone's rules; SQLite, which has none, with the zone's current
UTC offset) and folded into weeks and months here, a few hundred rows at most.

Exports are CSV (UTF-8 with a BOM, so spreadsheet programs read Cyrillic right), written in
batches: members with what they gave the program themselves (the phone only if they shared it),
erased members left out; operations of a period, without staff identities, with their location.

A chain can look at one location (`location_id`): what happens at a counter follows it, that is
purchases, buyers, revenue and the points its operations earned and took (cancellations
included); members, balances, expiry, referrals and quizzes belong to the whole chain and stay
unfiltered. Operations recorded without a location count only in the unfiltered figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import case, distinct, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services import locations
from bot.services.card_tokens import format_short_code
from bot.services.ledger import EntryKind
from bot.services.operations import PURCHASE_KINDS, OpKind, OpStatus
from bot.services.program import Program
from db.models import LedgerEntry, Location, Member, Operation, QuizAttempt

PERIODS = (7, 30, 90, None)  # None: all time
ACTIVE_DAYS = 30
CSV_BATCH = 1000


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Overview:
    days: int | None  # the period; None = all time
    members: int
    new_this_week: int
    new_this_month: int
    new_in_period: int
    buyers_ever: int  # members with at least one purchase
    active: int  # members with a purchase in the last 30 days
    buyers: int  # members with a purchase in the period
    repeat_buyers: int  # of them, with two or more
    purchases: int  # in the period
    revenue: int  # minor units, in the period
    lifetime_revenue: int  # minor units, all time
    points_earned: int  # cashback and bonuses, net of cancellations
    points_redeemed: int
    points_expired: int
    points_outstanding: int  # every member's balance
    liability: int  # the outstanding points in money, minor units
    referred: int  # members who joined by a friend's invitation in the period
    referral_points: int  # points paid for invitations in the period
    quiz_players: int  # members who started a quiz in the period
    quiz_attempts: int
    quiz_finished: int
    location_id: int | None = None  # operation figures of this location only; None = all

    @property
    def engagement(self) -> float | None:
        return _ratio(self.buyers_ever, self.members)

    @property
    def repeat_rate(self) -> float | None:
        return _ratio(self.repeat_buyers, self.buyers)

    @property
    def average_check(self) -> int | None:
        return self.revenue // self.purchases if self.purchases else None

    @property
    def ltv(self) -> int | None:
        """Average spend per member, all time."""
        return self.lifetime_revenue // self.members if self.members else None

    @property
    def redemption_rate(self) -> float | None:
        return _ratio(self.points_redeemed, self.points_earned)

    @property
    def quiz_participation(self) -> float | None:
        return _ratio(self.quiz_players, self.members)


def period_start(now: datetime, days: int | None) -> datetime | None:
    return now - timedelta(days=days) if days else None


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _since(column: Any, since: datetime | None) -> Any:
    return column >= since if since is not None else column.is_not(None)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _at(location_id: int | None) -> Any:
    """Operations of one location, or every operation."""
    return Operation.location_id == location_id if location_id is not None else true()


def _purchase(location_id: int | None = None) -> Any:
    return (
        (Operation.status == OpStatus.DONE.value)
        & Operation.kind.in_(PURCHASE_KINDS)
        & _at(location_id)
    )


async def overview(
    session: AsyncSession,
    program: Program,
    *,
    now: datetime,
    tz: tzinfo,
    days: int | None,
    location_id: int | None = None,
) -> Overview:
    since = period_start(now, days)
    today = now.astimezone(tz).date()
    week_start = _local_midnight(today - timedelta(days=today.weekday()), tz)
    month_start = _local_midnight(today.replace(day=1), tz)

    members = (
        await session.execute(
            select(
                func.count(),
                _count_if(Member.created_at >= week_start),
                _count_if(Member.created_at >= month_start),
                _count_if(_since(Member.created_at, since)),
                func.coalesce(func.sum(Member.points_balance), 0),
                _count_if(Member.referrer_id.is_not(None) & _since(Member.created_at, since)),
            ).select_from(Member)
        )
    ).one()

    in_period = _since(Operation.created_at, since)
    purchases = (
        await session.execute(
            select(
                func.count(distinct(Operation.member_id)),
                func.coalesce(func.sum(Operation.amount), 0),
                func.count(
                    distinct(
                        case(
                            (
                                Operation.created_at >= now - timedelta(days=ACTIVE_DAYS),
                                Operation.member_id,
                            )
                        )
                    )
                ),
                func.count(distinct(case((in_period, Operation.member_id)))),
                _count_if(in_period),
                func.coalesce(func.sum(case((in_period, Operation.amount), else_=0)), 0),
            ).where(_purchase(location_id))
        )
    ).one()

    per_buyer = (
        select(Operation.member_id)
        .where(_purchase(location_id), in_period)
        .group_by(Operation.member_id)
        .having(func.count() >= 2)
        .subquery()
    )
    repeat_buyers = await session.scalar(select(func.count()).select_from(per_buyer))

    points = await _points(session, since, location_id)
    referral_points = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.reference.like("referral:%"), _since(LedgerEntry.created_at, since)
        )
    )
    quizzes = (
        await session.execute(
            select(
                func.count(distinct(QuizAttempt.member_id)),
                func.count(),
                func.count(QuizAttempt.finished_at),
            ).where(_since(QuizAttempt.started_at, since))
        )
    ).one()

    outstanding = int(members[4])
    return Overview(
        days=days,
        members=int(members[0]),
        new_this_week=int(members[1]),
        new_this_month=int(members[2]),
        new_in_period=int(members[3]),
        buyers_ever=int(purchases[0]),
        lifetime_revenue=int(purchases[1]),
        active=int(purchases[2]),
        buyers=int(purchases[3]),
        purchases=int(purchases[4]),
        revenue=int(purchases[5]),
        repeat_buyers=int(repeat_buyers or 0),
        points_earned=points.get(EntryKind.EARN, 0) + points.get(EntryKind.BONUS, 0),
        points_redeemed=-points.get(EntryKind.REDEEM, 0),
        points_expired=-points.get(EntryKind.EXPIRE, 0),
        points_outstanding=outstanding,
        liability=outstanding * program.point_value,
        referred=int(members[5]),
        referral_points=int(referral_points or 0),
        quiz_players=int(quizzes[0]),
        quiz_attempts=int(quizzes[1]),
        quiz_finished=int(quizzes[2]),
        location_id=location_id,
    )


async def _points(
    session: AsyncSession, since: datetime | None, location_id: int | None = None
) -> dict[EntryKind, int]:
    """Ledger movements of the period by kind, a cancellation counted against the kind of the
    entry it reverses (a cancelled purchase's cashback was never really earned). For a location:
    the entries of its operations (a reversal carries its original's reference)."""
    totals: dict[EntryKind, int] = {}
    here = (
        LedgerEntry.reference.in_(locations.operation_reference(location_id))
        if location_id is not None
        else true()
    )
    direct = await session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.delta))
        .where(
            LedgerEntry.kind != EntryKind.REVERSAL.value,
            _since(LedgerEntry.created_at, since),
            here,
        )
        .group_by(LedgerEntry.kind)
    )
    original = aliased(LedgerEntry)
    reversed_ = await session.execute(
        select(original.kind, func.sum(LedgerEntry.delta))
        .join(original, original.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.kind == EntryKind.REVERSAL.value,
            _since(LedgerEntry.created_at, since),
            here,
        )
        .group_by(original.kind)
    )
    for kind, total in [*direct, *reversed_]:
        if kind in EntryKind.__members__.values():
            totals[EntryKind(kind)] = totals.get(EntryKind(kind), 0) + int(total or 0)
    return totals


# ---- series for the chart ----------------------------------------------------------------------


def _local_text(session: AsyncSession, column: Any, tz: tzinfo, now: datetime, unit: str) -> Any:
    """The local day (`YYYY-MM-DD`) or month (`YYYY-MM`) of a UTC timestamp column."""
    if session.bind.dialect.name == "postgresql":
        zone = getattr(tz, "key", "UTC")
        return func.to_char(
            func.timezone(zone, column), "YYYY-MM-DD" if unit == "day" else "YYYY-MM"
        )
    offset = now.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return func.strftime("%Y-%m-%d" if unit == "day" else "%Y-%m", column, f"{minutes:+d} minutes")


@dataclass(frozen=True, slots=True)
class Week:
    starts: date  # Monday, local
    new_members: int
    purchases: int
    redemptions: int  # purchases paid partly with points


async def _daily(
    session: AsyncSession,
    column: Any,
    where: Sequence[Any],
    *,
    since: datetime,
    tz: tzinfo,
    now: datetime,
) -> dict[date, int]:
    day = _local_text(session, column, tz, now, "day").label("day")
    rows = await session.execute(
        select(day, func.count()).where(column >= since, *where).group_by(day)
    )
    return {date.fromisoformat(text): int(number) for text, number in rows}


async def weekly(
    session: AsyncSession,
    *,
    now: datetime,
    tz: tzinfo,
    weeks: int = 12,
    location_id: int | None = None,
) -> list[Week]:
    """The last `weeks` calendar weeks, the current one included. With a location, its
    purchases; new members are the whole chain's."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = _local_midnight(first, tz)
    done = Operation.status == OpStatus.DONE.value
    joined = await _daily(session, Member.created_at, [], since=since, tz=tz, now=now)
    bought = await _daily(
        session,
        Operation.created_at,
        [done, Operation.kind.in_(PURCHASE_KINDS), _at(location_id)],
        since=since,
        tz=tz,
        now=now,
    )
    redeemed = await _daily(
        session,
        Operation.created_at,
        [done, Operation.kind == OpKind.REDEEM.value, _at(location_id)],
        since=since,
        tz=tz,
        now=now,
    )

    def week_sum(series: dict[date, int], start: date) -> int:
        return sum(series.get(start + timedelta(days=offset), 0) for offset in range(7))

    starts = [first + timedelta(weeks=index) for index in range(weeks)]
    return [
        Week(start, week_sum(joined, start), week_sum(bought, start), week_sum(redeemed, start))
        for start in starts
    ]


@dataclass(frozen=True, slots=True)
class Cohort:
    month: date  # the first day of the month members joined in
    size: int
    active: list[int]  # members who bought in the joining month, the next one, ...

    def retention(self, offset: int) -> float | None:
        return _ratio(self.active[offset], self.size) if offset < len(self.active) else None


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


async def cohorts(
    session: AsyncSession,
    *,
    now: datetime,
    tz: tzinfo,
    months: int = 6,
    location_id: int | None = None,
) -> list[Cohort]:
    """Members by the month they joined, and the share of them buying in each month since
    (at one location, when given: members belong to the chain, purchases to a location)."""
    this_month = _month_start(now.astimezone(tz).date())
    first = _month_start(this_month, months - 1)
    since = _local_midnight(first, tz)
    joined_month = _local_text(session, Member.created_at, tz, now, "month").label("joined")
    sizes = {
        text: int(number)
        for text, number in await session.execute(
            select(joined_month, func.count())
            .where(Member.created_at >= since)
            .group_by(joined_month)
        )
    }
    bought_month = _local_text(session, Operation.created_at, tz, now, "month").label("bought")
    active_rows = await session.execute(
        select(joined_month, bought_month, func.count(distinct(Operation.member_id)))
        .join(Member, Member.id == Operation.member_id)
        .where(Member.created_at >= since, _purchase(location_id))
        .group_by(joined_month, bought_month)
    )
    active: dict[tuple[str, str], int] = {
        (joined, bought): int(number) for joined, bought, number in active_rows
    }
    result = []
    for index in range(months):
        month = _month_start(this_month, months - 1 - index)
        key = month.strftime("%Y-%m")
        span = _months_between(month, this_month) + 1
        row = []
        for offset in range(span):
            later = _month_start(this_month, _months_between(month, this_month) - offset)
            row.append(active.get((key, later.strftime("%Y-%m")), 0))
        result.append(Cohort(month, sizes.get(key, 0), row))
    return result


# ---- exports -----------------------------------------------------------------------------------

MEMBER_COLUMNS = (
    "member_id",
    "code",
    "first_name",
    "last_name",
    "username",
    "language",
    "tier",
    "points",
    "stamps",
    "joined",
    "last_purchase",
    "promo_opt_in",
    "phone",
    "birthday",
)
OPERATION_COLUMNS = (
    "operation_id",
    "time",
    "member_code",
    "kind",
    "status",
    "amount",
    "points_earned",
    "points_redeemed",
    "stamps",
    "location",
)


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


async def _batches(session: AsyncSession, query: Any, key: Any) -> AsyncIterator[Sequence[Any]]:
    """Rows in primary key order, a batch at a time: memory does not grow with the table."""
    last = 0
    while True:
        rows = (
            await session.execute(query.where(key > last).order_by(key).limit(CSV_BATCH))
        ).all()
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key.key)


def _csv(header: Sequence[str]) -> tuple[io.StringIO, Any]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    return buffer, writer


def _encode(buffer: io.StringIO) -> bytes:
    return buffer.getvalue().encode("utf-8-sig")


async def members_csv(session: AsyncSession, *, tz: tzinfo) -> bytes:
    buffer, writer = _csv(MEMBER_COLUMNS)
    query = select(
        Member.id,
        Member.short_code,
        Member.first_name,
        Member.last_name,
        Member.username,
        Member.language,
        Member.tier,
        Member.points_balance,
        Member.stamps,
        Member.created_at,
        Member.last_purchase_at,
        Member.promo_opt_in,
        Member.phone,
        Member.birthday,
    ).where(Member.telegram_id > 0)
    async for rows in _batches(session, query, Member.id):
        writer.writerows(
            (
                row.id,
                format_short_code(row.short_code),
                row.first_name,
                row.last_name,
                row.username or "",
                row.language,
                row.tier,
                row.points_balance,
                row.stamps,
                _when(row.created_at, tz),
                _when(row.last_purchase_at, tz),
                "yes" if row.promo_opt_in else "no",
                row.phone or "",
                row.birthday.isoformat() if row.birthday else "",
            )
            for row in rows
        )
    return _encode(buffer)


async def operations_csv(
    session: AsyncSession,
    *,
    tz: tzinfo,
    since: datetime | None,
    until: datetime,
    location_id: int | None = None,
) -> bytes:
    """Operations of a period, and of one location when given; `location` is the name of the
    place it happened (empty when recorded without one)."""
    buffer, writer = _csv(OPERATION_COLUMNS)
    query = (
        select(
            Operation.id,
            Operation.created_at,
            Member.short_code,
            Operation.kind,
            Operation.status,
            Operation.amount,
            Operation.points_earned,
            Operation.points_redeemed,
            Operation.stamps_delta,
            Location.name.label("location"),
        )
        .join(Member, Member.id == Operation.member_id)
        .outerjoin(Location, Location.id == Operation.location_id)
        .where(
            _since(Operation.created_at, since),
            Operation.created_at <= until,
            _at(location_id),
        )
    )
    async for rows in _batches(session, query, Operation.id):
        writer.writerows(
            (
                row.id,
                _when(row.created_at, tz),
                format_short_code(row.short_code),
                row.kind,
                row.status,
                _money(row.amount),
                row.points_earned,
                row.points_redeemed,
                row.stamps_delta,
                row.location or "",
            )
            for row in rows
        )
    return _encode(buffer)
