"""Program rules at the counter: earn and redeem arithmetic, stamps, tiers, limits, cancel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services import ledger, members, operations
from bot.services.ledger import InsufficientPoints
from bot.services.operations import (
    AmountOutOfRange,
    CancelRefused,
    HoldReason,
    NotEnoughStamps,
    NotPending,
    OpStatus,
    PointsOutOfRange,
    quote,
)
from bot.services.program import Limits, Program
from db.models import LedgerEntry, Member, Operation

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAFF = 777
TZ = UTC
PROGRAM = Program()


async def new_member(pool, telegram_id: int = 1) -> int:
    async with pool() as session, session.begin():
        joined = await members.join(
            session, members.Applicant(telegram_id, "Ivan", "", None, "en"), now=NOW, tier="base"
        )
        return joined.member.id


async def buy(
    pool, member_id, amount, key, *, points=0, program=PROGRAM, now=NOW, staff=STAFF, confirm=False
):
    async with pool() as session, session.begin():
        return await operations.record_purchase(
            session,
            program,
            member_id=member_id,
            staff_id=staff,
            amount=amount,
            points=points,
            idempotency_key=key,
            now=now,
            tz=TZ,
            member_must_confirm=confirm,
        )


async def member_row(pool, member_id) -> Member:
    async with pool() as session:
        return await session.get(Member, member_id)


def test_cashback_is_rounded_down_to_whole_points():
    assert quote(PROGRAM, "base", amount=125_050).points_to_earn == 12  # 1% of 1 250,50 ₽
    assert quote(PROGRAM, "base", amount=9_999).points_to_earn == 0
    assert quote(PROGRAM, "gold", amount=10_000).points_to_earn == 5


def test_points_pay_at_most_the_programs_share_and_the_balance():
    figures = quote(PROGRAM, "base", amount=100_000, balance=1_000)
    assert figures.max_points == 300  # 30% of 1 000 ₽
    assert quote(PROGRAM, "base", amount=100_000, balance=120).max_points == 120
    paid = quote(PROGRAM, "base", amount=100_000, balance=1_000, points=300)
    assert paid.to_pay == 70_000 and paid.points_to_earn == 7
    with pytest.raises(PointsOutOfRange) as refused:
        quote(PROGRAM, "base", amount=100_000, balance=1_000, points=301)
    assert refused.value.maximum == 300


@pytest.mark.parametrize("amount", [0, -1, PROGRAM.limits.max_purchase_amount + 1])
def test_absurd_amounts_are_refused(amount):
    with pytest.raises(AmountOutOfRange):
        quote(PROGRAM, "base", amount=amount)


async def test_purchase_earns_points_a_stamp_and_is_recorded_once(pool):
    member = await new_member(pool)
    first = await buy(pool, member, 250_000, "p1")
    again = await buy(pool, member, 250_000, "p1")
    assert first.status is OpStatus.DONE and first.balance == 25 and first.stamps == 1
    assert again.replayed and again.operation.id == first.operation.id and again.balance == 25
    async with pool() as session:
        assert len((await session.scalars(select(Operation))).all()) == 1
        assert (await ledger.audit(session, member)).consistent


async def test_stamp_needs_the_minimum_purchase(pool):
    program = PROGRAM.model_copy(
        update={"stamps": PROGRAM.stamps.model_copy(update={"min_purchase": 30_000})}
    )
    member = await new_member(pool)
    assert (await buy(pool, member, 29_999, "a", program=program)).stamps == 0
    assert (await buy(pool, member, 30_000, "b", program=program)).stamps == 1


async def test_stamp_card_rolls_over_after_the_reward(pool):
    member = await new_member(pool)
    for number in range(6):
        await buy(pool, member, 10_000, f"p{number}", now=NOW + timedelta(hours=number * 5))
    async with pool() as session, session.begin():
        reward = await operations.redeem_reward(
            session, PROGRAM, member_id=member, staff_id=STAFF, idempotency_key="r1", now=NOW
        )
    assert reward.stamps == 1  # the sixth stamp starts the next card
    async with pool() as session, session.begin():
        replay = await operations.redeem_reward(
            session, PROGRAM, member_id=member, staff_id=STAFF, idempotency_key="r1", now=NOW
        )
    assert replay.replayed and replay.stamps == 1
    with pytest.raises(NotEnoughStamps):
        async with pool() as session, session.begin():
            await operations.redeem_reward(
                session, PROGRAM, member_id=member, staff_id=STAFF, idempotency_key="r2", now=NOW
            )


async def test_tier_rises_at_the_purchase_count_boundary(pool):
    member = await new_member(pool)
    tiers = []
    for number in range(5):
        outcome = await buy(pool, member, 1_000, f"p{number}", now=NOW + timedelta(days=number))
        tiers.append(outcome.tier_after)
    assert tiers == ["base", "base", "base", "base", "silver"]
    assert outcome.tier_up


async def test_tier_rises_by_spend_and_old_purchases_leave_the_window(pool):
    member = await new_member(pool)
    assert (await buy(pool, member, 1_000_000, "big")).tier_after == "silver"
    later = NOW + timedelta(days=PROGRAM.tier_window_days + 1)
    assert (await buy(pool, member, 1_000, "small", now=later)).tier_after == "base"


async def test_paying_with_points_and_cancel_restore_everything(pool):
    member = await new_member(pool)
    await buy(pool, member, 1_000_000, "seed")  # 100 points, silver
    paid = await buy(pool, member, 10_000, "pay", points=30, now=NOW + timedelta(minutes=1))
    assert paid.operation.points_redeemed == 30 and paid.balance == 100 - 30 + 2
    async with pool() as session, session.begin():
        undone = await operations.cancel(
            session,
            PROGRAM,
            operation_id=paid.operation.id,
            by=STAFF,
            is_owner=False,
            now=NOW + timedelta(minutes=5),
        )
    assert undone.status is OpStatus.CANCELLED and undone.balance == 100
    row = await member_row(pool, member)
    assert row.stamps == 1
    async with pool() as session:
        assert (await ledger.audit(session, member)).consistent
        kinds = [entry.kind for entry in await session.scalars(select(LedgerEntry))]
    assert kinds.count("reversal") == 2  # nothing deleted, two reversing entries


async def test_cancel_is_refused_outside_the_window_and_for_others(pool):
    member = await new_member(pool)
    done = await buy(pool, member, 10_000, "p")
    late = NOW + timedelta(minutes=PROGRAM.limits.cancel_window_minutes, seconds=1)
    for by, is_owner, at, reason in (
        (STAFF, False, late, "window"),
        (STAFF + 1, False, NOW, "not_yours"),
    ):
        with pytest.raises(CancelRefused) as refused:
            async with pool() as session, session.begin():
                await operations.cancel(
                    session,
                    PROGRAM,
                    operation_id=done.operation.id,
                    by=by,
                    is_owner=is_owner,
                    now=at,
                )
        assert refused.value.reason == reason
    async with pool() as session, session.begin():
        owner = await operations.cancel(
            session, PROGRAM, operation_id=done.operation.id, by=1, is_owner=True, now=late
        )
    assert owner.status is OpStatus.CANCELLED


async def test_cancel_of_spent_cashback_is_refused(pool):
    member = await new_member(pool)
    earned = await buy(pool, member, 1_000_000, "earn")  # 100 points
    await buy(pool, member, 100_000, "spend", points=30, now=NOW + timedelta(minutes=1))
    await buy(pool, member, 100_000, "spend2", points=30, now=NOW + timedelta(minutes=2))
    await buy(pool, member, 100_000, "spend3", points=30, now=NOW + timedelta(minutes=3))
    with pytest.raises(CancelRefused) as refused:
        async with pool() as session, session.begin():
            await operations.cancel(
                session,
                PROGRAM,
                operation_id=earned.operation.id,
                by=STAFF,
                is_owner=False,
                now=NOW + timedelta(minutes=4),
            )
    assert refused.value.reason == "spent"


async def test_big_purchase_is_held_until_an_owner_approves_once(pool):
    member = await new_member(pool)
    held = await buy(pool, member, PROGRAM.limits.confirm_purchase_above + 1, "big")
    assert held.status is OpStatus.HELD and held.operation.hold_reason == HoldReason.BIG_AMOUNT
    assert held.balance == 0
    for _ in range(2):
        async with pool() as session, session.begin():
            approved = await operations.approve(
                session, PROGRAM, operation_id=held.operation.id, owner_id=1, now=NOW
            )
    assert approved.status is OpStatus.DONE and approved.balance == 300
    with pytest.raises(NotPending):
        async with pool() as session, session.begin():
            await operations.decline(session, operation_id=held.operation.id, owner_id=1, now=NOW)


async def test_velocity_limits_hold_the_sixth_purchase_of_the_day(pool):
    member = await new_member(pool)
    outcomes = [
        await buy(pool, member, 1_000, f"p{number}", now=NOW + timedelta(minutes=number))
        for number in range(6)
    ]
    assert [outcome.status for outcome in outcomes] == [OpStatus.DONE] * 5 + [OpStatus.HELD]
    assert outcomes[-1].operation.hold_reason == HoldReason.MEMBER_DAILY


async def test_staff_hourly_limit(pool):
    program = PROGRAM.model_copy(update={"limits": Limits(operations_per_staff_per_hour=2)})
    first, second = await new_member(pool, 1), await new_member(pool, 2)
    await buy(pool, first, 1_000, "a", program=program)
    await buy(pool, second, 1_000, "b", program=program)
    third = await buy(pool, first, 1_000, "c", program=program)
    assert third.operation.hold_reason == HoldReason.STAFF_HOURLY


async def test_member_confirms_paying_with_points_once(pool):
    member = await new_member(pool)
    await buy(pool, member, 1_000_000, "seed")
    waiting = await buy(pool, member, 100_000, "pay", points=20, confirm=True)
    assert waiting.status is OpStatus.AWAITING_MEMBER and waiting.balance == 100
    for _ in range(2):
        async with pool() as session, session.begin():
            done = await operations.confirm_by_member(
                session,
                PROGRAM,
                operation_id=waiting.operation.id,
                member_id=member,
                now=NOW,
                tz=TZ,
            )
    # silver (3%) on the 980 ₽ paid in money: 29 points
    assert done.status is OpStatus.DONE and done.balance == 100 - 20 + 29
    with pytest.raises(NotPending):
        async with pool() as session, session.begin():
            await operations.confirm_by_member(
                session,
                PROGRAM,
                operation_id=waiting.operation.id,
                member_id=member + 1,
                now=NOW,
                tz=TZ,
            )


async def test_concurrent_redemptions_never_overspend(pool):
    unlimited = PROGRAM.model_copy(
        update={"limits": Limits(purchases_per_member_per_day=0, operations_per_staff_per_hour=0)}
    )
    member = await new_member(pool)
    await buy(pool, member, 2_000_000, "seed")  # 200 points
    async with pool() as session:
        start = (await session.get(Member, member)).points_balance

    async def pay(number: int) -> bool:
        try:
            await buy(
                pool,
                member,
                100_000,
                f"pay-{number}",
                points=100,
                program=unlimited,
                now=NOW + timedelta(seconds=number),
                staff=1000 + number,
            )
        except (InsufficientPoints, PointsOutOfRange):
            return False
        return True

    results = await asyncio.gather(*(pay(number) for number in range(12)))
    async with pool() as session:
        audit = await ledger.audit(session, member)
        done = (
            await session.scalars(
                select(Operation).where(Operation.points_redeemed > 0, Operation.status == "done")
            )
        ).all()
    assert audit.consistent and audit.balance >= 0
    assert sum(results) == len(done) < 12  # some were refused: the points ran out
    spent = 100 * len(done)
    assert audit.balance == start - spent + sum(operation.points_earned for operation in done)
