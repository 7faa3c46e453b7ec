"""Points expiry: the daily write-off of lots whose day has passed, and the reminders before it.

Points dated D (the local day of the lot's `expires_at`) can be spent through day D; the first
run after local midnight writes off each such lot's unspent part with one ledger entry
(`expire:<lot id>`), so the balance drops by exactly what was left, once. Both messages are
transactional: they go out whatever the member's promotional setting.

Reminders go `days_before` (30, 7, 1 by default) the day points expire, one message per member
and run, at most once per (member, expiry day, days-before): the `expiry_reminders` row.
A reminder missed while the bot was down goes out late, within its window: between the
reminder's day and the next, smaller one.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Subquery,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import I18n
from bot.services import ledger, webhooks
from bot.services.engagement.common import (
    Engagement,
    JobReport,
    JobStatus,
    Outgoing,
    full_date,
    insert_many_once,
    insert_once,
    run_in_batches,
)
from bot.services.ledger import EntryKind, IdempotencyConflict
from db.models import ExpiryReminder, LedgerEntry, LotConsumption, Member, PointLot

EXPIRE_JOB = "expire"
REMIND_JOB = "expiry_reminders"
_REMINDER_KEY = ["member_id", "expires_on", "days_before"]


@dataclass(frozen=True, slots=True)
class _Reminder:
    """A reminder a member is due: the day their points expire and how many days before."""

    day: date
    days_before: int
    points: int
    days_left: int


@dataclass(slots=True)
class _Due:
    """A member in a batch, with what the batch fetched for them."""

    id: int
    telegram_id: int
    language: str
    reachable: bool
    lots: list[Any] = field(default_factory=list)
    reminded: set[tuple[date, int]] = field(default_factory=set)


async def expire_points(ctx: Engagement, report: JobReport) -> None:
    now = ctx.clock.now()
    cutoff = ctx.midnight(ctx.local_now().date())

    async def fetch(session: AsyncSession, after: int) -> list[_Due]:
        due = (
            select(PointLot.member_id)
            .where(
                PointLot.remaining > 0,
                PointLot.member_id > after,
                PointLot.expires_at < cutoff,
            )
            .group_by(PointLot.member_id)
            .order_by(PointLot.member_id)
            .limit(ctx.batch_size)
            .subquery()
        )
        batch = await _members(session, due)
        if not batch:
            return []
        # Locked until the batch commits: a purchase spending these lots waits, then sees them
        # written off; another instance's run finds nothing left.
        lots = await session.execute(
            select(PointLot.id, PointLot.member_id, PointLot.remaining)
            .where(
                PointLot.member_id.in_(list(batch)),
                PointLot.remaining > 0,
                PointLot.expires_at < cutoff,
            )
            .order_by(PointLot.member_id, PointLot.expires_at, PointLot.id)
            .with_for_update()
        )
        for lot in lots:
            batch[lot.member_id].lots.append(lot)
        return list(batch.values())

    async def handle(session: AsyncSession, member: _Due) -> Outgoing | None:
        expired, balance = 0, None
        for lot in member.lots:
            balance = (await _expire_lot(session, member.id, lot.id, lot.remaining, now)).balance
            expired += lot.remaining
        if not expired or balance is None:
            return None
        notice = webhooks.expiry_notice(member.id, expired, [lot.id for lot in member.lots], now)
        await webhooks.publish(session, [notice], now=now)
        text = ""
        if member.reachable:
            text = ctx.i18n(member.language)("expiry-notice", points=expired, balance=balance)
        return Outgoing(member.id, member.telegram_id, text)

    async def handle_batch(session: AsyncSession, batch: Sequence[_Due]) -> list[Outgoing] | None:
        written_off = await _expire_batch(session, batch, now)
        if written_off is None:
            return None
        notices = [
            webhooks.expiry_notice(m.id, written_off[m.id][0], [lot.id for lot in m.lots], now)
            for m in batch
            if m.id in written_off
        ]
        await webhooks.publish(session, notices, now=now)
        outbox = []
        for member in batch:
            if member.id not in written_off:
                continue
            expired, balance = written_off[member.id]
            text = ""
            if member.reachable:
                text = ctx.i18n(member.language)("expiry-notice", points=expired, balance=balance)
            outbox.append(Outgoing(member.id, member.telegram_id, text))
        return outbox

    await run_in_batches(ctx, report, EXPIRE_JOB, fetch, handle, handle_batch)


async def _expire_batch(
    session: AsyncSession, batch: Sequence[_Due], now: datetime
) -> dict[int, tuple[int, int]] | None:
    """Write off every lot of the batch with a few statements for the whole batch instead of
    eight per lot: the same ledger entries (`expire:<lot>`, one per lot, balance after each),
    lot consumptions, lots emptied and balances lowered as `_expire_lot` makes one by one.

    Returns member id -> (points expired, balance now), or None if a lot of the batch needs the
    one-by-one path: its key is taken (a lot reopened by a reversal), or a balance doesn't
    cover its lots.
    """
    lots = [(member, lot) for member in batch for lot in member.lots if lot.remaining > 0]
    if not lots:
        return {}
    keys = {lot.id: f"expire:{lot.id}" for _, lot in lots}
    taken = await session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.idempotency_key.in_(list(keys.values()))).limit(1)
    )
    if taken is not None:
        return None
    owed: dict[int, int] = defaultdict(int)
    for member, lot in lots:
        owed[member.id] += lot.remaining
    found = await session.execute(
        select(Member.id, Member.points_balance)
        .where(Member.id.in_(list(owed)))
        .order_by(Member.id)
        .with_for_update()
    )
    balances: dict[int, int] = {row.id: row.points_balance for row in found}
    if any(balances.get(member_id, -1) < points for member_id, points in owed.items()):
        return None
    entries = []
    for member, lot in lots:
        balance = balances[member.id] - lot.remaining
        balances[member.id] = balance
        entries.append(
            LedgerEntry(
                member_id=member.id,
                delta=-lot.remaining,
                balance_after=balance,
                kind=EntryKind.EXPIRE.value,
                reason="",
                reference=f"lot:{lot.id}",
                idempotency_key=keys[lot.id],
                created_at=now,
            )
        )
    session.add_all(entries)
    await session.flush()
    written_off = {member_id: (points, balances[member_id]) for member_id, points in owed.items()}
    session.add_all(
        LotConsumption(entry_id=entry.id, lot_id=lot.id, amount=lot.remaining)
        for entry, (_, lot) in zip(entries, lots, strict=True)
    )
    lot_table, member_table = PointLot.__table__, Member.__table__
    await session.execute(
        update(lot_table).where(lot_table.c.id.in_(list(keys))).values(remaining=0)
    )
    await session.execute(
        update(member_table)
        .where(member_table.c.id == bindparam("member"))
        .values(points_balance=member_table.c.points_balance - bindparam("points")),
        [{"member": member_id, "points": points} for member_id, points in owed.items()],
    )
    await session.flush()
    return written_off


async def _members(
    session: AsyncSession, which: Subquery | ColumnElement[bool]
) -> dict[int, _Due]:
    """The members of a batch: those in the `which` subquery of member ids, or matching it."""
    query = select(Member.id, Member.telegram_id, Member.language, Member.unreachable_at)
    if isinstance(which, Subquery):
        query = query.join(which, which.c.member_id == Member.id)
    else:
        query = query.where(which)
    rows = await session.execute(query.order_by(Member.id))
    return {
        row.id: _Due(row.id, row.telegram_id, row.language, row.unreachable_at is None)
        for row in rows
    }


async def _expire_lot(
    session: AsyncSession, member_id: int, lot_id: int, points: int, now: datetime
) -> ledger.Posted:
    """One expiry entry for the lot's unspent points.

    The key is `expire:<lot>`; a lot can only be open again after its expiry if a spending it
    paid for was reversed later, and then the next write-off gets the next number.
    """
    keys = [f"expire:{lot_id}"]
    try:
        posted = await _post_expiry(session, member_id, lot_id, points, keys[0], now)
        if not posted.replayed:
            return posted
    except IdempotencyConflict:
        pass
    earlier = await session.scalar(
        select(func.count())
        .select_from(LotConsumption)
        .join(LedgerEntry, LedgerEntry.id == LotConsumption.entry_id)
        .where(LotConsumption.lot_id == lot_id, LedgerEntry.kind == EntryKind.EXPIRE.value)
    )
    return await _post_expiry(
        session, member_id, lot_id, points, f"expire:{lot_id}:{earlier or 0}", now
    )


async def _post_expiry(
    session: AsyncSession, member_id: int, lot_id: int, points: int, key: str, now: datetime
) -> ledger.Posted:
    return await ledger.post(
        session,
        member_id=member_id,
        delta=-points,
        kind=EntryKind.EXPIRE,
        idempotency_key=key,
        now=now,
        reference=f"lot:{lot_id}",
        lot_id=lot_id,
    )


def reminder_for(days_left: int, thresholds: list[int]) -> int | None:
    """The reminder whose window holds `days_left`: 30 for 8..30 days, 7 for 2..7, 1 for 1."""
    fitting = [days for days in thresholds if days >= days_left]
    return min(fitting) if fitting else None


async def remind_expiring_points(ctx: Engagement, report: JobReport) -> None:
    thresholds = sorted(ctx.program.expiry_reminders.days_before)
    if not thresholds:
        report.status = JobStatus.DISABLED
        return
    now = ctx.clock.now()
    today = ctx.local_now().date()
    window_start = ctx.midnight(today + timedelta(days=1))
    window_end = ctx.midnight(today + timedelta(days=max(thresholds) + 1))
    # Each day of the window as the lot's local expiry day and the reminder it is due, so the
    # database can skip lots whose reminder went out already (most of them, on any day but
    # the first): a member comes back only if some lot in the window still lacks its reminder.
    window_days = [today + timedelta(days=offset) for offset in range(1, max(thresholds) + 1)]
    local_day = case(
        *(
            (PointLot.expires_at < ctx.midnight(day + timedelta(days=1)), literal(day, Date))
            for day in window_days
        )
    )
    reminder_due = case(
        *(
            (
                PointLot.expires_at < ctx.midnight(day + timedelta(days=1)),
                reminder_for((day - today).days, thresholds),
            )
            for day in window_days
        )
    )
    not_reminded = ~(
        select(ExpiryReminder.id)
        .where(
            ExpiryReminder.member_id == PointLot.member_id,
            ExpiryReminder.expires_on == local_day,
            ExpiryReminder.days_before == reminder_due,
        )
        .exists()
    )

    # Who is owed a reminder is found in one pass, as a sorted list of member ids (a few bytes
    # each): walking the members in 500-member slices with this query cost PostgreSQL several
    # times one pass. Each batch then reads its members' rows afresh and the rules decide.
    candidates: list[int] | None = None

    async def fetch(session: AsyncSession, after: int) -> list[_Due]:
        nonlocal candidates
        if candidates is None:
            candidates = list(
                await session.scalars(
                    select(PointLot.member_id)
                    .join(Member, Member.id == PointLot.member_id)
                    .where(
                        PointLot.remaining > 0,
                        PointLot.expires_at >= window_start,
                        PointLot.expires_at < window_end,
                        Member.unreachable_at.is_(None),
                        not_reminded,
                    )
                    .group_by(PointLot.member_id)
                    .order_by(PointLot.member_id)
                )
            )
        position = bisect.bisect_right(candidates, after)
        batch: dict[int, _Due] = {}
        while not batch and position < len(candidates):
            ids = candidates[position : position + ctx.batch_size]
            position += len(ids)
            batch = await _members(session, Member.id.in_(ids) & Member.unreachable_at.is_(None))
        if not batch:
            return []
        lots = await session.execute(
            select(
                PointLot.member_id, PointLot.remaining, PointLot.expires_at, PointLot.created_at
            ).where(
                PointLot.member_id.in_(list(batch)),
                PointLot.remaining > 0,
                PointLot.expires_at >= window_start,
                PointLot.expires_at < window_end,
            )
        )
        for lot in lots:
            batch[lot.member_id].lots.append(lot)
        reminded = await session.execute(
            select(
                ExpiryReminder.member_id, ExpiryReminder.expires_on, ExpiryReminder.days_before
            ).where(
                ExpiryReminder.member_id.in_(list(batch)),
                ExpiryReminder.expires_on > today,
            )
        )
        for row in reminded:
            batch[row.member_id].reminded.add((row.expires_on, row.days_before))
        return list(batch.values())

    def due_reminders(member: _Due) -> list[_Reminder]:
        by_day: dict[date, list[Any]] = defaultdict(list)
        for lot in member.lots:
            by_day[lot.expires_at.astimezone(ctx.tz).date()].append(lot)
        due = []
        for day in sorted(by_day):
            days_left = (day - today).days
            days_before = reminder_for(days_left, thresholds)
            if days_before is None or (day, days_before) in member.reminded:
                continue
            # Points earned after this reminder's day wait for the next, smaller one.
            earned = min(lot.created_at for lot in by_day[day]).astimezone(ctx.tz).date()
            if earned > day - timedelta(days=days_before):
                continue
            points = sum(lot.remaining for lot in by_day[day])
            due.append(_Reminder(day, days_before, points, days_left))
        return due

    # The title and the closing line read the same for everyone in a language, and a line
    # (points, day) repeats across members: each is formatted once.
    framing: dict[str, tuple[str, str]] = {}
    formatted_lines: dict[tuple[str, int, date, int], str] = {}

    def line(i18n: I18n, reminder: _Reminder) -> str:
        key = (i18n.locale, reminder.points, reminder.day, reminder.days_left)
        text = formatted_lines.get(key)
        if text is None:
            text = formatted_lines[key] = i18n(
                "expiry-reminder-line",
                points=reminder.points,
                date=full_date(reminder.day),
                days=reminder.days_left,
            )
        return text

    def message(member: _Due, reminders: list[_Reminder]) -> Outgoing | None:
        if not reminders:
            return None
        i18n = ctx.i18n(member.language)
        if i18n.locale not in framing:
            framing[i18n.locale] = (
                i18n("expiry-reminder-title"),
                i18n("expiry-reminder-how", max_share=ctx.program.max_redeem_percent),
            )
        title, how = framing[i18n.locale]
        lines = [line(i18n, reminder) for reminder in reminders]
        return Outgoing(member.id, member.telegram_id, "\n".join([title, *lines, how]))

    def record(member: _Due, reminder: _Reminder) -> dict[str, Any]:
        return {
            "member_id": member.id,
            "expires_on": reminder.day,
            "days_before": reminder.days_before,
            "points": reminder.points,
            "created_at": now,
        }

    async def handle(session: AsyncSession, member: _Due) -> Outgoing | None:
        sent = []
        for reminder in due_reminders(member):
            reminder_id = await insert_once(
                session, ExpiryReminder, record(member, reminder), _REMINDER_KEY
            )
            if reminder_id is not None:
                sent.append(reminder)
        return message(member, sent)

    async def handle_batch(session: AsyncSession, batch: Sequence[_Due]) -> list[Outgoing]:
        """The batch's reminder records in one insert per 1000, not one each."""
        due = {member.id: due_reminders(member) for member in batch}
        rows = [record(member, reminder) for member in batch for reminder in due[member.id]]
        inserted = await insert_many_once(session, ExpiryReminder, rows, _REMINDER_KEY)
        outbox = []
        for member in batch:
            sent = [
                reminder
                for reminder in due[member.id]
                if (member.id, reminder.day, reminder.days_before) in inserted
            ]
            outgoing = message(member, sent)
            if outgoing is not None:
                outbox.append(outgoing)
        return outbox

    await run_in_batches(ctx, report, REMIND_JOB, fetch, handle, handle_batch)
