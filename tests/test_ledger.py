"""The ledger: idempotency, no negative balance, FIFO lots, reversals, and concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.services import ledger, members
from bot.services.ledger import EntryKind, IdempotencyConflict, InsufficientPoints, NotReversible
from db.models import LedgerEntry, Member, PointLot

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def new_member(pool, telegram_id: int = 1001) -> int:
    async with pool() as session, session.begin():
        joined = await members.join(
            session,
            members.Applicant(telegram_id, "Анна", "", None, "ru"),
            now=NOW,
            tier="base",
        )
        return joined.member.id


async def post(pool, member_id: int, delta: int, key: str, **kwargs) -> ledger.Posted:
    kind = kwargs.pop("kind", EntryKind.EARN if delta > 0 else EntryKind.REDEEM)
    async with pool() as session, session.begin():
        return await ledger.post(
            session,
            member_id=member_id,
            delta=delta,
            kind=kind,
            idempotency_key=key,
            now=kwargs.pop("now", NOW),
            **kwargs,
        )


async def audit(pool, member_id: int) -> ledger.Audit:
    async with pool() as session:
        return await ledger.audit(session, member_id)


async def test_earn_then_spend_keeps_balance_equal_to_entries(pool):
    member = await new_member(pool)
    await post(pool, member, 100, "a")
    await post(pool, member, 50, "b")
    spent = await post(pool, member, -120, "c")
    assert spent.balance == 30
    result = await audit(pool, member)
    assert result.consistent and result.balance == 30


async def test_same_idempotency_key_changes_state_once(pool):
    member = await new_member(pool)
    first = await post(pool, member, 100, "purchase:42")
    again = await post(pool, member, 100, "purchase:42")
    assert not first.replayed and again.replayed
    assert again.entry_id == first.entry_id
    assert (await audit(pool, member)).balance == 100
    async with pool() as session:
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


async def test_reused_key_for_another_operation_is_refused(pool):
    member = await new_member(pool)
    await post(pool, member, 100, "k")
    with pytest.raises(IdempotencyConflict):
        await post(pool, member, 99, "k")


async def test_spending_more_than_the_balance_is_refused_and_changes_nothing(pool):
    member = await new_member(pool)
    await post(pool, member, 40, "a")
    with pytest.raises(InsufficientPoints) as refused:
        await post(pool, member, -41, "b")
    assert refused.value.balance == 40
    result = await audit(pool, member)
    assert result.consistent and result.balance == 40


async def test_database_refuses_a_negative_balance_even_if_code_tries(pool):
    member = await new_member(pool)
    with pytest.raises(IntegrityError):
        async with pool() as session, session.begin():
            await session.execute(
                update(Member).where(Member.id == member).values(points_balance=-1)
            )


async def test_spending_takes_the_oldest_expiring_lots_first(pool):
    member = await new_member(pool)
    late = NOW + timedelta(days=200)
    soon = NOW + timedelta(days=10)
    await post(pool, member, 100, "late", expires_at=late)
    await post(pool, member, 30, "soon", expires_at=soon)
    await post(pool, member, 20, "never")
    await post(pool, member, -50, "spend")
    async with pool() as session:
        lots = {
            lot.expires_at: lot.remaining
            for lot in await session.scalars(select(PointLot).where(PointLot.member_id == member))
        }
    assert lots == {soon: 0, late: 80, None: 20}
    async with pool() as session:
        expiry = await ledger.nearest_expiry(session, member, UTC)
    assert expiry is not None and expiry.points == 80 and expiry.expires_at == late


async def test_reversal_of_a_spending_returns_points_to_their_lots(pool):
    member = await new_member(pool)
    soon = NOW + timedelta(days=10)
    await post(pool, member, 30, "soon", expires_at=soon)
    spent = await post(pool, member, -30, "spend")
    async with pool() as session, session.begin():
        back = await ledger.reverse(
            session, entry_id=spent.entry_id, idempotency_key="undo", now=NOW
        )
    assert back.delta == 30 and back.balance == 30
    async with pool() as session:
        expiry = await ledger.nearest_expiry(session, member, UTC)
    assert expiry is not None and expiry.points == 30 and expiry.expires_at == soon
    assert (await audit(pool, member)).consistent


async def test_an_entry_is_reversed_once_and_a_reversal_never(pool):
    member = await new_member(pool)
    earned = await post(pool, member, 30, "earn")
    async with pool() as session, session.begin():
        reversal = await ledger.reverse(
            session, entry_id=earned.entry_id, idempotency_key="undo-1", now=NOW
        )
    async with pool() as session, session.begin():
        replay = await ledger.reverse(
            session, entry_id=earned.entry_id, idempotency_key="undo-1", now=NOW
        )
    assert replay.replayed and replay.entry_id == reversal.entry_id
    with pytest.raises(NotReversible):
        async with pool() as session, session.begin():
            await ledger.reverse(
                session, entry_id=earned.entry_id, idempotency_key="undo-2", now=NOW
            )
    with pytest.raises(NotReversible):
        async with pool() as session, session.begin():
            await ledger.reverse(
                session, entry_id=reversal.entry_id, idempotency_key="undo-3", now=NOW
            )
    result = await audit(pool, member)
    assert result.consistent and result.balance == 0


async def test_reversing_an_earning_already_spent_is_refused(pool):
    member = await new_member(pool)
    earned = await post(pool, member, 30, "earn")
    await post(pool, member, -20, "spend")
    with pytest.raises(InsufficientPoints):
        async with pool() as session, session.begin():
            await ledger.reverse(
                session, entry_id=earned.entry_id, idempotency_key="undo", now=NOW
            )
    assert (await audit(pool, member)).balance == 10


async def test_expiring_one_lot_takes_only_from_that_lot(pool):
    member = await new_member(pool)
    await post(pool, member, 10, "a", expires_at=NOW + timedelta(days=1))
    await post(pool, member, 10, "b", expires_at=NOW + timedelta(days=2))
    async with pool() as session:
        lot_b = await session.scalar(select(PointLot.id).order_by(PointLot.id.desc()).limit(1))
    await post(pool, member, -10, "expire-b", kind=EntryKind.EXPIRE, lot_id=lot_b)
    async with pool() as session:
        remaining = dict((await session.execute(select(PointLot.id, PointLot.remaining))).all())
    assert remaining[lot_b] == 0 and sum(remaining.values()) == 10


async def test_history_is_newest_first_and_paginated(pool):
    member = await new_member(pool)
    for number in range(1, 12):
        await post(pool, member, number, f"e{number}", now=NOW + timedelta(minutes=number))
    async with pool() as session:
        first = await ledger.history(session, member, page=0, per_page=5)
        last = await ledger.history(session, member, page=99, per_page=5)
    assert [item.delta for item in first.items] == [11, 10, 9, 8, 7]
    assert first.pages == 3 and first.total == 11
    assert last.page == 2 and [item.delta for item in last.items] == [1]


async def test_fifty_concurrent_spends_on_one_member_never_overspend(pool):
    member = await new_member(pool)
    await post(pool, member, 1000, "seed")

    async def spend(number: int) -> bool:
        try:
            await post(pool, member, -30, f"spend-{number}")
        except InsufficientPoints:
            return False
        return True

    results = await asyncio.gather(*(spend(number) for number in range(50)))
    assert sum(results) == 1000 // 30
    result = await audit(pool, member)
    assert result.consistent and result.balance == 1000 - 30 * (1000 // 30)


async def test_fifty_concurrent_writes_with_one_key_make_one_entry(pool):
    member = await new_member(pool)
    results = await asyncio.gather(*(post(pool, member, 25, "same") for _ in range(50)))
    assert sum(not result.replayed for result in results) == 1
    assert (await audit(pool, member)).balance == 25


async def test_fifty_concurrent_mixed_writes_keep_the_books_straight(pool):
    member = await new_member(pool)

    async def write(number: int) -> None:
        delta = 7 if number % 3 else -5
        with contextlib.suppress(InsufficientPoints):
            await post(pool, member, delta, f"op-{number}")

    await asyncio.gather(*(write(number) for number in range(50)))
    result = await audit(pool, member)
    assert result.consistent
    async with pool() as session:
        entries = (
            await session.scalars(
                select(LedgerEntry).where(LedgerEntry.member_id == member).order_by(LedgerEntry.id)
            )
        ).all()
    running = 0
    for entry in entries:
        running += entry.delta
        assert entry.balance_after == running >= 0


_telegram_ids = itertools.count(5000)

operations = st.lists(
    st.tuples(
        st.sampled_from(["earn", "spend", "reverse", "replay", "expire"]),
        st.integers(min_value=1, max_value=500),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
async def test_balance_always_equals_its_entries(pool, ops):
    # Each example gets a member of its own; keys are made unique to it.
    member = await new_member(pool, telegram_id=next(_telegram_ids))
    prefix = f"m{member}-"
    posted: list[int] = []
    expected = 0
    for number, (op, amount) in enumerate(ops):
        try:
            if op == "earn":
                result = await post(
                    pool,
                    member,
                    amount,
                    f"{prefix}k{number}",
                    expires_at=NOW + timedelta(days=amount),
                )
                posted.append(result.entry_id)
                expected += amount
            elif op == "spend":
                result = await post(pool, member, -amount, f"{prefix}k{number}")
                posted.append(result.entry_id)
                expected -= amount
            elif op == "replay" and number:
                await post(pool, member, 1, f"{prefix}replay")
                before = (await audit(pool, member)).balance
                await post(pool, member, 1, f"{prefix}replay")
                assert (await audit(pool, member)).balance == before
                expected += 1 if before == expected + 1 else 0
            elif op == "reverse" and posted:
                target = posted.pop(amount % len(posted))
                async with pool() as session, session.begin():
                    result = await ledger.reverse(
                        session, entry_id=target, idempotency_key=f"{prefix}r{number}", now=NOW
                    )
                expected += result.delta
            elif op == "expire":
                async with pool() as session:
                    lot = await session.scalar(
                        select(PointLot)
                        .where(PointLot.member_id == member, PointLot.remaining > 0)
                        .limit(1)
                    )
                if lot is not None:
                    await post(
                        pool,
                        member,
                        -lot.remaining,
                        f"{prefix}x{number}",
                        kind=EntryKind.EXPIRE,
                        lot_id=lot.id,
                    )
                    expected -= lot.remaining
        except (InsufficientPoints, NotReversible):
            pass
        result = await audit(pool, member)
        assert result.consistent, result
        assert result.balance == expected >= 0
