"""Scheduled engagement with a clock the tests move: birthdays, points expiry and its reminders,
win-back, exactly-once across reruns and instances, delivery problems, and the member's and the
owner's side in the chat (through the fake Telegram)."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import AdjustableClock
from bot.delivery import Sender
from bot.i18n import Translator
from bot.services import engagement, ledger, members
from bot.services.card_tokens import CardTokens, format_short_code
from bot.services.engagement import Engagement, JobReport, birthdays
from bot.services.engagement.birthdays import (
    YEAR_UNKNOWN,
    BirthdayLocked,
    BirthdayProblem,
    InvalidBirthday,
    celebration_day,
    gift_waits_a_year,
    give_birthday_offers,
    override_birthday,
    parse_birthday,
    set_own_birthday,
)
from bot.services.engagement.coupons import CouponProblem, CouponRefused, redeem
from bot.services.engagement.expiry import expire_points, reminder_for
from bot.services.engagement.offers import grant_many
from bot.services.engagement.winback import send_winback_offers
from bot.services.ledger import EntryKind
from bot.services.program import BirthdayOffer, Program, QuietHours, WinBack
from db.models import (
    BirthdayGift,
    Coupon,
    ExpiryReminder,
    JobRun,
    LedgerEntry,
    Member,
    PointLot,
    WinBackOffer,
)
from db.session import create_engine, create_pool
from tests.conftest import ON_POSTGRES
from tests.harness import OWNER_ID, SECRET, button_data, buttons, make_harness, texts

TZ = ZoneInfo("Europe/Moscow")
TRANSLATOR = Translator()
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)
NO_QUIET = QuietHours(start=time(0), end=time(0))


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


class Outbox:
    """A `send` that records what the jobs deliver; some chats fail or raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.undeliverable: set[int] = set()
        self.broken: set[int] = set()

    async def __call__(self, telegram_id: int, text: str) -> bool:
        if telegram_id in self.broken:
            raise RuntimeError("network is down")
        if telegram_id in self.undeliverable:
            return False
        self.sent.append((telegram_id, text))
        return True

    def to(self, telegram_id: int) -> list[str]:
        return [text for chat, text in self.sent if chat == telegram_id]

    def clear(self) -> None:
        self.sent.clear()


def context(pool, clock, outbox, program: Program | None = None, **kwargs) -> Engagement:
    return Engagement(
        pool=pool,
        program=program or Program(),
        translator=TRANSLATOR,
        tz=TZ,
        clock=clock,
        send=outbox,
        **kwargs,
    )


async def new_member(
    pool,
    telegram_id: int,
    *,
    name: str = "Анна",
    language: str = "ru",
    joined: datetime = LONG_AGO,
    birthday: date | None = None,
    birthday_set_at: datetime | None = LONG_AGO,
    last_purchase_at: datetime | None = None,
    promo: bool = True,
) -> int:
    async with pool() as session, session.begin():
        joined_member = await members.join(
            session,
            members.Applicant(telegram_id, name, "", None, language),
            now=joined,
            tier="base",
        )
        member = joined_member.member
        member.birthday = birthday
        member.birthday_set_at = birthday_set_at if birthday else None
        member.last_purchase_at = last_purchase_at
        member.promo_opt_in = promo
        return member.id


async def earn(pool, member_id: int, points: int, *, at: datetime, expires: datetime) -> int:
    async with pool() as session, session.begin():
        posted = await ledger.post(
            session,
            member_id=member_id,
            delta=points,
            kind=EntryKind.EARN,
            idempotency_key=f"earn:{member_id}:{at.isoformat()}:{points}",
            now=at,
            expires_at=expires,
        )
        return posted.entry_id


async def spend(pool, member_id: int, points: int, *, at: datetime) -> int:
    async with pool() as session, session.begin():
        posted = await ledger.post(
            session,
            member_id=member_id,
            delta=-points,
            kind=EntryKind.REDEEM,
            idempotency_key=f"spend:{member_id}:{at.isoformat()}",
            now=at,
        )
        return posted.entry_id


async def balance(pool, member_id: int) -> int:
    async with pool() as session:
        return await ledger.balance(session, member_id)


async def count(pool, model, *where) -> int:
    async with pool() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def run(ctx: Engagement, job) -> JobReport:
    report = JobReport()
    await job(ctx, report)
    return report


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


# Entering a birthday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25.04", date(YEAR_UNKNOWN, 4, 25)),
        ("5.4", date(YEAR_UNKNOWN, 4, 5)),
        ("29.02", date(YEAR_UNKNOWN, 2, 29)),
        ("25.04.1990", date(1990, 4, 25)),
        (" 29/02/2000 ", date(2000, 2, 29)),
        ("01-12-1906", date(1906, 12, 1)),
    ],
)
def test_birthdays_parse(typed, expected):
    assert parse_birthday(typed, today=date(2026, 11, 23)) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("31.02", BirthdayProblem.NO_SUCH_DATE),
        ("29.02.2001", BirthdayProblem.NO_SUCH_DATE),
        ("00.05", BirthdayProblem.NO_SUCH_DATE),
        ("12.13.1990", BirthdayProblem.NO_SUCH_DATE),
        ("24.11.2026", BirthdayProblem.FUTURE),
        ("01.01.2030", BirthdayProblem.FUTURE),
        ("23.11.1905", BirthdayProblem.TOO_OLD),
        ("0004-02-29", BirthdayProblem.FORMAT),
        ("25.04.90", BirthdayProblem.FORMAT),
        ("завтра", BirthdayProblem.FORMAT),
        ("", BirthdayProblem.FORMAT),
    ],
)
def test_impossible_birthdays_are_refused(typed, problem):
    with pytest.raises(InvalidBirthday) as caught:
        parse_birthday(typed, today=date(2026, 11, 23))
    assert caught.value.problem is problem


