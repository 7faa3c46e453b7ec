"""The set-based path of the birthday and win-back offers (`offers.grant_many`): the same rows and
messages as the per-member path, batch by batch, and the per-member path for a batch it can't
do (a key taken already)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from bot.clock import AdjustableClock
from bot.observability import REGISTRY, install_ledger_metrics
from bot.services import ledger, wallet
from bot.services.engagement import birthdays, coupons, winback
from bot.services.engagement.birthdays import give_birthday_offers
from bot.services.engagement.coupons import CouponKind, CouponTerms
from bot.services.engagement.offers import grant_many
from bot.services.engagement.winback import send_winback_offers
from bot.services.program import Program, WinBack
from db.models import BirthdayGift, Coupon, LedgerEntry, Member, PointLot, WinBackOffer
from tests.test_engagement import Outbox, context, local, new_member, run

BIRTHDAY = date(1990, 3, 24)
TODAY = local(2026, 3, 24, 12)
PEOPLE = [  # (name, language, birthday): today's and the catch-up days', several batches of 3
    ("Анна", "ru", BIRTHDAY),
    ("John", "en", BIRTHDAY),
    ("", "ru", date(1990, 3, 22)),  # two days late: the coupon still runs 7 days after
    ("Мария", "ru", date(4, 3, 24)),
    ("Kate", "en", date(1985, 3, 23)),
    ("Пётр", "ru", BIRTHDAY),
    ("Olga", "de", BIRTHDAY),  # no such locale: the default language
]


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


async def birthday_people(pool) -> list[int]:
    return [
        await new_member(pool, n, name=name, language=language, birthday=birthday)
        for n, (name, language, birthday) in enumerate(PEOPLE, start=1)
    ]


def spy_on(monkeypatch, module) -> list[set[int] | None]:
    """What each batch's `grant_many` returned (None: the batch went member by member)."""
    results: list[set[int] | None] = []

    async def spy(*args, **kwargs):
        result = await grant_many(*args, **kwargs)
        results.append(result)
        return result

    monkeypatch.setattr(module, "grant_many", spy)
    return results


async def written(pool, gift_model) -> dict[int, dict]:
    """Everything the offers wrote, by member, without database ids."""
    found: dict[int, dict] = {}
    async with pool() as session:
        for member in await session.scalars(select(Member).order_by(Member.id)):
            entries = list(
                await session.scalars(
                    select(LedgerEntry).where(LedgerEntry.member_id == member.id)
                )
            )
            lots = list(
                await session.scalars(select(PointLot).where(PointLot.member_id == member.id))
            )
            # Each lot belongs to its own member's entry (ids are not matched by order).
            assert {lot.entry_id for lot in lots} <= {entry.id for entry in entries}
            issued = await session.scalars(select(Coupon).where(Coupon.member_id == member.id))
            gifts = await session.scalars(
                select(gift_model).where(gift_model.member_id == member.id)
            )
            coupon_keys = {c.id: c.key for c in await session.scalars(select(Coupon))}
            audit = await ledger.audit(session, member.id)
            assert audit.consistent
            found[member.telegram_id] = {
                "balance": audit.balance,
                "entries": [
                    (e.delta, e.balance_after, e.kind, e.reason, e.reference, e.idempotency_key)
                    + (e.created_at, e.created_by, e.reverses_id)
                    for e in entries
                ],
                "lots": [
                    (lot.amount, lot.remaining, lot.expires_at, lot.created_at) for lot in lots
                ],
                "coupons": [
                    (c.kind, c.percent, c.key, c.valid_from, c.valid_until, c.created_at)
                    for c in issued
                ],
                "gifts": [
                    tuple(
                        getattr(gift, column.name)
                        for column in gift_model.__table__.columns
                        if column.name not in ("id", "coupon_id")
                    )
                    + (coupon_keys.get(gift.coupon_id),)
                    for gift in gifts
                ],
            }
    return found


async def forget_offers(pool) -> None:
    """Back to the data before the job: no gifts, coupons, entries or lots; balances zero."""
    async with pool() as session, session.begin():
        for model in (BirthdayGift, WinBackOffer, Coupon, PointLot, LedgerEntry):
            await session.execute(delete(model))
        await session.execute(update(Member).values(points_balance=0))


def bonus_entries_counted() -> float:
    return REGISTRY.get_sample_value("loyalty_ledger_entries_total", {"kind": "bonus"}) or 0


async def test_birthday_batches_write_and_say_what_the_member_path_does(pool, outbox, monkeypatch):
    install_ledger_metrics()
    await birthday_people(pool)
    clock = AdjustableClock(TODAY, frozen=True)

    one_by_one = context(pool, clock, outbox, batch_size=3, set_based=False)
    assert (await run(one_by_one, give_birthday_offers)).members == 7
    expected_messages, expected_rows = list(outbox.sent), await written(pool, BirthdayGift)
    await forget_offers(pool)
    outbox.clear()

    results = spy_on(monkeypatch, birthdays)
    counted = bonus_entries_counted()
    ctx = context(pool, clock, outbox, batch_size=3)
    report = await run(ctx, give_birthday_offers)
    assert (report.members, report.messages, report.errors) == (7, 7, 0)
    assert [len(result) for result in results] == [3, 3, 1]  # all three batches set-based
    assert outbox.sent == expected_messages
    assert await written(pool, BirthdayGift) == expected_rows
    assert bonus_entries_counted() == counted + 7  # the ledger metrics see the bulk entries

    rows = expected_rows
    for telegram_id in range(1, 8):
        mine = rows[telegram_id]
        assert mine["balance"] == 100
        assert [len(mine[what]) for what in ("entries", "lots", "coupons", "gifts")] == [1] * 4
    assert rows[1]["entries"][0][3:6] == ("день рождения", "birthday:1:2026", "birthday:1:2026")
    assert rows[1]["lots"][0][2] == wallet.points_expiry(Program(), clock.now())
    assert rows[3]["gifts"][0][2] == date(2026, 3, 22)
    assert "действует до 29.03.2026" in outbox.to(3)[0]  # 22 + 7 days, two days late
    assert rows[2]["entries"][0][3] == "birthday"  # the reason in the member's language

    # A rerun gives nothing.
    outbox.clear()
    assert (await run(ctx, give_birthday_offers)).members == 0
    assert outbox.sent == [] and await written(pool, BirthdayGift) == expected_rows


