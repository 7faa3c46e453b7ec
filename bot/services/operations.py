"""What staff do at the counter: purchases, paying with points, stamp rewards, cancellations.

Every operation is one row in `operations` (the audit trail) plus ledger entries whose keys
derive from the operation, so a double tap or a redelivered update changes state once. The
program's rules decide the points; rule changes apply to future operations only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ledger, referrals, webhooks
from bot.services.ledger import EntryKind, InsufficientPoints
from bot.services.program import Program, Tier
from bot.services.wallet import points_expiry
from db.models import LedgerEntry, LookupLog, Member, Operation


class OpKind(StrEnum):
    PURCHASE = "purchase"
    REDEEM = "redeem"  # a purchase paid partly with points
    REWARD = "reward"  # the stamp card's free item


class OpStatus(StrEnum):
    DONE = "done"
    HELD = "held"  # waits for an owner's approval (fraud controls)
    AWAITING_MEMBER = "awaiting"  # waits for the member to confirm paying with points
    DECLINED = "declined"
    CANCELLED = "cancelled"


class HoldReason(StrEnum):
    BIG_AMOUNT = "big_amount"
    MEMBER_DAILY = "member_daily"
    STAFF_HOURLY = "staff_hourly"


PURCHASE_KINDS = (OpKind.PURCHASE.value, OpKind.REDEEM.value)


class OperationError(Exception):
    pass


class AmountOutOfRange(OperationError):
    def __init__(self, maximum: int) -> None:
        super().__init__(f"amount must be between 0.01 and {maximum}")
        self.maximum = maximum


class PointsOutOfRange(OperationError):
    def __init__(self, maximum: int) -> None:
        super().__init__(f"points must be between 1 and {maximum}")
        self.maximum = maximum


class NotEnoughStamps(OperationError):
    pass


class CancelRefused(OperationError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "window", "status", "spent", "not_yours"


class NotPending(OperationError):
    """The operation was already decided, confirmed or cancelled."""


@dataclass(frozen=True, slots=True)
class PurchaseQuote:
    amount: int
    points_redeemed: int
    to_pay: int
    points_to_earn: int
    earns_stamp: bool
    tier: Tier
    max_points: int


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Operation
    balance: int
    stamps: int
    tier_before: str
    tier_after: str
    replayed: bool = False
    referral: referrals.Payout | None = None  # the friend's first purchase paid their inviter

    @property
    def tier_up(self) -> bool:
        return self.tier_before != self.tier_after

    @property
    def status(self) -> OpStatus:
        return OpStatus(self.operation.status)


def quote(
    program: Program, tier_key: str, *, amount: int, balance: int = 0, points: int = 0
) -> PurchaseQuote:
    """What a purchase of `amount` (kopecks) would give, paying `points` of it with points."""
    limits = program.limits
    if not 0 < amount <= limits.max_purchase_amount:
        raise AmountOutOfRange(limits.max_purchase_amount)
    tier = program.tier(tier_key)
    cap = amount * program.max_redeem_percent // (100 * program.point_value)
    max_points = max(0, min(balance, cap))
    if points < 0 or points > max_points:
        raise PointsOutOfRange(max_points)
    to_pay = amount - points * program.point_value
    return PurchaseQuote(
        amount=amount,
        points_redeemed=points,
        to_pay=to_pay,
        points_to_earn=to_pay * tier.cashback_percent // (100 * program.point_value),
        earns_stamp=bool(program.stamps.visits_needed) and amount >= program.stamps.min_purchase,
        tier=tier,
        max_points=max_points,
    )


async def record_purchase(
    session: AsyncSession,
    program: Program,
    *,
    member_id: int,
    staff_id: int,
    amount: int,
    points: int = 0,
    idempotency_key: str,
    now: datetime,
    tz: tzinfo,
    member_must_confirm: bool = False,
    location_id: int | None = None,
    api_key_id: int | None = None,
    receipt_id: str | None = None,
) -> Outcome:
    """Record a purchase (paying `points` of it with points). Over a fraud limit it is held for
    an owner; with `member_must_confirm` it waits for the member's tap in their own chat.
    `receipt_id`: the cash register's own number for the sale, when it came through the API."""
    existing = await _by_key(session, idempotency_key)
    if existing is not None:
        return await _outcome(session, existing, replayed=True)
    member = await _member(session, member_id)
    quote(program, member.tier, amount=amount, balance=member.points_balance, points=points)
    operation = Operation(
        member_id=member_id,
        staff_id=staff_id,
        kind=(OpKind.REDEEM if points else OpKind.PURCHASE).value,
        status=OpStatus.DONE.value,
        amount=amount,
        points_redeemed=points,
        tier_before=member.tier,
        tier_after=member.tier,
        idempotency_key=idempotency_key,
        created_at=now,
        location_id=location_id,
        api_key_id=api_key_id,
        receipt_id=receipt_id,
    )
    if member_must_confirm and points:
        operation.status = OpStatus.AWAITING_MEMBER.value
    else:
        hold = await _hold_reason(session, program, operation, now=now, tz=tz)
        if hold is not None:
            operation.status, operation.hold_reason = OpStatus.HELD.value, hold.value
    payout = None
    try:
        async with session.begin_nested():
            session.add(operation)
            await session.flush()
            if operation.status == OpStatus.DONE:
                payout = await _apply(session, program, operation, now=now)
    except IntegrityError:
        existing = await _by_key(session, idempotency_key)
        if existing is None:
            raise
        return await _outcome(session, existing, replayed=True)
    return await _outcome(session, operation, referral=payout)