def test_120_years_is_the_limit():
    assert parse_birthday("24.11.1905", today=date(2026, 11, 23)) == date(1905, 11, 24)


def test_29_february_is_celebrated_on_28_february_in_common_years():
    leapling = date(2000, 2, 29)
    assert celebration_day(leapling, 2027) == date(2027, 2, 28)
    assert celebration_day(leapling, 2028) == date(2028, 2, 29)
    assert celebration_day(date(YEAR_UNKNOWN, 2, 29), 2026) == date(2026, 2, 28)


async def test_the_birthday_is_locked_once_set_and_only_an_owner_changes_it(pool):
    member_id = await new_member(pool, 1)
    now = local(2026, 3, 1)
    async with pool() as session, session.begin():
        member = await session.get(Member, member_id)
        await set_own_birthday(session, member, date(1990, 4, 25), now=now)
        assert member.birthday == date(1990, 4, 25) and member.birthday_set_at == now
        with pytest.raises(BirthdayLocked):
            await set_own_birthday(session, member, date(1990, 4, 26), now=now)
        code = member.short_code
    async with pool() as session, session.begin():
        changed = await override_birthday(
            session, format_short_code(code), date(1990, 4, 26), now=now + timedelta(days=5)
        )
        assert changed is not None and changed.birthday == date(1990, 4, 26)
        assert changed.birthday_set_at == now  # a correction: still known since the member's entry
        assert await override_birthday(session, "AAAA-AAAA", None, now=now) is None
    async with pool() as session, session.begin():
        cleared = await override_birthday(session, code, None, now=now)
        assert cleared.birthday is None and cleared.birthday_set_at is None
        await set_own_birthday(session, cleared, date(1991, 1, 2), now=now)
        assert cleared.birthday == date(1991, 1, 2)


def test_a_birthday_entered_less_than_30_days_ahead_waits_a_year():
    birthday = date(1990, 3, 24)
    assert gift_waits_a_year(birthday, date(2026, 2, 23), 30)  # 29 days ahead
    assert not gift_waits_a_year(birthday, date(2026, 2, 22), 30)  # 30 days ahead
    assert not gift_waits_a_year(birthday, date(2026, 3, 25), 30)  # next one is a year away
    assert gift_waits_a_year(birthday, date(2026, 3, 24), 30)  # the day itself


# Birthday offers


async def test_birthday_offer_on_the_day_at_the_hour_once(pool, outbox):
    member_id = await new_member(pool, 1, birthday=date(1990, 3, 24))
    clock = AdjustableClock(local(2026, 3, 24, 11, 59), frozen=True)
    ctx = context(pool, clock, outbox)

    assert (await run(ctx, give_birthday_offers)).members == 0  # not yet the hour
    clock.advance(timedelta(minutes=1))
    report = await run(ctx, give_birthday_offers)
    assert (report.members, report.messages) == (1, 1)
    [message] = outbox.to(1)
    assert "Анна, с днём рождения!" in message
    assert "В подарок 100 баллов уже на вашем счёте" in message
    assert "купон на скидку 10% — действует до 31.03.2026" in message
    assert await balance(pool, member_id) == 100

    async with pool() as session:
        gift = await session.scalar(select(BirthdayGift))
        coupon = await session.get(Coupon, gift.coupon_id)
        entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.member_id == member_id))
    assert (gift.year, gift.celebrated_on, gift.points) == (2026, date(2026, 3, 24), 100)
    assert coupon.percent == 10
    assert coupon.valid_from == local(2026, 3, 21, 0)
    assert coupon.valid_until == local(2026, 4, 1, 0)
    assert (entry.kind, entry.reason, entry.idempotency_key) == (
        "bonus",
        "день рождения",
        f"birthday:{member_id}:2026",
    )

    # A rerun, a restart the same day, a catch-up run the next day: nothing twice.
    assert (await run(ctx, give_birthday_offers)).members == 0
    clock.advance(timedelta(days=1))
    assert (await run(ctx, give_birthday_offers)).members == 0
    assert len(outbox.sent) == 1 and await balance(pool, member_id) == 100
    assert await count(pool, Coupon) == 1


async def test_birthday_offer_days_before_in_english(pool, outbox):
    program = Program(birthday=BirthdayOffer(days_before=3, points=50, coupon_percent=0))
    await new_member(pool, 1, name="John", language="en", birthday=date(YEAR_UNKNOWN, 1, 2))
    clock = AdjustableClock(local(2026, 12, 29, 12), frozen=True)
    ctx = context(pool, clock, outbox, program)

    assert (await run(ctx, give_birthday_offers)).members == 0
    clock.advance(timedelta(days=1))  # 30.12: three days before 02.01
    await run(ctx, give_birthday_offers)
    [message] = outbox.to(1)
    assert "John, your birthday is coming up on 02.01!" in message
    assert "Our gift: 50 points" in message and "coupon" not in message
    async with pool() as session:
        gift = await session.scalar(select(BirthdayGift))
    assert (gift.year, gift.celebrated_on, gift.coupon_id) == (2027, date(2027, 1, 2), None)


