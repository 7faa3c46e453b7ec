"""Achievements: awarded where things happen, each once, with optional bonus points, and shown
on the balance screen in both languages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.services import achievements, ledger, members, operations, referrals, wallet
from bot.services.achievements import Badge
from bot.services.program import Achievements, Limits, Program
from db.models import Achievement, LedgerEntry, Member
from tests.harness import button_data, make_harness

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PROGRAM = Program(achievements=Achievements(visits=3))


async def new_member(pool, telegram_id: int = 1, *, code: str = "", program=PROGRAM) -> int:
    async with pool() as session, session.begin():
        joined = await wallet.welcome(
            session,
            members.Applicant(telegram_id, "Ivan", "", None, "en"),
            program=program,
            now=NOW,
            referral_code=code,
        )
        return joined.member.id


async def buy(pool, member_id: int, key: str, *, program=PROGRAM, amount: int = 10_000):
    async with pool() as session, session.begin():
        return await operations.record_purchase(
            session,
            program,
            member_id=member_id,
            staff_id=777,
            amount=amount,
            idempotency_key=key,
            now=NOW,
            tz=UTC,
        )


async def badges(pool, member_id: int) -> list[Badge]:
    async with pool() as session:
        return await achievements.earned(session, member_id)


async def test_a_badge_is_awarded_once_even_when_raced(pool):
    program = Program(achievements=Achievements(bonus={"first_quiz": 15}))
    member = await new_member(pool)

    async def award() -> bool:
        async with pool() as session, session.begin():
            return await achievements.award(session, program, member, Badge.FIRST_QUIZ, now=NOW)

    assert sorted(await asyncio.gather(award(), award(), award())) == [False, False, True]
    assert await award() is False
    async with pool() as session:
        assert await session.scalar(select(func.count()).select_from(Achievement)) == 1
        assert await ledger.balance(session, member) == 15
        entry = await session.scalar(select(LedgerEntry))
    assert entry.idempotency_key == f"achievement:{member}:first_quiz"


async def test_purchases_earn_first_purchase_visits_and_a_tier(pool):
    member = await new_member(pool)
    await buy(pool, member, "p1")
    assert await badges(pool, member) == [Badge.FIRST_PURCHASE]
    await buy(pool, member, "p1")  # delivered twice
    await buy(pool, member, "p2")
    assert await badges(pool, member) == [Badge.FIRST_PURCHASE]
    await buy(pool, member, "p3")
    assert await badges(pool, member) == [Badge.FIRST_PURCHASE, Badge.VISITS]
    await buy(pool, member, "p4")
    await buy(pool, member, "p5")  # the fifth purchase reaches silver
    assert await badges(pool, member) == [
        Badge.FIRST_PURCHASE,
        Badge.VISITS,
        Badge.TIER_REACHED,
    ]


async def test_a_held_purchase_earns_nothing_until_approved(pool):
    program = Program(limits=Limits(confirm_purchase_above=100_000))
    member = await new_member(pool, program=program)
    held = await buy(pool, member, "big", program=program, amount=200_000)
    assert held.operation.status == "held" and await badges(pool, member) == []
    async with pool() as session, session.begin():
        await operations.approve(
            session, program, operation_id=held.operation.id, owner_id=1, now=NOW
        )
    assert await badges(pool, member) == [Badge.FIRST_PURCHASE]


async def test_badges_can_carry_points_paid_once(pool):
    program = Program(achievements=Achievements(bonus={"first_purchase": 25}))
    member = await new_member(pool, program=program)
    await asyncio.gather(
        buy(pool, member, "a", program=program), buy(pool, member, "b", program=program)
    )
    async with pool() as session:
        entries = list(
            await session.scalars(
                select(LedgerEntry).where(LedgerEntry.reference == "achievement:first_purchase")
            )
        )
        assert (await ledger.audit(session, member)).consistent
    assert [entry.delta for entry in entries] == [25]
    assert entries[0].reason == "🏆 first_purchase"


async def test_inviting_a_friend_earns_a_badge(pool):
    anna = await new_member(pool, 1)
    async with pool() as session, session.begin():
        code = await referrals.personal_code(session, anna, now=NOW)
    await new_member(pool, 2, code=code)
    assert await badges(pool, anna) == [Badge.FRIEND_INVITED]


def test_the_program_file_names_only_known_badges():
    with pytest.raises(ValidationError):
        Program.model_validate({"achievements": {"bonus": {"first_purchse": 10}}})
    with pytest.raises(ValidationError):
        Program.model_validate({"achievements": {"bonus": {"first_purchase": -1}}})
    assert Program.model_validate({"achievements": {"visits": 7}}).achievements.visits == 7


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW, program=PROGRAM)
    yield harness
    assert harness.telegram.violations == []


@pytest.mark.parametrize(
    ("language", "menu", "expected", "absent"),
    [
        (
            "ru",
            "💰 Баланс и история",
            "🏆 Достижения: 🥇 Первая покупка, 🔁 3 визита",
            "Достижения",
        ),
        ("en", "💰 Balance & history", "🏆 Achievements: 🥇 First purchase, 🔁 3 visits", "Achi"),
    ],
)
async def test_the_balance_screen_lists_achievements(harness, language, menu, expected, absent):
    user = harness.user(1, "Anna", language)
    await harness.text(user, "/start")
    await harness.press(user, harness.last(user), button_data(harness.last(user), "✅"))
    await harness.text(user, menu)
    assert absent not in harness.last(user)["text"]
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == 1))
    for number in range(3):
        await buy(harness.app.pool, member.id, f"p{number}")
    await harness.text(user, menu)
    assert expected in harness.last(user)["text"]
