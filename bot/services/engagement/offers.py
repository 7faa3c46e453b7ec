"""Birthday and win-back offers for a whole batch of members in a few statements.

The per-member path (`birthdays._grant`, `winback`'s `handle`) writes, for each member, the gift
record, then the bonus through `wallet.grant_bonus` (`ledger.post`: balance, entry, lot) and
the coupon through `coupons.issue`, then the gift's coupon id: about ten statements a member.
`grant_many` writes the same rows for a batch with one statement per table: the gift records
(multi-row INSERT … ON CONFLICT DO NOTHING: a member whose gift exists gets nothing, as before),
one UPDATE … RETURNING for the balances, the entries and their lots as ORM bulk inserts (so the
ledger metrics count them), the coupons, and the gifts' coupon ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import wallet
from bot.services.engagement.coupons import CouponTerms
from bot.services.ledger import EntryKind
from bot.services.program import Program
from db.base import Base
from db.models import Coupon, LedgerEntry, Member, PointLot
from db.session import insert_for


@dataclass(frozen=True, slots=True)
class Offer:
    """What one member of the batch is to get, as the per-member path would write it."""

    member_id: int
    record: dict[str, Any]  # the gift row: `birthday_gifts` or `winback_offers`
    key: str  # the bonus entry's idempotency key and reference, and the coupon's key
    reason: str  # the bonus entry's reason, in the member's language
    coupon: CouponTerms | None


class BatchChanged(Exception):
    """Something the checks before the writes ruled out happened during them (another writer):
    the batch's savepoint is rolled back and the batch done member by member."""


async def grant_many(
    session: AsyncSession,
    program: Program,
    model: type[Base],
    unique: list[str],
    offers: Sequence[Offer],
    *,
    points: int,
    now: datetime,
) -> set[int] | None:
    """Give every offer whose gift record (`model`, unique on `unique`, which includes
    `member_id`) is not there yet: the ids of the members who got it.

    None, with nothing written, if a key of the batch is taken already (a bonus entry or a
    coupon from an earlier, interrupted or manual grant): only the per-member path replays
    those. Raises BatchChanged if a write finds what the checks didn't (a concurrent writer).
    """
    if not offers:
        return set()
    keys = [offer.key for offer in offers]
    if points and await _taken(session, LedgerEntry.idempotency_key, keys):
        return None
    coupons = [offer for offer in offers if offer.coupon is not None]
    if coupons and await _taken(session, Coupon.key, [offer.key for offer in coupons]):
        return None

    gift_table = model.__table__
    gifts = await _insert_many(session, gift_table, [offer.record for offer in offers], unique)
    granted = [offer for offer in offers if offer.member_id in gifts]
    if not granted:
        return set()
    if points:
        await _bonus(session, program, granted, points, now)
    with_coupon = [offer for offer in granted if offer.coupon is not None]
    if with_coupon:
        await _coupons(session, gift_table, gifts, with_coupon, now)
    return set(gifts)


async def _taken(session: AsyncSession, column: Any, keys: list[str]) -> bool:
    found = await session.scalar(select(column).where(column.in_(keys)).limit(1))
    return found is not None


async def _insert_many(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    unique: list[str],
    chunk: int = 1000,
) -> dict[int, int]:
    """INSERT … ON CONFLICT DO NOTHING of rows with a `member_id`, one statement per `chunk`
    (bound parameters stay within the databases' limits): member id -> id of the rows inserted.
    RETURNING order is not relied on: the rows come back with their member id."""
    inserted: dict[int, int] = {}
    for start in range(0, len(rows), chunk):
        result = await session.execute(
            insert_for(session)(table)
            .values(rows[start : start + chunk])
            .on_conflict_do_nothing(index_elements=unique)
            .returning(table.c.id, table.c.member_id)
        )
        inserted.update((row.member_id, row.id) for row in result)
    return inserted


async def _bonus(
    session: AsyncSession, program: Program, granted: list[Offer], points: int, now: datetime
) -> None:
    """`wallet.grant_bonus` for each offer: balance raised, a BONUS entry with the balance after
    it, a lot of the points that expires by the program's rules."""
    member_table = Member.__table__
    ids = [offer.member_id for offer in granted]
    raised = await session.execute(
        update(member_table)
        .where(member_table.c.id.in_(ids))
        .values(points_balance=member_table.c.points_balance + points)
        .returning(member_table.c.id, member_table.c.points_balance)
    )
    balances: dict[int, int] = {row.id: row.points_balance for row in raised}
    if len(balances) != len(ids):
        raise BatchChanged("a member of the batch is gone")
    entries = [
        LedgerEntry(
            member_id=offer.member_id,
            delta=points,
            balance_after=balances[offer.member_id],
            kind=EntryKind.BONUS.value,
            reason=offer.reason,
            reference=offer.key,
            idempotency_key=offer.key,
            created_at=now,
        )
        for offer in granted
    ]
    session.add_all(entries)
    await session.flush()
    expires_at = wallet.points_expiry(program, now)
    session.add_all(
        PointLot(
            member_id=entry.member_id,
            entry_id=entry.id,
            amount=points,
            remaining=points,
            expires_at=expires_at,
            created_at=now,
        )
        for entry in entries
    )
    await session.flush()
    # As `ledger.post` does: a Member this session holds must not show the old balance.
    for member_id in ids:
        cached = session.identity_map.get(session.identity_key(Member, (member_id,)))  # type: ignore[arg-type]
        if cached is not None:
            session.expire(cached, ["points_balance"])


async def _coupons(
    session: AsyncSession,
    gift_table: Any,
    gifts: dict[int, int],
    granted: list[Offer],
    now: datetime,
) -> None:
    """`coupons.issue` for each offer, and the coupon's id on its gift record."""
    coupon_table = Coupon.__table__
    rows = []
    for offer in granted:
        terms = offer.coupon
        assert terms is not None
        rows.append(
            {
                "member_id": offer.member_id,
                "kind": terms.kind.value,
                "percent": terms.percent,
                "key": offer.key,
                "valid_from": terms.valid_from,
                "valid_until": terms.valid_until,
                "created_at": now,
            }
        )
    issued = await _insert_many(session, coupon_table, rows, ["key"])
    if len(issued) != len(granted):
        raise BatchChanged("a coupon key of the batch was taken meanwhile")
    await session.execute(
        update(gift_table)
        .where(gift_table.c.id == bindparam("gift"))
        .values(coupon_id=bindparam("coupon")),
        [{"gift": gifts[member_id], "coupon": coupon} for member_id, coupon in issued.items()],
    )