async def test_leap_day_birthdays(pool, outbox):
    leapling = await new_member(pool, 1, birthday=date(2000, 2, 29))
    no_year = await new_member(pool, 2, birthday=date(YEAR_UNKNOWN, 2, 29))
    feb_28 = await new_member(pool, 3, birthday=date(1995, 2, 28))
    clock = AdjustableClock(local(2027, 2, 28, 12), frozen=True)
    ctx = context(pool, clock, outbox)

    await run(ctx, give_birthday_offers)  # 2027 has no 29 February
    assert sorted(chat for chat, _ in outbox.sent) == [1, 2, 3]
    clock.advance(timedelta(days=1))
    assert (await run(ctx, give_birthday_offers)).members == 0

    outbox.clear()
    clock.advance(timedelta(days=364))  # 28.02.2028, a leap year
    await run(ctx, give_birthday_offers)
    assert [chat for chat, _ in outbox.sent] == [3]
    clock.advance(timedelta(days=1))  # 29.02.2028
    await run(ctx, give_birthday_offers)
    assert sorted(chat for chat, _ in outbox.sent) == [1, 2, 3]
    async with pool() as session:
        days = dict(
            (
                await session.execute(
                    select(BirthdayGift.year, BirthdayGift.celebrated_on).where(
                        BirthdayGift.member_id == leapling
                    )
                )
            ).all()
        )
    assert days == {2027: date(2027, 2, 28), 2028: date(2028, 2, 29)}
    assert await count(pool, BirthdayGift, BirthdayGift.member_id == no_year) == 2
    assert await count(pool, BirthdayGift, BirthdayGift.member_id == feb_28) == 2


async def test_the_30_day_rule(pool, outbox):
    birthday = date(1990, 3, 24)
    late = await new_member(pool, 1, birthday=birthday, birthday_set_at=local(2026, 2, 23, 9))
    in_time = await new_member(pool, 2, birthday=birthday, birthday_set_at=local(2026, 2, 22, 23))
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    ctx = context(pool, clock, outbox)

    await run(ctx, give_birthday_offers)
    assert [chat for chat, _ in outbox.sent] == [2]
    assert await balance(pool, late) == 0 and await balance(pool, in_time) == 100

    clock.advance(timedelta(days=365))  # 24.03.2027: known for a year now
    await run(ctx, give_birthday_offers)
    assert await balance(pool, late) == 100 and await balance(pool, in_time) == 200


async def test_birthday_day_starts_at_local_midnight(pool, outbox):
    program = Program(birthday=BirthdayOffer(hour=0), quiet_hours=NO_QUIET)
    await new_member(pool, 1, birthday=date(1990, 3, 24))
    clock = AdjustableClock(local(2026, 3, 23, 23, 30), frozen=True)
    ctx = context(pool, clock, outbox, program)

    assert (await run(ctx, give_birthday_offers)).members == 0  # 23:30 the evening before
    clock.advance(timedelta(hours=1))  # 00:30 local, still 23 March in UTC
    assert clock.now().astimezone(UTC).date() == date(2026, 3, 23)
    assert (await run(ctx, give_birthday_offers)).members == 1


async def test_missed_birthdays_catch_up_within_the_window(pool, outbox):
    await new_member(pool, 1, birthday=date(1990, 3, 24))
    await new_member(pool, 2, birthday=date(1990, 3, 20))
    clock = AdjustableClock(local(2026, 3, 24, 13), frozen=True)  # down since 19.03
    ctx = context(pool, clock, outbox)

    await run(ctx, give_birthday_offers)
    assert [chat for chat, _ in outbox.sent] == [1]  # 20.03 is more than 3 days ago
    clock.advance(timedelta(days=3))  # 27.03: the 24.03 gift was given already
    assert (await run(ctx, give_birthday_offers)).members == 0


async def test_birthday_offers_are_promotional(pool, outbox):
    await new_member(pool, 1, birthday=date(1990, 3, 24), promo=False)
    await new_member(pool, 2, birthday=date(1990, 3, 24))
    program = Program(birthday=BirthdayOffer(hour=11))
    clock = AdjustableClock(local(2026, 3, 24, 9, 30), frozen=True)
    ctx = context(pool, clock, outbox, program)

    clock.advance(timedelta(hours=12))  # 21:30, quiet hours
    report = await run(ctx, give_birthday_offers)
    assert (report.status, report.members, outbox.sent) == ("quiet", 0, [])
    clock.advance(timedelta(hours=14))  # 11:30 the next day: caught up
    await run(ctx, give_birthday_offers)
    assert [chat for chat, _ in outbox.sent] == [2]  # never to members who opted out


async def test_program_refuses_offer_hours_in_quiet_hours():
    with pytest.raises(ValueError, match=r"birthday\.hour 22:00 falls in the quiet hours"):
        Program(birthday=BirthdayOffer(hour=22))
    with pytest.raises(ValueError, match=r"winback\.hour 9:00"):
        Program(winback=WinBack(hour=9))
    Program(winback=WinBack(hour=9, enabled=False))


# Points expiry