async def confirm_by_member(
    session: AsyncSession,
    program: Program,
    *,
    operation_id: int,
    member_id: int,
    now: datetime,
    tz: tzinfo,
) -> Outcome:
    """The member agreed, in their own chat, to pay with points."""
    operation = await session.get(Operation, operation_id, with_for_update=True)
    if operation is None or operation.member_id != member_id:
        raise NotPending
    if operation.status != OpStatus.AWAITING_MEMBER:
        if operation.status in (OpStatus.DONE, OpStatus.HELD):
            return await _outcome(session, operation, replayed=True)
        raise NotPending
    hold = await _hold_reason(session, program, operation, now=now, tz=tz)
    return await _settle(session, program, operation, hold=hold, now=now)


async def decline_by_member(
    session: AsyncSession, *, operation_id: int, member_id: int, now: datetime
) -> Operation:
    return await _close(
        session,
        operation_id,
        OpStatus.AWAITING_MEMBER,
        member_id=member_id,
        decided_by=None,
        now=now,
    )


async def approve(
    session: AsyncSession, program: Program, *, operation_id: int, owner_id: int, now: datetime
) -> Outcome:
    """An owner lets a held operation through; it is applied now."""
    operation = await session.get(Operation, operation_id, with_for_update=True)
    if operation is None:
        raise NotPending
    if operation.status != OpStatus.HELD:
        if operation.status == OpStatus.DONE and operation.decided_by is not None:
            return await _outcome(session, operation, replayed=True)
        raise NotPending
    operation.decided_by, operation.decided_at = owner_id, now
    return await _settle(session, program, operation, hold=None, now=now)


async def decline(
    session: AsyncSession, *, operation_id: int, owner_id: int, now: datetime
) -> Operation:
    return await _close(
        session, operation_id, OpStatus.HELD, member_id=None, decided_by=owner_id, now=now
    )


async def redeem_reward(
    session: AsyncSession,
    program: Program,
    *,
    member_id: int,
    staff_id: int,
    idempotency_key: str,
    now: datetime,
    location_id: int | None = None,
    api_key_id: int | None = None,
) -> Outcome:
    """The stamp card is full: the free item is given and the card starts again."""
    existing = await _by_key(session, idempotency_key)
    if existing is not None:
        return await _outcome(session, existing, replayed=True)
    needed = program.stamps.visits_needed
    if not needed:
        raise NotEnoughStamps
    member = await _member(session, member_id)
    try:
        async with session.begin_nested():
            left = await session.scalar(
                update(Member)
                .where(Member.id == member_id, Member.stamps >= needed)
                .values(stamps=Member.stamps - needed)
                .returning(Member.stamps)
                .execution_options(synchronize_session=False)
            )
            if left is None:
                raise NotEnoughStamps
            operation = Operation(
                member_id=member_id,
                staff_id=staff_id,
                kind=OpKind.REWARD.value,
                status=OpStatus.DONE.value,
                amount=0,
                stamps_delta=-needed,
                tier_before=member.tier,
                tier_after=member.tier,
                idempotency_key=idempotency_key,
                created_at=now,
                location_id=location_id,
                api_key_id=api_key_id,
            )
            session.add(operation)
            await session.flush()
    except IntegrityError:
        existing = await _by_key(session, idempotency_key)
        if existing is None:
            raise
        return await _outcome(session, existing, replayed=True)
    return await _outcome(session, operation)


