"""The scheduler in the bot process: daily local times, the start-up catch-up, one copy of a job
at a time, a clean stop; and the wiring from the composition root."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from bot.clock import AdjustableClock
from bot.config import Settings
from bot.delivery import Sender
from bot.factory import build_app
from bot.i18n import Translator
from bot.scheduler import MISFIRE_GRACE_SECONDS, EngagementScheduler, build_scheduler
from bot.services import engagement, ledger, members
from bot.services.engagement import Engagement
from bot.services.engagement.runs import lock_key
from bot.services.ledger import EntryKind
from bot.services.program import BirthdayOffer, ExpiryReminders, Program, WinBack
from db.models import BirthdayGift, JobRun, Member
from tests.conftest import ON_POSTGRES
from tests.harness import make_harness

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 24, 12, 0, tzinfo=TZ)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def __call__(self, telegram_id: int, text: str) -> bool:
        self.sent.append((telegram_id, text))
        return True


def context(pool, outbox, program: Program | None = None) -> Engagement:
    return Engagement(
        pool=pool,
        program=program or Program(),
        translator=Translator(),
        tz=TZ,
        clock=AdjustableClock(NOW, frozen=True),
        send=outbox,
    )


async def birthday_member(pool, telegram_id: int = 1) -> int:
    async with pool() as session, session.begin():
        joined = await members.join(
            session,
            members.Applicant(telegram_id, "Анна", "", None, "ru"),
            now=datetime(2024, 1, 1, tzinfo=UTC),
            tier="base",
        )
        member = joined.member
        member.birthday = date(1990, 3, 24)
        member.birthday_set_at = datetime(2024, 1, 1, tzinfo=UTC)
        await ledger.post(
            session,
            member_id=member.id,
            delta=40,
            kind=EntryKind.EARN,
            idempotency_key=f"earn:{member.id}",
            now=datetime(2025, 9, 1, tzinfo=UTC),
            expires_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
        return member.id


async def finished_runs(pool) -> int:
    async with pool() as session:
        return await session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.finished_at.is_not(None))
        )


async def wait_for(predicate, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_jobs_run_daily_at_their_local_hour(pool):
    program = Program(
        birthday=BirthdayOffer(hour=11),
        winback=WinBack(hour=13),
        expiry_reminders=ExpiryReminders(hour=9),
    )
    scheduler = EngagementScheduler(context(pool, Outbox(), program), catch_up=False)
    await scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == set(engagement.JOBS)
        after = datetime(2026, 3, 24, 12, 30, tzinfo=TZ)
        next_runs = {
            name: job.trigger.get_next_fire_time(None, after) for name, job in jobs.items()
        }
        assert next_runs == {
            "expire": datetime(2026, 3, 25, 9, tzinfo=TZ),
            "expiry_reminders": datetime(2026, 3, 25, 9, tzinfo=TZ),
            "birthday": datetime(2026, 3, 25, 11, tzinfo=TZ),
            "winback": datetime(2026, 3, 24, 13, tzinfo=TZ),
        }
        assert all(str(run.tzinfo) == "Europe/Moscow" for run in next_runs.values())
        for job in jobs.values():
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
            assert job.next_run_time > datetime.now(TZ)  # no catch-up asked for
    finally:
        await scheduler.stop()
    assert not scheduler.scheduler.running


async def test_startup_catches_up_and_a_restart_repeats_nothing(pool):
    member_id = await birthday_member(pool)
    outbox = Outbox()
    for restart in range(2):
        scheduler = EngagementScheduler(context(pool, outbox))
        await scheduler.start()
        try:
            await wait_for(lambda n=restart: _runs_at_least(pool, 4 * (n + 1)))
        finally:
            await scheduler.stop()
    async with pool() as session:
        gifts = await session.scalar(select(func.count()).select_from(BirthdayGift))
        points = await ledger.balance(session, member_id)
        statuses = (await session.scalars(select(JobRun.status))).all()
    assert gifts == 1 and points == 100  # the gift given, the expired 40 written off
    assert sorted(text for _, text in outbox.sent)[0].startswith("⌛ Сгорел")
    assert len(outbox.sent) == 3  # expiry notice, birthday offer, win-back offer; once each
    assert set(statuses) == {"ok"} and len(statuses) == 8


async def _runs_at_least(pool, count: int) -> bool:
    return await finished_runs(pool) >= count


async def test_stop_interrupts_a_run_and_the_next_start_catches_up(pool, monkeypatch):
    await birthday_member(pool)
    started = asyncio.Event()

    async def endless(ctx, report):
        started.set()
        await asyncio.Event().wait()

    monkeypatch.setitem(engagement.JOBS, "birthday", endless)
    scheduler = EngagementScheduler(context(pool, Outbox()))
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 20)
    await scheduler.stop()
    async with pool() as session:
        run = await session.scalar(select(JobRun).where(JobRun.job == "birthday"))
    assert run.status == "interrupted" and run.finished_at is not None


async def test_a_job_never_overlaps_itself(pool):
    await birthday_member(pool)
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow_send(telegram_id: int, text: str) -> bool:
        sending.set()
        await release.wait()
        return True

    ctx = context(pool, slow_send)
    first = asyncio.create_task(engagement.run(ctx, "birthday"))
    await asyncio.wait_for(sending.wait(), 20)
    second = await engagement.run(ctx, "birthday")
    release.set()
    assert second.status == "busy"
    assert (await first).members == 1


@pytest.mark.skipif(
    not ON_POSTGRES, reason="advisory locks are PostgreSQL's; SQLite: one instance"
)
async def test_another_instance_holding_the_job_lock_makes_this_one_skip(pool, engine):
    await birthday_member(pool)
    ctx = context(pool, Outbox())
    async with engine.connect() as other_instance:
        await other_instance.execute(
            text("SELECT pg_advisory_lock(:key)"), {"key": lock_key("birthday")}
        )
        assert (await engagement.run(ctx, "birthday")).status == "busy"
        await other_instance.execute(
            text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key("birthday")}
        )
        await other_instance.commit()
    report = await engagement.run(ctx, "birthday")
    assert (report.status, report.members) == ("ok", 1)


async def test_the_composition_root_wires_the_scheduler(engine, tmp_path):
    harness = await make_harness(
        engine, tmp_path=tmp_path, start=NOW.astimezone(UTC), timezone="Asia/Vladivostok"
    )
    scheduler = build_scheduler(harness.app, harness.bot)
    assert isinstance(scheduler.ctx.send, Sender)
    assert scheduler.ctx.tz == ZoneInfo("Asia/Vladivostok")
    assert scheduler.ctx.clock is harness.clock and scheduler.ctx.pool is harness.app.pool
    assert str(scheduler.scheduler.timezone) == "Asia/Vladivostok"


async def test_the_bot_runs_the_jobs_while_it_polls(database_url, pool, tmp_path, monkeypatch):
    """`run_polling` as `python -m bot` runs it: the start-up catch-up reaches the member's
    chat, and stopping polling stops the scheduler."""
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties

    from bot import app as bot_app
    from tests.fakes.session import RecordingSession
    from tests.fakes.telegram import FakeTelegram

    await birthday_member(pool, telegram_id=5)
    telegram = FakeTelegram()
    telegram.user(5, "Анна")
    apps = []

    def build_app_at_noon(settings, **kwargs):
        apps.append(build_app(settings, clock=AdjustableClock(NOW, frozen=True), **kwargs))
        return apps[-1]

    def build_fake_bot(settings):
        return Bot(
            "42:TEST",
            session=RecordingSession(telegram=telegram),
            default=DefaultBotProperties(parse_mode="HTML"),
        )

    monkeypatch.setattr(bot_app, "build_app", build_app_at_noon)
    monkeypatch.setattr(bot_app, "build_bot", build_fake_bot)
    settings = Settings(
        bot_token="42:TEST",
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough",
        _env_file=None,
    )
    polling = asyncio.create_task(bot_app.run_polling(settings))
    try:
        await wait_for(lambda: _runs_at_least(pool, 4))
        received = [message["text"] for message in telegram.bot_messages(5)]
        assert any("Анна, с днём рождения!" in text for text in received)
    finally:
        await apps[0].dispatcher.stop_polling()
        await asyncio.wait_for(polling, 30)
    async with pool() as session:
        statuses = (await session.scalars(select(JobRun.status))).all()
    assert sorted(statuses) == ["ok"] * 4
    assert telegram.violations == []


async def test_batches_skip_unreachable_members_across_boundaries(pool):
    ctx = context(pool, Outbox())
    ctx.batch_size = 1
    ids = [await birthday_member(pool, telegram_id) for telegram_id in (1, 2, 3)]
    async with pool() as session, session.begin():
        (await session.get(Member, ids[1])).unreachable_at = NOW
    report = await engagement.run(ctx, "birthday")
    assert report.members == 2
