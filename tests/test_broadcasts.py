"""Broadcast delivery against a fake Telegram that enforces its flood limits: every member gets a
broadcast exactly once, through 429s, blocks, errors, pauses, restarts and two senders at once,
within the configured rate."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from time import monotonic
from time import time as time_now

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, select, update

from bot.clock import AdjustableClock
from bot.delivery import Sender
from bot.factory import build_bot
from bot.services import broadcasts
from bot.services.broadcasts import (
    Attempt,
    BroadcastStatus,
    Control,
    Outcome,
    Recipient,
    SendPacer,
)
from bot.services.program import QuietHours
from bot.services.segments import Segment
from db.models import Broadcast, BroadcastDelivery, Member, Quiz, QuizQuestion
from db.models import SendPacer as PacerRow
from db.session import create_engine, create_pool
from tests.conftest import ON_POSTGRES
from tests.fakes.server import FakeBotAPIServer
from tests.fakes.session import RecordingSession
from tests.fakes.telegram import FakeTelegram
from tests.marketing import (
    FIRST_MEMBER,
    MARKETER_ID,
    NOW,
    Stopwatch,
    add_members,
    broadcaster,
    busiest_second,
    delivered,
    member_row,
    new_broadcast,
    program,
    settings_for,
    statuses,
    wait_for_sent,
    wait_until_final,
)


def fake_telegram(members: int, *, first: int = FIRST_MEMBER) -> FakeTelegram:
    telegram = FakeTelegram()
    telegram.user(MARKETER_ID, "Mira", "en")
    for telegram_id in range(first, first + members):
        telegram.user(telegram_id, f"Member {telegram_id}")
    return telegram


def in_process_bot(telegram: FakeTelegram, settings):  # type: ignore[no-untyped-def]
    bot = build_bot(settings, session=RecordingSession(telegram=telegram))
    stopwatch = Stopwatch()
    bot.session.middleware(stopwatch)
    return bot, stopwatch


def copies_by_chat(telegram: FakeTelegram) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in telegram.calls:
        if call.method == "copyMessage" and call.ok:
            counts[call.params["chat_id"]] = counts.get(call.params["chat_id"], 0) + 1
    return counts


async def members(pool, count: int, **values) -> list[int]:  # type: ignore[no-untyped-def]
    return await add_members(
        pool, (member_row(FIRST_MEMBER + index, **values) for index in range(count))
    )


async def test_a_small_broadcast_arrives_once_with_its_buttons(pool, tmp_path):
    telegram = fake_telegram(5)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    await members(pool, 5)
    source = telegram.send_text(telegram.users[MARKETER_ID], "Autumn sale: −20% on everything")
    broadcast_id = await new_broadcast(pool, source, button=("Menu", "https://example.com/menu"))
    sender = broadcaster(pool, settings, program(), AdjustableClock(NOW, frozen=True))
    await sender.start(bot)
    try:
        finished = await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    assert finished.status == BroadcastStatus.DONE and finished.total == 5
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(5)}
    received = telegram.last_bot_message(FIRST_MEMBER)
    assert received["text"] == "Autumn sale: −20% on everything"
    rows = received["reply_markup"]["inline_keyboard"]
    assert rows[0][0] == {"text": "Menu", "url": "https://example.com/menu"}
    assert rows[1][0]["text"] == "🔕 Отписаться" and rows[1][0]["callback_data"] == "uns"
    progress = telegram.bot_messages(MARKETER_ID)[-1]
    assert "Рассылка #" in progress["text"] and "Доставлено 5" in progress["text"]
    assert "reply_markup" not in progress  # the controls go when it is over
    assert telegram.violations == []


async def test_two_thousand_members_over_http_each_once_through_a_429(pool, tmp_path):
    """The real HTTP session against the fake Bot API server with its global limit on; one
    429 in the middle pauses everything for its retry_after, then sending resumes."""
    count = 2000
    telegram = fake_telegram(count)
    telegram.rate_limit(global_per_second=5000, per_chat_per_second=1)
    settings = settings_for(tmp_path, broadcast_rate=1000, broadcast_paid=True)
    await members(pool, count)
    source = telegram.send_text(telegram.users[MARKETER_ID], "Big news")
    broadcast_id = await new_broadcast(pool, source)
    async with FakeBotAPIServer(telegram) as server:
        bot = build_bot(
            settings, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url))
        )
        stopwatch = Stopwatch()
        bot.session.middleware(stopwatch)
        sender = broadcaster(pool, settings, program(), AdjustableClock(NOW, frozen=True))
        await sender.start(bot)
        try:
            await wait_for_sent(pool, broadcast_id, 300)
            telegram.fail_next(
                "copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1
            )
            finished = await wait_until_final(pool, broadcast_id, timeout=120)
        finally:
            await sender.stop()
            await bot.session.close()
    assert finished.status == BroadcastStatus.DONE
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(count)}
    flood = next(at for at, name, _, ok in stopwatch.calls if name == "copyMessage" and not ok)
    # Nothing new went out while the whole bot waited (requests already in flight landed).
    later = [at for at, name, _ in stopwatch.started if name == "copyMessage" and at > flood]
    assert later and min(later) - flood >= 0.9
    copies = [call for call in telegram.calls if call.method == "copyMessage" and call.ok]
    assert all(call.params.get("allow_paid_broadcast") is True for call in copies)
    tally = await statuses(pool, broadcast_id)
    assert {status for status, _, _ in tally.values()} == {"sent"}
    assert telegram.violations == []


async def test_the_configured_rate_is_never_exceeded(pool, tmp_path):
    telegram = fake_telegram(60)
    telegram.rate_limit(global_per_second=30, per_chat_per_second=1)
    settings = settings_for(tmp_path, broadcast_rate=20, broadcast_paid=False)
    bot, stopwatch = in_process_bot(telegram, settings)
    await members(pool, 60)
    source = telegram.send_text(telegram.users[MARKETER_ID], "Slow and steady")
    broadcast_id = await new_broadcast(pool, source)
    sender = broadcaster(pool, settings, program(), AdjustableClock(NOW, frozen=True))
    started = monotonic()
    await sender.start(bot)
    try:
        await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    moments = [at for at, _ in stopwatch.sent()]
    assert len(moments) == 60
    assert busiest_second(moments) <= 20 * 1.15 + 1
    assert (moments[-1] - started) >= 59 / 20 * 0.9  # paced, not bursted
    assert telegram.throttled == 0
    assert not any(c.method == "copyMessage" and not c.ok for c in telegram.calls)


async def test_blocked_members_are_marked_and_left_out_next_time(pool, tmp_path):
    telegram = fake_telegram(6)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    ids = await members(pool, 6)
    telegram.block(FIRST_MEMBER + 1)
    telegram.block(FIRST_MEMBER + 4)
    source = telegram.send_text(telegram.users[MARKETER_ID], "First")
    first = await new_broadcast(pool, source)
    clock = AdjustableClock(NOW, frozen=True)
    sender = broadcaster(pool, settings, program(), clock)
    await sender.start(bot)
    try:
        await wait_until_final(pool, first)
        got = await statuses(pool, first)
        assert got[ids[1]][0] == got[ids[4]][0] == "blocked"
        assert sum(1 for status, _, _ in got.values() if status == "sent") == 4
        async with pool() as session:
            unreachable = await session.scalars(
                select(Member.id).where(Member.unreachable_at.is_not(None))
            )
            assert sorted(unreachable) == [ids[1], ids[4]]
        second = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "2"))
        sender.wake()
        await wait_until_final(pool, second)
    finally:
        await sender.stop()
    got = await statuses(pool, second)
    assert got[ids[1]] == got[ids[4]] == ("skipped", "unreachable", 0)
    blocked_sends = [
        c for c in telegram.calls if c.method == "copyMessage" and c.chat_id == FIRST_MEMBER + 1
    ]
    assert len(blocked_sends) == 1  # tried once, never again


async def test_members_who_opted_out_never_get_broadcasts(pool, tmp_path):
    telegram = fake_telegram(4)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    ids = await add_members(
        pool,
        [
            member_row(FIRST_MEMBER),
            member_row(FIRST_MEMBER + 1, promo_opt_in=False),
            member_row(FIRST_MEMBER + 2),
            member_row(FIRST_MEMBER + 3),
        ],
    )
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    clock = AdjustableClock(NOW, frozen=True)
    # Member 3 turns promotional messages off after the broadcast started, before their turn.
    async with pool() as session, session.begin():
        started = await broadcasts.start_due(session, program(), now=NOW, tz=settings.tz)
        assert started == [broadcast_id]
        await session.execute(update(Member).where(Member.id == ids[3]).values(promo_opt_in=False))
    sender = broadcaster(pool, settings, program(), clock)
    await sender.start(bot)
    try:
        finished = await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    got = await statuses(pool, broadcast_id)
    assert got[ids[1]] == ("skipped", "opted_out", 0)
    assert got[ids[3]] == ("skipped", "opted_out", 0)
    assert set(copies_by_chat(telegram)) == {FIRST_MEMBER, FIRST_MEMBER + 2}
    assert finished.total == 4


async def test_errors_are_retried_a_bounded_number_of_times(pool, tmp_path):
    telegram = fake_telegram(3)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    ids = await members(pool, 3)
    telegram.fail_next("copyMessage", 500, "Internal Server Error", times=2)
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    sender = broadcaster(pool, settings, program(), AdjustableClock(NOW, frozen=True))
    await sender.start(bot)
    try:
        await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    got = await statuses(pool, broadcast_id)
    assert {status for status, _, _ in got.values()} == {"sent"}
    assert sum(attempts for _, _, attempts in got.values()) == 3 + 2
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(3)}
    # A message that keeps failing is given up after MAX_ATTEMPTS; a refusal at once.
    async with pool() as session, session.begin():
        rows = list(
            await session.scalars(
                select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == broadcast_id)
            )
        )
        await session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .values(status="sending", attempts=0)
        )
    failing, refused = (Recipient(row.id, row.member_id, 0, "ru") for row in rows[:2])
    for attempt in range(broadcasts.MAX_ATTEMPTS):
        async with pool() as session, session.begin():
            await broadcasts.record(
                session,
                [
                    (failing, Attempt(Outcome.ERROR, "Bad Gateway")),
                    (refused, Attempt(Outcome.REJECTED, "Bad Request: chat not found")),
                ],
                now=NOW,
                retry_delay=timedelta(0),
            )
        got = await statuses(pool, broadcast_id)
        expected = "failed" if attempt + 1 == broadcasts.MAX_ATTEMPTS else "pending"
        assert got[rows[0].member_id][0] == expected
        assert got[rows[1].member_id][0] == "failed"
    assert ids


async def test_a_restart_in_the_middle_resumes_without_duplicates(pool, tmp_path):
    count = 200
    telegram = fake_telegram(count)
    telegram.rate_limit(global_per_second=200, per_chat_per_second=1)
    settings = settings_for(tmp_path, broadcast_rate=100, broadcast_paid=True)
    bot, _ = in_process_bot(telegram, settings)
    await members(pool, count)
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    clock = AdjustableClock(NOW, frozen=True)
    first = broadcaster(pool, settings, program(), clock, batch=20)
    await first.start(bot)
    await wait_for_sent(pool, broadcast_id, 60)
    await first.stop()  # the sender task is cancelled mid-broadcast
    halfway = await delivered(pool, broadcast_id)
    assert 60 <= halfway < count
    async with pool() as session:
        claimed = await session.scalar(
            select(func.count()).where(BroadcastDelivery.status == "sending")
        )
    assert claimed == 0  # what was in flight was recorded, the rest given back
    second = broadcaster(pool, settings, program(), clock, batch=20)
    await second.start(bot)
    try:
        await wait_until_final(pool, broadcast_id)
    finally:
        await second.stop()
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(count)}
    assert await delivered(pool, broadcast_id) == count


async def test_rows_of_a_sender_that_died_go_back_to_the_queue(pool, tmp_path):
    telegram = fake_telegram(10)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    await members(pool, 10)
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    async with pool() as session, session.begin():
        await broadcasts.start_due(session, program(), now=NOW, tz=settings.tz)
        claimed = await broadcasts.claim(session, broadcast_id, limit=4, now=NOW)
    assert len(claimed) == 4  # ...and the process was killed before sending them
    clock = AdjustableClock(NOW + broadcasts.LEASE + timedelta(seconds=1), frozen=True)
    sender = broadcaster(pool, settings, program(), clock)
    await sender.start(bot)
    try:
        await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(10)}


async def test_two_senders_share_one_broadcast_without_duplicates(engine, database_url, tmp_path):
    """Two bot instances: separate engines and connection pools on one database (`engine`
    only empties it first)."""
    count = 400
    telegram = fake_telegram(count)
    telegram.rate_limit(global_per_second=2000, per_chat_per_second=1)
    settings = settings_for(tmp_path, broadcast_rate=600, broadcast_paid=True)
    engines = [create_engine(database_url), create_engine(database_url)]
    pools = [create_pool(engine) for engine in engines]
    try:
        await members(pools[0], count)
        broadcast_id = await new_broadcast(
            pools[0], telegram.send_text(telegram.users[MARKETER_ID], "x")
        )
        clock = AdjustableClock(NOW, frozen=True)
        sent_by: list[list[int]] = [[], []]
        senders = []
        for index, instance_pool in enumerate(pools):
            bot, _ = in_process_bot(telegram, settings)
            sender = broadcaster(instance_pool, settings, program(), clock, batch=25)
            deliver = sender.runner.deliver

            async def counted(envelope, deliver=deliver, mine=sent_by[index]):  # type: ignore[no-untyped-def]
                result = await deliver(envelope)
                if result.outcome is Outcome.SENT:
                    mine.append(envelope.recipient.telegram_id)
                return result

            sender.runner.deliver = counted
            senders.append((sender, bot))
        for sender, bot in senders:
            await sender.start(bot)
        try:
            await wait_until_final(pools[0], broadcast_id)
        finally:
            for sender, _ in senders:
                await sender.stop()
        assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(count)}
        assert not set(sent_by[0]) & set(sent_by[1])
        assert len(sent_by[0]) + len(sent_by[1]) == count
        if ON_POSTGRES:
            assert sent_by[0] and sent_by[1]  # both instances did part of the work
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_pacer_is_shared_by_instances(pool):
    clock = [1000.0]
    pacers = [SendPacer(pool, 10, wall=lambda: clock[0]) for _ in range(2)]
    starts = [await pacers[i % 2].reserve(5) for i in range(4)]
    assert starts == [1000.0, 1000.5, 1001.0, 1001.5]
    await pacers[0].pause(30)
    assert await pacers[1].reserve(1) == 1030.0
    clock[0] = 2000.0
    assert await pacers[1].reserve(1) == 2000.0


async def test_one_message_a_second_to_a_chat_across_broadcasts(pool, tmp_path):
    telegram = fake_telegram(3)
    telegram.rate_limit(global_per_second=1000, per_chat_per_second=1)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    await members(pool, 3)
    marketer = telegram.users[MARKETER_ID]
    first = await new_broadcast(pool, telegram.send_text(marketer, "one"))
    second = await new_broadcast(pool, telegram.send_text(marketer, "two"))
    sender = broadcaster(pool, settings, program(), AdjustableClock(NOW, frozen=True))
    await sender.start(bot)
    try:
        await wait_until_final(pool, first)
        await wait_until_final(pool, second)
    finally:
        await sender.stop()
    assert telegram.throttled == 0
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 2 for i in range(3)}


async def test_the_weekly_cap_skips_members_with_a_reason(pool, tmp_path):
    telegram = fake_telegram(2)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    ids = await members(pool, 2)
    rules = program(max_per_week=1)
    marketer = telegram.users[MARKETER_ID]
    first = await new_broadcast(pool, telegram.send_text(marketer, "one"))
    clock = AdjustableClock(NOW, frozen=True)
    sender = broadcaster(pool, settings, rules, clock)
    await sender.start(bot)
    try:
        await wait_until_final(pool, first)
        second = await new_broadcast(pool, telegram.send_text(marketer, "two"))
        sender.wake()
        await wait_until_final(pool, second)
    finally:
        await sender.stop()
    got = await statuses(pool, second)
    assert got == dict.fromkeys(ids, ("skipped", "weekly_cap", 0))
    # A week later the cap has room again.
    async with pool() as session:
        audience = await broadcasts.audience(
            session,
            Segment(),
            now=NOW + timedelta(days=7, seconds=1),
            tz=settings.tz,
            max_per_week=1,
        )
    assert audience.recipients == 2 and audience.capped == 0


async def test_pause_resume_and_cancel(pool, tmp_path):
    count = 40
    telegram = fake_telegram(count)
    settings = settings_for(tmp_path, broadcast_rate=20, broadcast_paid=False)
    bot, _ = in_process_bot(telegram, settings)
    ids = await members(pool, count)
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    clock = AdjustableClock(NOW, frozen=True)
    sender = broadcaster(pool, settings, program(), clock, batch=5)
    await sender.start(bot)
    try:
        await wait_for_sent(pool, broadcast_id, 5)
        async with pool() as session, session.begin():
            await broadcasts.control(session, broadcast_id, Control.PAUSE, now=NOW)
        await asyncio.sleep(0.5)  # what was in flight lands
        paused_at = await delivered(pool, broadcast_id)
        await asyncio.sleep(1.0)
        assert await delivered(pool, broadcast_id) == paused_at < count
        progress = telegram.bot_messages(MARKETER_ID)[-1]
        assert "на паузе" in progress["text"]
        labels = [b["text"] for row in progress["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["▶️ Продолжить", "✖️ Отменить"]
        async with pool() as session, session.begin():
            await broadcasts.control(session, broadcast_id, Control.RESUME, now=NOW)
        sender.wake()
        await wait_for_sent(pool, broadcast_id, paused_at + 5)
        async with pool() as session, session.begin():
            await broadcasts.control(session, broadcast_id, Control.CANCEL, now=NOW)
            with pytest.raises(broadcasts.BroadcastError):
                await broadcasts.control(session, broadcast_id, Control.RESUME, now=NOW)
        finished = await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    assert finished.status == BroadcastStatus.CANCELLED
    got = await statuses(pool, broadcast_id)
    sent = [member for member, (status, _, _) in got.items() if status == "sent"]
    cancelled = [member for member, (_, reason, _) in got.items() if reason == "cancelled"]
    assert len(sent) + len(cancelled) == count and cancelled
    assert set(copies_by_chat(telegram)) == {FIRST_MEMBER + ids.index(m) for m in sent}
    final = telegram.bot_messages(MARKETER_ID)[-1]
    assert "отменена" in final["text"] and "reply_markup" not in final


async def test_the_progress_message_is_edited_at_most_every_three_seconds(pool, tmp_path):
    count = 100
    telegram = fake_telegram(count)
    settings = settings_for(tmp_path, broadcast_rate=20, broadcast_paid=False)
    bot, stopwatch = in_process_bot(telegram, settings)
    await members(pool, count)
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    clock = AdjustableClock(NOW, frozen=True)
    sender = broadcaster(pool, settings, program(), clock, progress_every=3.0)
    await sender.start(bot)
    try:
        await wait_until_final(pool, broadcast_id, timeout=90)
    finally:
        await sender.stop()
    shown = [at for at, name, chat, ok in stopwatch.calls if chat == MARKETER_ID and ok]
    kinds = [name for _, name, chat, _ in stopwatch.calls if chat == MARKETER_ID]
    assert kinds[0] == "sendMessage" and set(kinds[1:]) == {"editMessageText"}
    assert len(shown) >= 2
    gaps = [later - earlier for earlier, later in zip(shown, shown[1:], strict=False)]
    assert min(gaps) >= 2.9
    assert not [c for c in telegram.calls if c.method == "editMessageText" and not c.ok]
    texts = [c.params["text"] for c in telegram.calls if c.chat_id == MARKETER_ID]
    assert len(texts) == len(set(texts))  # never the same edit twice
    assert "Доставлено 100" in texts[-1]


async def test_a_published_quiz_is_announced_when_it_opens(pool, tmp_path):
    telegram = fake_telegram(2)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    await add_members(
        pool, [member_row(FIRST_MEMBER, language="en"), member_row(FIRST_MEMBER + 1)]
    )
    rules = program()
    async with pool() as session, session.begin():
        quiz = Quiz(
            title="Coffee quiz",
            points_per_correct=10,
            completion_bonus=5,
            starts_at=NOW - timedelta(hours=12),
            ends_at=NOW + timedelta(days=7),
            status="published",
            created_by=MARKETER_ID,
            created_at=NOW,
            published_at=NOW,
        )
        session.add(quiz)
        await session.flush()
        session.add(
            QuizQuestion(quiz_id=quiz.id, position=1, text="?", options=["a", "b"], correct=0)
        )
        announced = await broadcasts.announce_quiz(
            session, rules, quiz.id, created_by=MARKETER_ID, now=NOW, tz=settings.tz
        )
        again = await broadcasts.announce_quiz(
            session, rules, quiz.id, created_by=MARKETER_ID, now=NOW, tz=settings.tz
        )
    assert announced is not None and again is None
    sender = broadcaster(pool, settings, rules, AdjustableClock(NOW, frozen=True))
    await sender.start(bot)
    try:
        await wait_until_final(pool, announced.id)
    finally:
        await sender.stop()
    english = telegram.last_bot_message(FIRST_MEMBER)
    assert (
        "New quiz: Coffee quiz" in english["text"] and "1 question, 10 points" in english["text"]
    )
    buttons = [b for row in english["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == [f"qp:{quiz.id}", "uns"]
    assert "Новая викторина" in telegram.last_bot_message(FIRST_MEMBER + 1)["text"]


async def test_quiz_announcements_wait_for_the_quiz_and_quiet_hours(pool, tmp_path):
    settings = settings_for(tmp_path)
    rules = program(quiet_hours=QuietHours(start=time(18), end=time(7)))
    async with pool() as session, session.begin():
        quiz = Quiz(
            title="Tomorrow",
            points_per_correct=1,
            completion_bonus=0,
            starts_at=NOW + timedelta(hours=12),  # 00:00 Moscow: quiet hours there
            ends_at=NOW + timedelta(days=3),
            status="published",
            created_by=MARKETER_ID,
            created_at=NOW,
        )
        session.add(quiz)
        await session.flush()
        announced = await broadcasts.announce_quiz(
            session, rules, quiz.id, created_by=MARKETER_ID, now=NOW, tz=settings.tz
        )
    assert announced is not None
    assert announced.send_at.astimezone(settings.tz).strftime("%d.%m %H:%M") == "24.11 07:00"
    async with pool() as session:
        found = await session.get(Broadcast, announced.id)
        assert found is not None and found.status == "scheduled"


async def test_scheduled_jobs_draw_from_the_same_pacer(pool, tmp_path):
    """`bot.delivery.Sender` (the jobs' sender) waits out a 429 in the shared pacer, so
    broadcasts pause too, and takes its turns from the same rate."""
    telegram = fake_telegram(1)
    settings = settings_for(tmp_path, broadcast_rate=20, broadcast_paid=False)
    bot, stopwatch = in_process_bot(telegram, settings)
    await members(pool, 1)
    pacer = SendPacer(pool, settings.broadcast_rate)
    sender = Sender(bot, pool, AdjustableClock(NOW, frozen=True), pacer=pacer)
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    before = time_now()
    assert await sender(FIRST_MEMBER, "Your points expire soon")
    tries = [at for at, name, _ in stopwatch.started if name == "sendMessage"]
    assert len(tries) == 2 and tries[1] - tries[0] >= 0.9
    async with pool() as session:
        next_at = await session.scalar(select(PacerRow.next_at))
    assert next_at >= before + 1  # every sender saw the pause


async def test_nothing_goes_out_in_quiet_hours(pool, tmp_path):
    telegram = fake_telegram(3)
    settings = settings_for(tmp_path)
    bot, _ = in_process_bot(telegram, settings)
    await members(pool, 3)
    rules = program(
        quiet_hours=QuietHours(start=time(11), end=time(13)),  # NOW is 12:00 in Moscow
        birthday={"enabled": False},
        winback={"enabled": False},
    )
    broadcast_id = await new_broadcast(pool, telegram.send_text(telegram.users[MARKETER_ID], "x"))
    async with pool() as session, session.begin():  # it started just before quiet hours
        await broadcasts.start_due(session, rules, now=NOW, tz=settings.tz)
    clock = AdjustableClock(NOW, frozen=True)
    sender = broadcaster(pool, settings, rules, clock)
    await sender.start(bot)
    try:
        for _ in range(50):
            if telegram.bot_messages(MARKETER_ID):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert copies_by_chat(telegram) == {}
        waiting = telegram.bot_messages(MARKETER_ID)[-1]["text"]
        assert "Тихие часы: отправка продолжится в 23.11.2026 13:00" in waiting
        clock.advance(timedelta(hours=1))
        sender.wake()
        await wait_until_final(pool, broadcast_id)
    finally:
        await sender.stop()
    assert copies_by_chat(telegram) == {FIRST_MEMBER + i: 1 for i in range(3)}
