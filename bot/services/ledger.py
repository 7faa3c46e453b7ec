"""The points ledger: the one path that changes a member's points.

Entries are append-only. The member's cached balance changes in the same transaction as the entry,
by an atomic conditional UPDATE, so concurrent writers can neither overspend nor lose an update.
Every earning opens a lot with an expiry date; every spending consumes the oldest lots first and
records which, so a reversal puts points back where they came from. At all times:
balance == sum(entries.delta) == sum(lots.remaining).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LedgerEntry, LotConsumption, Member, PointLot


class EntryKind(StrEnum):
    EARN = "earn"  # cashback for a purchase
    BONUS = "bonus"  # welcome, birthday, referral, quiz, win-back
    REDEEM = "redeem"  # points paid for a purchase
    EXPIRE = "expire"  # unspent points whose lot reached its expiry date
    ADJUST = "adjust"  # a manual correction by an owner
    REVERSAL = "reversal"  # cancels an earlier entry


class LedgerError(Exception):
    pass


class MemberNotFound(LedgerError):
    pass


class InsufficientPoints(LedgerError):
    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(f"balance {balance} is less than {needed}")
        self.balance = balance
        self.needed = needed


class IdempotencyConflict(LedgerError):
    """The key was already used for a different operation."""


class NotReversible(LedgerError):
    pass


@dataclass(frozen=True, slots=True)
class Posted:
    entry_id: int
    member_id: int
    delta: int
    balance: int
    kind: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class HistoryItem:
    entry_id: int
    delta: int
    balance_after: int
    kind: str
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: list[HistoryItem]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Expiry:
    points: int
    expires_at: datetime


async def post(
    session: AsyncSession,
    *,
    member_id: int,
    delta: int,
    kind: EntryKind,
    idempotency_key: str,
    now: datetime,
    reason: str = "",
    reference: str | None = None,
    created_by: int | None = None,
    expires_at: datetime | None = None,
    lot_id: int | None = None,
) -> Posted:
    """Add one entry. A repeated idempotency key returns the first result and changes nothing.

    `expires_at` dates the lot a positive entry opens; `lot_id` makes a negative entry take from
    that lot only (expiry of one lot).
    """
    if delta == 0:
        raise ValueError("an entry must change the balance")
    if kind is EntryKind.REVERSAL:
        raise ValueError("use reverse() to cancel an entry")
    existing = await _replay(session, idempotency_key, member_id, delta)
    if existing is not None:
        return existing
    try:
        async with session.begin_nested():
            entry = await _append(
                session,
                member_id=member_id,
                delta=delta,
                kind=kind,
                idempotency_key=idempotency_key,
                now=now,
                reason=reason,
                reference=reference,
                created_by=created_by,
            )
            if delta > 0:
                session.add(
                    PointLot(
                        member_id=member_id,
                        entry_id=entry.id,
                        amount=delta,
                        remaining=delta,
                        expires_at=expires_at,
                        created_at=now,
                    )
                )
            else:
                await _consume(session, entry, -delta, only_lot=lot_id)
            await session.flush()
    except IntegrityError:
        # A concurrent request with the same key won the race; hand back its result.
        replayed = await _replay(session, idempotency_key, member_id, delta)
        if replayed is None:
            raise
        return replayed
    return _posted(entry)


async def reverse(
    session: AsyncSession,
    *,
    entry_id: int,
    idempotency_key: str,
    now: datetime,
    reason: str = "",
    created_by: int | None = None,
) -> Posted:
    """Cancel an entry with an opposite one. Spent points return to the lots they came from."""
    original = await session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotReversible("no such entry")
    existing = await _replay(session, idempotency_key, original.member_id, -original.delta)
    if existing is not None:
        return existing
    if original.kind == EntryKind.REVERSAL:
        raise NotReversible("a reversal can't be reversed")
    already = await session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)
    )
    if already is not None:
        raise NotReversible("already reversed")
    try:
        async with session.begin_nested():
            entry = await _append(
                session,
                member_id=original.member_id,
                delta=-original.delta,
                kind=EntryKind.REVERSAL,
                idempotency_key=idempotency_key,
                now=now,
                reason=reason,
                reference=original.reference,
                created_by=created_by,
                reverses_id=original.id,
            )
            if original.delta > 0:
                own_lot = await session.scalar(
                    select(PointLot.id).where(PointLot.entry_id == original.id)
                )
                await _consume(session, entry, original.delta, prefer_lot=own_lot)
            else:
                await _restore(session, original)
            await session.flush()
    except IntegrityError:
        replayed = await _replay(session, idempotency_key, original.member_id, -original.delta)
        if replayed is None:
            raise NotReversible("already reversed") from None
        return replayed
    return _posted(entry)


async def balance(session: AsyncSession, member_id: int) -> int:
    value = await session.scalar(select(Member.points_balance).where(Member.id == member_id))
    if value is None:
        raise MemberNotFound(member_id)
    return value


async def history(
    session: AsyncSession, member_id: int, *, page: int = 0, per_page: int = 8
) -> HistoryPage:
    total = (
        await session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.member_id == member_id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.member_id == member_id)
        .order_by(LedgerEntry.id.desc())
        .offset(page * per_page)
        .limit(per_page)
    )
    items = [
        HistoryItem(row.id, row.delta, row.balance_after, row.kind, row.reason, row.created_at)
        for row in rows
    ]
    return HistoryPage(items=items, page=page, pages=pages, total=total)


async def nearest_expiry(session: AsyncSession, member_id: int, tz: tzinfo) -> Expiry | None:
    """The points that expire first: the sum of open lots expiring on the same local day."""
    lots = (
        await session.execute(
            select(PointLot.remaining, PointLot.expires_at)
            .where(
                PointLot.member_id == member_id,
                PointLot.remaining > 0,
                PointLot.expires_at.is_not(None),
            )
            .order_by(PointLot.expires_at, PointLot.id)
            .limit(100)
        )
    ).all()
    if not lots:
        return None
    first_day = lots[0].expires_at.astimezone(tz).date()
    same_day = [lot for lot in lots if lot.expires_at.astimezone(tz).date() == first_day]
    return Expiry(
        points=sum(lot.remaining for lot in same_day), expires_at=same_day[-1].expires_at
    )


@dataclass(frozen=True, slots=True)
class Audit:
    balance: int
    entries_sum: int
    lots_sum: int

    @property
    def consistent(self) -> bool:
        return self.balance == self.entries_sum == self.lots_sum


async def audit(session: AsyncSession, member_id: int) -> Audit:
    """Recompute the balance from the entries and the lots: all three must agree."""
    entries_sum = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.member_id == member_id
        )
    )
    lots_sum = await session.scalar(
        select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
            PointLot.member_id == member_id
        )
    )
    return Audit(await balance(session, member_id), int(entries_sum or 0), int(lots_sum or 0))


async def _replay(session: AsyncSession, key: str, member_id: int, delta: int) -> Posted | None:
    entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if entry is None:
        return None
    if entry.member_id != member_id or entry.delta != delta:
        raise IdempotencyConflict(key)
    return _posted(entry, replayed=True)


async def _append(
    session: AsyncSession,
    *,
    member_id: int,
    delta: int,
    kind: EntryKind,
    idempotency_key: str,
    now: datetime,
    reason: str,
    reference: str | None,
    created_by: int | None,
    reverses_id: int | None = None,
) -> LedgerEntry:
    new_balance = await session.scalar(
        update(Member)
        .where(Member.id == member_id, Member.points_balance + delta >= 0)
        .values(points_balance=Member.points_balance + delta)
        .returning(Member.points_balance)
        .execution_options(synchronize_session=False)
    )
    if new_balance is None:
        current = await session.scalar(select(Member.points_balance).where(Member.id == member_id))
        if current is None:
            raise MemberNotFound(member_id)
        raise InsufficientPoints(balance=current, needed=-delta)
    entry = LedgerEntry(
        member_id=member_id,
        delta=delta,
        balance_after=new_balance,
        kind=kind.value,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        reverses_id=reverses_id,
        created_at=now,
        created_by=created_by,
    )
    session.add(entry)
    await session.flush()
    # The identity map may hold this member with the old balance; refresh what callers see.
    cached = session.identity_map.get(session.identity_key(Member, (member_id,)))  # type: ignore[arg-type]
    if cached is not None:
        session.expire(cached, ["points_balance"])
    return entry


async def _consume(
    session: AsyncSession,
    entry: LedgerEntry,
    points: int,
    *,
    only_lot: int | None = None,
    prefer_lot: int | None = None,
) -> None:
    query = select(PointLot).where(PointLot.member_id == entry.member_id, PointLot.remaining > 0)
    if only_lot is not None:
        query = query.where(PointLot.id == only_lot)
    order = [PointLot.expires_at.is_(None), PointLot.expires_at, PointLot.id]
    if prefer_lot is not None:
        order.insert(0, PointLot.id != prefer_lot)
    lots = await session.scalars(query.order_by(*order).with_for_update())
    left = points
    for lot in lots:
        take = min(lot.remaining, left)
        lot.remaining -= take
        session.add(LotConsumption(entry_id=entry.id, lot_id=lot.id, amount=take))
        left -= take
        if left == 0:
            break
    if left:
        # Only reachable if the lot asked for holds less than the entry takes.
        raise InsufficientPoints(balance=points - left, needed=points)


async def _restore(session: AsyncSession, original: LedgerEntry) -> None:
    taken = await session.execute(
        select(LotConsumption.lot_id, LotConsumption.amount).where(
            LotConsumption.entry_id == original.id
        )
    )
    for lot_id, amount in taken:
        await session.execute(
            update(PointLot)
            .where(PointLot.id == lot_id)
            .values(remaining=PointLot.remaining + amount)
            .execution_options(synchronize_session=False)
        )


def _posted(entry: LedgerEntry, *, replayed: bool = False) -> Posted:
    return Posted(
        entry_id=entry.id,
        member_id=entry.member_id,
        delta=entry.delta,
        balance=entry.balance_after,
        kind=entry.kind,
        replayed=replayed,
    )