async def test_a_batch_with_a_key_taken_goes_member_by_member(pool, outbox, monkeypatch):
    ids = await birthday_people(pool)
    clock = AdjustableClock(TODAY, frozen=True)
    now = clock.now()
    async with pool() as session, session.begin():
        # Member 2's coupon and member 5's points were given before their gift record was.
        early_coupon = await coupons.issue(
            session,
            ids[1],
            CouponTerms(CouponKind.BIRTHDAY, 10, now - timedelta(days=9), now + timedelta(days=9)),
            key=f"birthday:{ids[1]}:2026",
            now=now - timedelta(hours=1),
        )
        await wallet.grant_bonus(
            session,
            Program(),
            member_id=ids[4],
            points=100,
            key=f"birthday:{ids[4]}:2026",
            reason="день рождения",
            now=now - timedelta(hours=1),
        )
    results = spy_on(monkeypatch, birthdays)
    ctx = context(pool, clock, outbox, batch_size=3)
    report = await run(ctx, give_birthday_offers)
    assert (report.members, report.messages, report.errors) == (7, 7, 0)
    assert results == [None, None, {ids[6]}]  # batches 1 and 2 one by one, as before

    rows = await written(pool, BirthdayGift)
    for telegram_id in range(1, 8):
        assert rows[telegram_id]["balance"] == 100  # member 5: the earlier grant, not twice
        assert [len(rows[telegram_id][what]) for what in ("entries", "coupons", "gifts")] == [
            1,
            1,
            1,
        ]
        assert len(outbox.to(telegram_id)) == 1
    async with pool() as session:
        gift = await session.scalar(select(BirthdayGift).where(BirthdayGift.member_id == ids[1]))
    assert gift.coupon_id == early_coupon  # the coupon issued earlier, as `coupons.issue` does


async def test_a_gift_given_meanwhile_is_not_given_twice(pool, outbox, monkeypatch):
    ids = await birthday_people(pool)
    clock = AdjustableClock(TODAY, frozen=True)

    async def another_instance_first(session, program, model, unique, offers, **kwargs):
        # Between this run's selection and its insert, another instance gave member 2's gift.
        if any(offer.member_id == ids[1] for offer in offers):
            await session.execute(
                BirthdayGift.__table__.insert().values(
                    member_id=ids[1], year=2026, celebrated_on=BIRTHDAY, points=100,
                    created_at=clock.now(),
                )
            )  # fmt: skip
        return await grant_many(session, program, model, unique, offers, **kwargs)

    monkeypatch.setattr(birthdays, "grant_many", another_instance_first)
    report = await run(context(pool, clock, outbox, batch_size=3), give_birthday_offers)
    assert (report.members, report.errors) == (6, 0)
    assert outbox.to(2) == []
    rows = await written(pool, BirthdayGift)
    assert rows[2]["balance"] == 0 and rows[2]["coupons"] == []
    assert all(rows[n]["balance"] == 100 for n in (1, 3, 4, 5, 6, 7))


async def test_winback_batches_write_and_say_what_the_member_path_does(pool, outbox, monkeypatch):
    program = Program(winback=WinBack(points=30, coupon_percent=15, after_days=10))
    for n, (name, language, _) in enumerate(PEOPLE, start=1):
        bought = local(2026, 3, 1) if n % 2 else None  # the others never bought (joined 2024)
        await new_member(pool, n, name=name, language=language, last_purchase_at=bought)
    clock = AdjustableClock(local(2026, 3, 11, 12), frozen=True)

    one_by_one = context(pool, clock, outbox, program, batch_size=3, set_based=False)
    assert (await run(one_by_one, send_winback_offers)).members == 7
    expected_messages, expected_rows = list(outbox.sent), await written(pool, WinBackOffer)
    await forget_offers(pool)
    outbox.clear()

    results = spy_on(monkeypatch, winback)
    ctx = context(pool, clock, outbox, program, batch_size=3)
    assert (await run(ctx, send_winback_offers)).members == 7
    assert [len(result) for result in results] == [3, 3, 1]
    assert outbox.sent == expected_messages
    assert await written(pool, WinBackOffer) == expected_rows
    assert all(
        rows["balance"] == 30 and len(rows["coupons"]) == 1 for rows in expected_rows.values()
    )
    assert "🎁 30 баллов уже на вашем счёте." in outbox.to(1)[0]

    outbox.clear()
    assert (await run(ctx, send_winback_offers)).members == 0 and outbox.sent == []