async def cancel(
    session: AsyncSession,
    program: Program,
    *,
    operation_id: int,
    by: int,
    is_owner: bool,
    now: datetime,
) -> Outcome:
    """Undo an operation by reversing entries, never by deleting. Staff may cancel their own
    operations within the program's window; owners any operation at any time."""
    operation = await session.get(Operation, operation_id, with_for_update=True)
    if operation is None:
        raise CancelRefused("status")
    if operation.status == OpStatus.CANCELLED:
        return await _outcome(session, operation, replayed=True)
    if operation.status != OpStatus.DONE:
        raise CancelRefused("status")
    if not is_owner:
        if operation.staff_id != by:
            raise CancelRefused("not_yours")
        window = timedelta(minutes=program.limits.cancel_window_minutes)
        if now - operation.created_at > window:
            raise CancelRefused("window")
    tier_before = await session.scalar(select(Member.tier).where(Member.id == operation.member_id))
    entries = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.reference == _reference(operation), LedgerEntry.reverses_id.is_(None))
        .order_by(LedgerEntry.delta)  # return spent points first, then take back earned ones
    )
    try:
        async with session.begin_nested():
            for entry in entries:
                await ledger.reverse(
                    session,
                    entry_id=entry.id,
                    idempotency_key=f"cancel:{operation.id}:{entry.id}",
                    now=now,
                    reason=f"#{operation.id}",
                    created_by=by,
                )
            if operation.stamps_delta:
                await session.execute(
                    update(Member)
                    .where(Member.id == operation.member_id)
                    .values(
                        stamps=func.max(Member.stamps - operation.stamps_delta, 0)
                        if session.bind.dialect.name == "sqlite"
                        else func.greatest(Member.stamps - operation.stamps_delta, 0)
                    )
                    .execution_options(synchronize_session=False)
                )
            operation.status = OpStatus.CANCELLED.value
            operation.cancelled_by, operation.cancelled_at = by, now
            await session.flush()
            tier_after = await _retier(session, program, operation.member_id, now=now)
            notices = webhooks.cancellation_notices(
                operation, tier_before=tier_before or tier_after, tier_after=tier_after
            )
            await webhooks.publish(session, notices, now=now)
    except InsufficientPoints as exc:
        raise CancelRefused("spent") from exc
    return await _outcome(session, operation)


async def recent(
    session: AsyncSession,
    *,
    staff_id: int | None = None,
    member_id: int | None = None,
    limit: int = 10,
) -> list[Operation]:
    query = select(Operation).order_by(Operation.id.desc()).limit(limit)
    if staff_id is not None:
        query = query.where(Operation.staff_id == staff_id)
    if member_id is not None:
        query = query.where(Operation.member_id == member_id)
    return list(await session.scalars(query))


async def log_lookup(
    session: AsyncSession,
    *,
    staff_id: int,
    member_id: int | None,
    method: str,
    outcome: str,
    now: datetime,
) -> int:
    row = LookupLog(
        staff_id=staff_id, member_id=member_id, method=method, outcome=outcome, created_at=now
    )
    session.add(row)
    await session.flush()
    return row.id


async def lookup_is_fresh(
    session: AsyncSession,
    lookup_id: int,
    *,
    staff_id: int,
    member_id: int,
    now: datetime,
    ttl: timedelta,
) -> bool:
    """Was the member's own QR scanned by this staff member recently? Then they are present."""
    row = await session.get(LookupLog, lookup_id)
    return (
        row is not None
        and row.staff_id == staff_id
        and row.member_id == member_id
        and row.outcome == "found"
        and row.method in ("link", "photo")
        and now - row.created_at <= ttl
    )


def _reference(operation: Operation) -> str:
    return f"op:{operation.id}"


async def _settle(
    session: AsyncSession,
    program: Program,
    operation: Operation,
    *,
    hold: HoldReason | None,
    now: datetime,
) -> Outcome:
    if hold is not None:
        operation.status, operation.hold_reason = OpStatus.HELD.value, hold.value
        await session.flush()
        return await _outcome(session, operation)
    async with session.begin_nested():
        operation.status = OpStatus.DONE.value
        await session.flush()
        payout = await _apply(session, program, operation, now=now)
    return await _outcome(session, operation, referral=payout)


async def _close(
    session: AsyncSession,
    operation_id: int,
    expected: OpStatus,
    *,
    member_id: int | None,
    decided_by: int | None,
    now: datetime,
) -> Operation:
    operation = await session.get(Operation, operation_id, with_for_update=True)
    if operation is None or (member_id is not None and operation.member_id != member_id):
        raise NotPending
    if operation.status == OpStatus.DECLINED:
        return operation
    if operation.status != expected:
        raise NotPending
    operation.status = OpStatus.DECLINED.value
    operation.decided_by, operation.decided_at = decided_by, now
    await session.flush()
    return operation


