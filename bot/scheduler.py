"""The scheduler: APScheduler 3 inside the bot process runs the engagement jobs every day at
their local hour in the business's time zone, and once at start-up to catch up on what was due
while the bot was down.

Reruns are harmless: every gift has its uniqueness record (see `bot.services.engagement`).
With several instances on one PostgreSQL database each job takes an advisory lock; SQLite
assumes a single instance.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot import observability
from bot.delivery import Sender
from bot.factory import App
from bot.services import engagement
from bot.services.engagement import Engagement, Send
from bot.services.program import Program

log = logging.getLogger(__name__)

# A run delayed by a busy event loop still happens within this many seconds; later ones wait
# for the next day (or the next start), which catches up anyway.
MISFIRE_GRACE_SECONDS = 6 * 3600


def daily_hours(program: Program) -> dict[str, int]:
    """The local hour each job runs at."""
    return {
        "expire": program.expiry_reminders.hour,
        "expiry_reminders": program.expiry_reminders.hour,
        "birthday": program.birthday.hour,
        "winback": program.winback.hour,
    }


def build_engagement(app: App, send: Send) -> Engagement:
    return Engagement(
        pool=app.pool,
        program=app.program,
        translator=app.translator,
        tz=app.settings.tz,
        clock=app.clock,
        send=send,
    )


class EngagementScheduler:
    """Starts with the Dispatcher and stops before the bot's session closes."""

    def __init__(self, ctx: Engagement, *, catch_up: bool = True) -> None:
        self.ctx = ctx
        self.scheduler = AsyncIOScheduler(
            timezone=ctx.tz,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        self._running: set[asyncio.Task[object]] = set()
        hours = daily_hours(ctx.program)
        for name in engagement.JOBS:
            extra = {"next_run_time": datetime.now(ctx.tz)} if catch_up else {}
            self.scheduler.add_job(
                self._run,
                CronTrigger(hour=hours[name], minute=0, timezone=ctx.tz),
                args=[name],
                id=name,
                name=name,
                **extra,
            )

    async def _run(self, name: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            started = time.perf_counter()
            report = await engagement.run(self.ctx, name)
            observability.record_job(name, report.status, time.perf_counter() - started)
        finally:
            if task is not None:
                self._running.discard(task)

    async def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()
            for job in self.scheduler.get_jobs():
                log.info("job %s: next run %s", job.id, job.next_run_time)

    async def stop(self) -> None:
        """Stop scheduling and cancel runs in progress (each records itself "interrupted";
        the next start catches up)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def build_scheduler(app: App, bot: Bot) -> EngagementScheduler:
    sender = Sender(bot, app.pool, app.clock, pacer=app.broadcaster.pacer)
    return EngagementScheduler(build_engagement(app, sender))