async def test_expiry_writes_off_only_the_unspent_part_of_each_lot(pool, outbox):
    member_id = await new_member(pool, 1)
    first = local(2026, 3, 1, 15)
    await earn(pool, member_id, 100, at=local(2025, 9, 2), expires=first)
    await earn(pool, member_id, 50, at=local(2025, 10, 2), expires=local(2026, 4, 1))
    await spend(pool, member_id, 30, at=local(2026, 2, 1))  # from the older lot first
    clock = AdjustableClock(local(2026, 3, 1, 23, 59), frozen=True)
    ctx = context(pool, clock, outbox)

    assert (await run(ctx, expire_points)).members == 0  # usable through its last day
    clock.advance(timedelta(minutes=31))  # 00:30 local, 21:30 UTC the day before
    report = await run(ctx, expire_points)
    assert (report.members, report.messages) == (1, 1)
    assert await balance(pool, member_id) == 50
    assert outbox.to(1) == [
        "⌛ Сгорели 70 неиспользованных баллов: закончился срок действия. Баланс: 50."
    ]
    async with pool() as session:
        lots = (await session.scalars(select(PointLot).order_by(PointLot.id))).all()
        expiry = await session.scalar(
            select(LedgerEntry).where(LedgerEntry.kind == EntryKind.EXPIRE.value)
        )
        audit = await ledger.audit(session, member_id)
    assert [lot.remaining for lot in lots] == [0, 50]
    assert (expiry.delta, expiry.idempotency_key) == (-70, f"expire:{lots[0].id}")
    assert audit.consistent and audit.balance == 50

    assert (await run(ctx, expire_points)).members == 0  # a rerun changes nothing
    clock.advance(timedelta(days=40))
    await run(ctx, expire_points)
    assert await balance(pool, member_id) == 0
    assert outbox.to(1)[-1].startswith("⌛ Сгорели 50 неиспользованных баллов")


async def test_a_lot_reopened_by_a_reversal_expires_again(pool, outbox):
    member_id = await new_member(pool, 1)
    await earn(pool, member_id, 100, at=local(2025, 9, 2), expires=local(2026, 3, 1))
    purchase = await spend(pool, member_id, 40, at=local(2026, 2, 1))
    clock = AdjustableClock(local(2026, 3, 2), frozen=True)
    ctx = context(pool, clock, outbox)
    await run(ctx, expire_points)
    async with pool() as session, session.begin():
        await ledger.reverse(session, entry_id=purchase, idempotency_key="undo", now=clock.now())
    assert await balance(pool, member_id) == 40
    await run(ctx, expire_points)
    async with pool() as session:
        keys = (
            await session.scalars(
                select(LedgerEntry.idempotency_key)
                .where(LedgerEntry.kind == EntryKind.EXPIRE.value)
                .order_by(LedgerEntry.id)
            )
        ).all()
        audit = await ledger.audit(session, member_id)
    assert len(keys) == 2 and keys[1] == f"{keys[0]}:1"
    assert audit.consistent and audit.balance == 0


def test_reminder_windows():
    thresholds = [1, 7, 30]
    assert [reminder_for(days, thresholds) for days in (1, 2, 7, 8, 30, 31)] == [
        1,
        7,
        7,
        30,
        30,
        None,
    ]