async def _apply(
    session: AsyncSession, program: Program, operation: Operation, *, now: datetime
) -> referrals.Payout | None:
    """Move the points and stamps of a purchase that is allowed to happen."""
    member = await _member(session, operation.member_id)
    tier_before = member.tier
    figures = quote(
        program,
        member.tier,
        amount=operation.amount,
        balance=member.points_balance,
        points=operation.points_redeemed,
    )
    reference = _reference(operation)
    if figures.points_redeemed:
        await ledger.post(
            session,
            member_id=member.id,
            delta=-figures.points_redeemed,
            kind=EntryKind.REDEEM,
            idempotency_key=f"{reference}:redeem",
            now=now,
            reference=reference,
            reason=f"#{operation.id}",
            created_by=operation.staff_id,
        )
    if figures.points_to_earn:
        await ledger.post(
            session,
            member_id=member.id,
            delta=figures.points_to_earn,
            kind=EntryKind.EARN,
            idempotency_key=f"{reference}:earn",
            now=now,
            reference=reference,
            reason=f"#{operation.id}",
            created_by=operation.staff_id,
            expires_at=points_expiry(program, now),
        )
    stamps = 1 if figures.earns_stamp else 0
    await session.execute(
        update(Member)
        .where(Member.id == member.id)
        .values(stamps=Member.stamps + stamps, last_purchase_at=now)
        .execution_options(synchronize_session=False)
    )
    operation.points_earned = figures.points_to_earn
    operation.stamps_delta = stamps
    operation.tier_before = tier_before
    await session.flush()
    operation.tier_after = await _retier(session, program, member.id, now=now)
    await session.flush()
    payout = await referrals.after_purchase(session, program, operation, now=now)
    notices = webhooks.operation_notices(operation, point_value=program.point_value)
    await webhooks.publish(session, notices, now=now)
    return payout


async def _retier(
    session: AsyncSession, program: Program, member_id: int, *, now: datetime
) -> str:
    since = now - timedelta(days=program.tier_window_days)
    count, spend = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Operation.amount), 0)).where(
                Operation.member_id == member_id,
                Operation.kind.in_(PURCHASE_KINDS),
                Operation.status == OpStatus.DONE.value,
                Operation.created_at >= since,
            )
        )
    ).one()
    tier = program.base_tier
    for candidate in program.tiers[1:]:
        by_count = candidate.min_purchases and count >= candidate.min_purchases
        by_spend = candidate.min_spend and spend >= candidate.min_spend
        if by_count or by_spend:
            tier = candidate
    await session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(tier=tier.key)
        .execution_options(synchronize_session=False)
    )
    return tier.key


async def _hold_reason(
    session: AsyncSession, program: Program, operation: Operation, *, now: datetime, tz: tzinfo
) -> HoldReason | None:
    limits = program.limits
    if limits.confirm_purchase_above and operation.amount > limits.confirm_purchase_above:
        return HoldReason.BIG_AMOUNT
    if limits.purchases_per_member_per_day:
        local_midnight = datetime.combine(now.astimezone(tz).date(), time(0), tz)
        today = await session.scalar(
            select(func.count()).where(
                Operation.member_id == operation.member_id,
                Operation.kind.in_(PURCHASE_KINDS),
                Operation.status.in_((OpStatus.DONE.value, OpStatus.HELD.value)),
                Operation.created_at >= local_midnight,
                Operation.id != (operation.id or 0),
            )
        )
        if (today or 0) >= limits.purchases_per_member_per_day:
            return HoldReason.MEMBER_DAILY
    if limits.operations_per_staff_per_hour:
        # A cash register's API key counts as a staff member of its own.
        author = (
            Operation.api_key_id == operation.api_key_id
            if operation.api_key_id is not None
            else (Operation.staff_id == operation.staff_id) & Operation.api_key_id.is_(None)
        )
        last_hour = await session.scalar(
            select(func.count()).where(
                author,
                Operation.status != OpStatus.DECLINED.value,
                Operation.created_at >= now - timedelta(hours=1),
                Operation.id != (operation.id or 0),
            )
        )
        if (last_hour or 0) >= limits.operations_per_staff_per_hour:
            return HoldReason.STAFF_HOURLY
    return None


async def _member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id, populate_existing=True)
    if member is None:
        raise ledger.MemberNotFound(member_id)
    return member


async def _by_key(session: AsyncSession, key: str) -> Operation | None:
    return await session.scalar(select(Operation).where(Operation.idempotency_key == key))


async def _outcome(
    session: AsyncSession,
    operation: Operation,
    *,
    replayed: bool = False,
    referral: referrals.Payout | None = None,
) -> Outcome:
    member = await _member(session, operation.member_id)
    return Outcome(
        operation=operation,
        balance=member.points_balance,
        stamps=member.stamps,
        tier_before=operation.tier_before,
        tier_after=member.tier if operation.status == OpStatus.DONE else operation.tier_after,
        replayed=replayed,
        referral=referral,
    )