async def test_reminders_at_30_7_and_1_days_each_once(pool, outbox):
    old = await new_member(pool, 1)
    recent = await new_member(pool, 2, name="John", language="en")
    expires = local(2026, 6, 30, 18)
    await earn(pool, old, 120, at=local(2026, 1, 1), expires=expires)
    await earn(pool, old, 1, at=local(2026, 1, 2), expires=expires + timedelta(hours=1))
    await earn(pool, recent, 21, at=local(2026, 6, 20), expires=expires)
    clock = AdjustableClock(local(2026, 5, 25, 12), frozen=True)
    ctx = context(pool, clock, outbox)

    sent_on: dict[int, list[date]] = {1: [], 2: []}
    while clock.now() < local(2026, 7, 1):
        for _ in range(2):  # a restart the same day sends nothing twice
            outbox.clear()
            await run(ctx, engagement.JOBS["expiry_reminders"])
            for chat, _ in outbox.sent:
                sent_on[chat].append(clock.now().date())
        clock.advance(timedelta(days=1))
    assert sent_on[1] == [date(2026, 5, 31), date(2026, 6, 23), date(2026, 6, 29)]
    assert sent_on[2] == [date(2026, 6, 23), date(2026, 6, 29)]  # earned after the 30-day mark
    async with pool() as session:
        rows = (
            await session.execute(
                select(
                    ExpiryReminder.member_id, ExpiryReminder.days_before, ExpiryReminder.points
                ).order_by(ExpiryReminder.member_id, ExpiryReminder.days_before.desc())
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (old, 30, 121),
        (old, 7, 121),
        (old, 1, 121),
        (recent, 7, 21),
        (recent, 1, 21),
    ]


async def test_a_reminded_lot_does_not_hide_another_lot_still_due(pool, outbox):
    """The database skips lots whose reminder went out; the member's other lots still count."""
    member_id = await new_member(pool, 1)
    await earn(pool, member_id, 50, at=local(2026, 1, 1), expires=local(2026, 6, 30))
    await earn(pool, member_id, 70, at=local(2026, 1, 2), expires=local(2026, 7, 10))
    clock = AdjustableClock(local(2026, 5, 31), frozen=True)
    ctx = context(pool, clock, outbox)
    remind = engagement.JOBS["expiry_reminders"]
    sent: list[tuple[date, str]] = []
    while clock.now() < local(2026, 7, 11):
        outbox.clear()
        await run(ctx, remind)
        sent += [(clock.now().date(), text) for _, text in outbox.sent]
        clock.advance(timedelta(days=1))
    assert [day for day, _ in sent] == [
        date(2026, 5, 31),  # 30 days before 30.06
        date(2026, 6, 10),  # 30 days before 10.07, while 30.06 is reminded already
        date(2026, 6, 23),
        date(2026, 6, 29),
        date(2026, 7, 3),
        date(2026, 7, 9),
    ]
    assert "• 70 баллов сгорят 10.07.2026" in sent[1][1] and "30.06" not in sent[1][1]


async def test_reminder_text_and_late_catch_up(pool, outbox):
    member_id = await new_member(pool, 1)
    await earn(pool, member_id, 120, at=local(2026, 1, 1), expires=local(2026, 6, 30))
    clock = AdjustableClock(local(2026, 6, 10), frozen=True)  # the 30-day reminder was missed
    ctx = context(pool, clock, outbox)
    remind = engagement.JOBS["expiry_reminders"]

    await run(ctx, remind)
    assert outbox.to(1) == [
        "⏳ <b>Скоро сгорят баллы</b>\n"
        "• 120 баллов сгорят 30.06.2026 — осталось 20 дней\n"
        "Потратьте их: покажите карту на кассе — баллами можно оплатить до 30% покупки."
    ]
    await run(ctx, remind)
    clock.advance(timedelta(days=19))
    await run(ctx, remind)
    assert len(outbox.to(1)) == 2
    assert "• 120 баллов сгорят 30.06.2026 — остался 1 день" in outbox.to(1)[-1]


# Win-back


async def test_winback_once_per_inactivity_period(pool, outbox):
    last_purchase = local(2026, 1, 1)
    lapsed = await new_member(pool, 1, last_purchase_at=last_purchase)
    opted_out = await new_member(pool, 2, last_purchase_at=last_purchase, promo=False)
    never_bought = await new_member(pool, 3, name="John", language="en")
    active = await new_member(pool, 4, last_purchase_at=local(2026, 2, 1))
    clock = AdjustableClock(local(2026, 3, 2, 11, 59), frozen=True)
    ctx = context(pool, clock, outbox)

    await run(ctx, send_winback_offers)
    assert [chat for chat, _ in outbox.sent] == [3]  # inactive since joining in 2024
    clock.advance(timedelta(minutes=1))  # 60 days since the last purchase
    await run(ctx, send_winback_offers)
    assert [chat for chat, _ in outbox.sent] == [3, 1]
    assert outbox.to(1) == [
        "👋 <b>Анна, давно не виделись!</b> Мы скучаем и приготовили подарок к вашему возвращению."
        "\n🎟 Купон на скидку 15% — действует до 15.03.2026 включительно."
        "\nПокажите карту на кассе (меню → Моя карта): кассир увидит ваш подарок."
    ]
    assert "it's been a while" in outbox.to(3)[0]

    clock.advance(timedelta(days=30))
    await run(ctx, send_winback_offers)
    assert len(outbox.sent) == 2  # once per period: no reminders of the reminder

    async with pool() as session, session.begin():
        member = await session.get(Member, lapsed)
        member.last_purchase_at = clock.now()  # came back, then stopped again
    clock.advance(timedelta(days=60))
    await run(ctx, send_winback_offers)
    assert [chat for chat, _ in outbox.sent][2:] == [1, 4]
    assert await count(pool, WinBackOffer, WinBackOffer.member_id == lapsed) == 2
    assert await count(pool, WinBackOffer, WinBackOffer.member_id == opted_out) == 0
    assert await count(pool, WinBackOffer, WinBackOffer.member_id == never_bought) == 1
    assert await count(pool, WinBackOffer, WinBackOffer.member_id == active) == 1


async def test_winback_points_and_quiet_hours(pool, outbox):
    program = Program(winback=WinBack(points=30, coupon_percent=0, after_days=10))
    member_id = await new_member(pool, 1, last_purchase_at=local(2026, 3, 1))
    clock = AdjustableClock(local(2026, 3, 11, 22), frozen=True)
    ctx = context(pool, clock, outbox, program)

    report = await run(ctx, send_winback_offers)
    assert (report.status, outbox.sent) == ("quiet", [])
    clock.advance(timedelta(hours=6))  # 04:00
    assert (await run(ctx, send_winback_offers)).status == "quiet"
    clock.advance(timedelta(hours=6))  # 10:00: quiet hours are over
    await run(ctx, send_winback_offers)
    assert "🎁 30 баллов уже на вашем счёте." in outbox.to(1)[0]
    assert await balance(pool, member_id) == 30
    assert await count(pool, Coupon) == 0


# Running jobs: records, failures, delivery


async def test_job_runs_are_recorded_for_owners(pool, outbox):
    await new_member(pool, 1, birthday=date(1990, 3, 24))
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    ctx = context(pool, clock, outbox)

    for name in engagement.JOBS:
        await engagement.run(ctx, name)
    await engagement.run(ctx, "birthday")
    async with pool() as session:
        runs = await engagement.last_runs(session, tuple(engagement.JOBS))
    assert [run.status for run in runs["birthday"]] == ["ok", "ok"]
    assert [(run.members, run.messages) for run in runs["birthday"]] == [(0, 0), (1, 1)]
    assert runs["winback"][0].members == 1 and runs["expire"][0].members == 0
    assert all(run.finished_at == clock.now() for run in runs["birthday"])


async def test_a_failing_job_is_recorded_and_the_next_run_catches_up(pool, outbox, monkeypatch):
    await new_member(pool, 1, birthday=date(1990, 3, 24))
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    ctx = context(pool, clock, outbox)

    async def broken(ctx, report):
        raise RuntimeError("database went away")

    monkeypatch.setitem(engagement.JOBS, "birthday", broken)
    report = await engagement.run(ctx, "birthday")
    assert report.status == "failed" and "database went away" in report.note
    monkeypatch.undo()
    assert (await engagement.run(ctx, "birthday")).members == 1
    async with pool() as session:
        statuses = (await session.scalars(select(JobRun.status).order_by(JobRun.id))).all()
    assert statuses == ["failed", "ok"]


async def test_one_member_failing_does_not_stop_the_others(pool, outbox, monkeypatch):
    ids = [await new_member(pool, n, birthday=date(1990, 3, 24)) for n in (1, 2, 3)]
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    ctx = context(pool, clock, outbox, batch_size=2)
    post = ledger.post

    async def flaky_post(session, **kwargs):
        if kwargs["member_id"] == ids[1]:
            raise RuntimeError("boom")
        return await post(session, **kwargs)

    async def flaky_batch(session, program, model, unique, offers, **kwargs):
        if any(offer.member_id == ids[1] for offer in offers):
            raise RuntimeError("boom")  # the batch is then done member by member
        return await grant_many(session, program, model, unique, offers, **kwargs)

    monkeypatch.setattr(ledger, "post", flaky_post)
    monkeypatch.setattr(birthdays, "grant_many", flaky_batch)
    outbox.broken.add(3)
    report = await run(ctx, give_birthday_offers)
    assert (report.members, report.messages, report.errors) == (2, 1, 2)
    assert [chat for chat, _ in outbox.sent] == [1]
    # The failed member's gift was rolled back with its record, so a later run gives it.
    assert await count(pool, BirthdayGift, BirthdayGift.member_id == ids[1]) == 0
    assert await balance(pool, ids[2]) == 100  # given, only the message failed
    monkeypatch.undo()
    outbox.broken.clear()
    report = await run(ctx, give_birthday_offers)
    assert report.members == 1 and await balance(pool, ids[1]) == 100


async def test_batches_cover_every_member(pool, outbox):
    for n in range(1, 12):
        await new_member(pool, n, birthday=date(1990, 3, 24))
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    ctx = context(pool, clock, outbox, batch_size=3)
    report = await run(ctx, give_birthday_offers)
    assert report.members == 11 and len({chat for chat, _ in outbox.sent}) == 11


async def test_a_member_who_blocked_the_bot_is_marked_and_the_job_goes_on(harness):
    pool, telegram = harness.app.pool, harness.telegram
    harness.user(1, "Анна")
    harness.user(2, "Борис")
    telegram.block(1)
    blocked = await new_member(pool, 1)
    other = await new_member(pool, 2, name="Борис")
    for member_id in (blocked, other):
        await earn(pool, member_id, 10, at=local(2025, 9, 1), expires=local(2026, 11, 22))
        await earn(pool, member_id, 10, at=local(2026, 1, 1), expires=local(2026, 12, 10))
    sender = Sender(harness.bot, pool, harness.clock, per_second=0)
    ctx = context(pool, harness.clock, sender)

    report = await run(ctx, expire_points)
    assert (report.members, report.messages, report.undelivered) == (2, 1, 1)
    assert await balance(pool, blocked) == 10 and await balance(pool, other) == 10
    assert "Сгорели 10" in telegram.bot_messages(2)[-1]["text"]
    async with pool() as session:
        assert (await session.get(Member, blocked)).unreachable_at == NOW
        assert (await session.get(Member, other)).unreachable_at is None

    report = await run(ctx, engagement.JOBS["expiry_reminders"])  # skips the unreachable
    assert (report.members, report.messages, report.undelivered) == (1, 1, 0)


async def test_the_sender_waits_out_flood_control(harness):
    telegram = harness.telegram
    harness.user(1, "Анна")
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    moment, slept = [100.0], []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        moment[0] += seconds

    sender = Sender(
        harness.bot, harness.app.pool, harness.clock, sleep=sleep, monotonic=lambda: moment[0]
    )
    assert await sender(1, "<b>hello</b>")
    assert slept == [3]
    assert "hello" in telegram.bot_messages(1)[-1]["text"]
    assert await sender(1, "again")
    assert slept[1] == pytest.approx(0.04)  # 25 messages a second at most
    telegram.fail_next("sendMessage", 400, "Bad Request: chat not found")
    assert not await sender(1, "gone")
    telegram.fail_next("sendMessage", 502, "Bad Gateway", times=10)
    assert not await sender(1, "down")
    assert [seconds for seconds in slept if seconds >= 1] == [3, 1, 2, 4, 8, 16]


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="SQLite serves a single bot instance (README); several instances need PostgreSQL",
)
async def test_two_instances_on_one_database_give_each_gift_once(pool, database_url):
    ids = [await new_member(pool, n, birthday=date(1990, 3, 24)) for n in range(1, 31)]
    for member_id in ids:
        await earn(pool, member_id, 7, at=local(2025, 9, 1), expires=local(2026, 3, 1))
    clock = AdjustableClock(local(2026, 3, 24, 12), frozen=True)
    second_engine = create_engine(database_url)
    outboxes = [Outbox(), Outbox()]
    instances = [
        context(pool, clock, outboxes[0], batch_size=4),
        context(create_pool(second_engine), clock, outboxes[1], batch_size=4),
    ]
    try:
        # Without the advisory lock: the uniqueness records alone keep it once.
        reports = [JobReport(), JobReport()]
        await asyncio.gather(
            *(
                give_birthday_offers(ctx, report)
                for ctx, report in zip(instances, reports, strict=True)
            )
        )
        await asyncio.gather(*(expire_points(ctx, JobReport()) for ctx in instances))
        assert sum(report.members for report in reports) == 30
        assert sum(len(outbox.sent) for outbox in outboxes) == 60  # a gift and an expiry each
        assert await count(pool, BirthdayGift) == 30
        assert {await balance(pool, member_id) for member_id in ids} == {100}
        async with pool() as session:
            assert all([(await ledger.audit(session, m)).consistent for m in ids])

        # Through run(): the advisory lock lets one instance run the job at a time.
        clock.advance(timedelta(days=365))
        reports = await asyncio.gather(*(engagement.run(ctx, "birthday") for ctx in instances))
        assert sum(report.members for report in reports) == 30
        assert {report.status for report in reports} <= {"ok", "busy"}
        assert await count(pool, BirthdayGift) == 60
    finally:
        await second_engine.dispose()


# In the chat: Settings → Birthday, the owner's commands, coupons at the counter

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
TOKENS = CardTokens(SECRET.encode(), 600)


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    assert harness.telegram.violations == []


async def join(harness, user) -> Member:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))
    async with harness.app.pool() as session:
        return await members.get_by_telegram_id(session, user.id)


async def test_member_enters_the_birthday_in_settings_once(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    await harness.text(anna, "⚙️ Настройки")
    settings = harness.last(anna)
    assert "День рождения: не указан" in settings["text"]
    await harness.press(anna, settings, button_data(settings, "🎂"))
    assert "Когда у вас день рождения?" in harness.last(anna)["text"]

    for typed, answer in (
        ("31.02", "Такой даты нет в календаре"),
        ("25.04.2030", "Эта дата ещё не наступила"),
        ("1.1.1900", "получается больше 120 лет"),
        ("25 апреля 90", "Не похоже на дату"),
    ):
        calls = await harness.text(anna, typed)
        assert answer in texts(calls)[0]
    await harness.text(anna, "25.04.1990")
    confirm = harness.last(anna)
    stale = copy.deepcopy(confirm)
    assert "Ваш день рождения — 25.04.1990?" in confirm["text"]
    assert [label for label, _ in buttons(confirm)] == ["✅ Да, сохранить", "✏️ Ввести заново"]
    await harness.press(anna, confirm, button_data(confirm, "✅"))
    assert harness.last(anna)["text"] == "Готово! Мы поздравим вас 25.04.1990."

    async with harness.app.pool() as session:
        saved = await session.get(Member, member.id)
    assert (saved.birthday, saved.birthday_set_at) == (date(1990, 4, 25), NOW)

    await harness.text(anna, "/settings")
    settings = harness.last(anna)
    assert "День рождения: 25.04.1990" in settings["text"]
    calls = await harness.press(anna, settings, button_data(settings, "🎂"))
    assert "уже сохранён: 25.04.1990" in texts(calls)[-1]
    calls = await harness.press(anna, stale, button_data(stale, "✅"))  # an old button
    assert "уже сохранён" in texts(calls)[-1]
    async with harness.app.pool() as session:
        assert (await session.get(Member, member.id)).birthday == date(1990, 4, 25)


async def test_a_birthday_too_close_is_saved_with_a_word_about_next_year(harness):
    john = harness.user(2, "John", "en")
    await join(harness, john)
    await harness.text(john, "/settings")
    await harness.press(john, harness.last(john), button_data(harness.last(john), "🎂"))
    await harness.text(john, "10.12")
    await harness.press(john, harness.last(john), button_data(harness.last(john), "✏️"))
    assert "When is your birthday?" in harness.last(john)["text"]
    await harness.text(john, "10.12")
    await harness.press(john, harness.last(john), button_data(harness.last(john), "✅"))
    assert harness.last(john)["text"] == (
        "Done! We'll celebrate with you on 10.12.\n"
        "Your birthday is less than 30 days away, so this year's gift isn't available. "
        "See you next year!"
    )


async def test_other_input_leaves_the_birthday_question(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    await harness.text(anna, "/settings")
    await harness.press(anna, harness.last(anna), button_data(harness.last(anna), "🎂"))
    calls = await harness.text(anna, "привет")
    assert "Не понял вас" in texts(calls)[0]
    calls = await harness.text(anna, "25.04")
    assert "Не понял вас" in texts(calls)[0]  # no longer asked: not taken for a date
    calls = await harness.text(anna, "💰 Баланс и история")
    assert "Ваш баланс" in texts(calls)[0]


async def test_only_owners_change_birthdays_and_see_jobs(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    code = format_short_code(member.short_code)
    calls = await harness.text(anna, f"/birthday {code} 01.01.1990")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    calls = await harness.text(anna, "/jobs")
    assert texts(calls) == ["Извините, это только для сотрудников."]

    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, f"/birthday {code.lower()} 26.04.1990")
    assert texts(calls) == [f"Birthday of Анна ({code}): 26.04.1990."]
    calls = await harness.text(owner, "/birthday AAAA-AAAA 26.04")
    assert texts(calls) == ["No member has this code."]
    calls = await harness.text(owner, f"/birthday {code} 30.02")
    assert "no such date" in texts(calls)[0]
    calls = await harness.text(owner, "/birthday")
    assert "/birthday CODE DD.MM" in texts(calls)[0]
    async with harness.app.pool() as session:
        saved = await session.get(Member, member.id)
    assert saved.birthday == date(1990, 4, 26)

    calls = await harness.text(owner, "/jobs")
    assert texts(calls)[0].count("not run yet") == 4
    ctx = context(harness.app.pool, harness.clock, Outbox())
    await engagement.run(ctx, "winback")
    calls = await harness.text(owner, "/jobs")
    body = texts(calls)[0]
    assert "<b>Win-back</b>\n23.11 12:00 · done · members: 0 · messages: 0 · errors: 0" in body
    assert body.count("not run yet") == 3
    menus = [
        call.params
        for call in harness.telegram.calls
        if call.method == "setMyCommands"
        and (call.params.get("scope") or {}).get("chat_id") == OWNER_ID
    ]
    assert {"jobs", "birthday"} <= {command["command"] for command in menus[-1]["commands"]}


async def test_the_birthday_offer_reaches_the_chat_and_staff_redeem_the_coupon(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    async with harness.app.pool() as session, session.begin():
        saved = await session.get(Member, member.id)
        saved.birthday, saved.birthday_set_at = date(1990, 12, 1), LONG_AGO
    harness.clock.advance(timedelta(days=8))  # 01.12, 12:00 Moscow
    sender = Sender(harness.bot, harness.app.pool, harness.clock, per_second=0)
    ctx = context(harness.app.pool, harness.clock, sender, harness.app.program)
    report = await engagement.run(ctx, "birthday")
    assert report.messages == 1
    assert "Анна, с днём рождения!" in harness.last(anna)["text"]

    calls = await harness.text(anna, "💰 Баланс и история")
    assert "🎟 Купон −10% (ко дню рождения) до 08.12.2026" in texts(calls)[0]

    owner = harness.user(OWNER_ID, "Olga", "ru")
    await harness.text(owner, "/staff")
    await harness.text(owner, f"/start {TOKENS.issue(member.id, 1, harness.clock.now())}")
    view = harness.last(owner)
    assert "🎟 Купон −10% (ко дню рождения), до 08.12.2026" in view["text"]
    assert buttons(view)[-1][0] == "🎟 Погасить купон −10%"
    calls = await harness.press(owner, view, button_data(view, "🎟"))
    assert "Купон −10% для Анна погашен" in texts(calls)[-1]
    calls = await harness.press(owner, view, button_data(view, "🎟"))
    assert calls[-1].params.get("text") == "Этот купон уже использован."
    calls = await harness.text(anna, "💰 Баланс и история")
    assert "Купон" not in texts(calls)[0]


async def test_coupons_are_used_within_their_window_only(pool):
    member_id = await new_member(pool, 1)
    async with pool() as session, session.begin():
        session.add(
            Coupon(
                member_id=member_id,
                kind="winback",
                percent=15,
                key="k",
                valid_from=local(2026, 3, 1),
                valid_until=local(2026, 3, 2),
                created_at=local(2026, 3, 1),
            )
        )
    async with pool() as session, session.begin():
        coupon_id = await session.scalar(select(Coupon.id))
        for now, problem in (
            (local(2026, 2, 28), CouponProblem.NOT_YET),
            (local(2026, 3, 2), CouponProblem.EXPIRED),
        ):
            with pytest.raises(CouponRefused) as refused:
                await redeem(session, coupon_id, member_id=member_id, staff_id=7, now=now)
            assert refused.value.problem is problem
        with pytest.raises(CouponRefused) as refused:
            await redeem(session, coupon_id, member_id=member_id + 1, staff_id=7, now=now)
        assert refused.value.problem is CouponProblem.UNKNOWN


def chat_member_update(user_id: int, old: str, new: str) -> dict:
    """What Telegram sends when the person blocks ("kicked") or unblocks ("member") the bot."""
    bot_user = {
        "id": 4242,
        "is_bot": True,
        "first_name": "Loyalty",
        "username": "loyalty_test_bot",
    }

    def state(status: str) -> dict:
        return {"status": status, "user": bot_user} | (
            {"until_date": 0} if status == "kicked" else {}
        )

    return {
        "update_id": 10_000 + len(new),
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": "Анна"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Анна"},
            "date": int(NOW.timestamp()),
            "old_chat_member": state(old),
            "new_chat_member": state(new),
        },
    }


async def test_blocking_and_unblocking_the_bot_is_remembered(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    await harness.feed(chat_member_update(anna.id, "member", "kicked"))
    async with harness.app.pool() as session:
        assert (await session.get(Member, member.id)).unreachable_at == NOW
    await harness.feed(chat_member_update(anna.id, "kicked", "member"))
    async with harness.app.pool() as session:
        assert (await session.get(Member, member.id)).unreachable_at is None


def test_composed_engagement_message_ids_exist():
    from bot.services.engagement.coupons import CouponKind
    from bot.services.engagement.runs import JobStatus

    keys = [f"birthday-invalid-{problem.value}" for problem in BirthdayProblem]
    keys += [f"coupon-refused-{problem.value}" for problem in CouponProblem]
    keys += [f"coupon-kind-{kind.value}" for kind in CouponKind]
    keys += [f"job-status-{status.value}" for status in JobStatus]
    keys += [f"job-name-{name.replace('_', '-')}" for name in engagement.JOBS]
    for locale in TRANSLATOR.locales:
        assert [key for key in keys if not TRANSLATOR.has(locale, key)] == []


@pytest.mark.parametrize(
    ("points", "words"),
    [(1, "1 балл"), (2, "2 балла"), (5, "5 баллов"), (11, "11 баллов"), (21, "21 балл")],
)
def test_russian_plurals_in_offers(points, words):
    assert f"В подарок {words} уже" in TRANSLATOR.get("ru", "birthday-gift-points", points=points)
    assert f"🎁 {words} уже" in TRANSLATOR.get("ru", "winback-gift-points", points=points)
