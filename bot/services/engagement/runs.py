"""Running a job: one copy at a time, and a `job_runs` row for owners to see.

On PostgreSQL several bot instances may share the database: a session-level advisory lock per
job (`pg_try_advisory_lock`) lets one of them run it while the others record "busy" and move on.
SQLite assumes one bot instance; within it, a job never overlaps itself.
Either way the per-member uniqueness records, not the lock, are what make a gift happen once.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.engagement.common import Engagement, JobReport, JobStatus
from db.models import JobRun

log = logging.getLogger("bot.services.engagement")

Job = Callable[[Engagement, JobReport], Awaitable[None]]


def lock_key(job: str) -> int:
    """A stable advisory-lock number for the job (the same in every instance)."""
    return zlib.crc32(f"loyalty-bot:job:{job}".encode())


async def run_job(ctx: Engagement, name: str, job: Job) -> JobReport:
    report = JobReport()
    async with _exclusive(ctx, name) as acquired:
        if not acquired:
            report.status = JobStatus.BUSY
            await _record(ctx, name, report, started=ctx.clock.now(), finished=True)
            log.info("job %s is running elsewhere: skipped", name)
            return report
        run_id = await _record(ctx, name, report, started=ctx.clock.now(), finished=False)
        try:
            await job(ctx, report)
        except asyncio.CancelledError:
            report.status = JobStatus.INTERRUPTED
            await asyncio.shield(_finish(ctx, run_id, report))
            raise
        except Exception as exc:
            log.exception("job %s failed", name)
            report.status = JobStatus.FAILED
            report.note = f"{type(exc).__name__}: {exc}"[:500]
        await _finish(ctx, run_id, report)
    log.info(
        "job %s: %s, %d members, %d messages, %d undelivered, %d errors",
        name,
        report.status,
        report.members,
        report.messages,
        report.undelivered,
        report.errors,
    )
    return report


@asynccontextmanager
async def _exclusive(ctx: Engagement, name: str) -> AsyncIterator[bool]:
    local = ctx.locks.setdefault(name, asyncio.Lock())
    if local.locked():
        yield False
        return
    async with local:
        if not ctx.on_postgres:
            yield True
            return
        async with ctx.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            key = lock_key(name)
            acquired = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
            try:
                yield acquired
            finally:
                if acquired:
                    await conn.scalar(select(func.pg_advisory_unlock(key)))


async def _record(
    ctx: Engagement, name: str, report: JobReport, *, started: datetime, finished: bool
) -> int:
    async with ctx.pool() as session, session.begin():
        run = JobRun(
            job=name,
            started_at=started,
            finished_at=started if finished else None,
            status=report.status if finished else JobStatus.RUNNING,
            members=report.members,
            messages=report.messages,
            undelivered=report.undelivered,
            errors=report.errors,
            note=report.note,
        )
        session.add(run)
        await session.flush()
        return run.id


async def _finish(ctx: Engagement, run_id: int, report: JobReport) -> None:
    async with ctx.pool() as session, session.begin():
        await session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                finished_at=ctx.clock.now(),
                status=report.status,
                members=report.members,
                messages=report.messages,
                undelivered=report.undelivered,
                errors=report.errors,
                note=report.note,
            )
        )


async def last_runs(
    session: AsyncSession, jobs: tuple[str, ...], per_job: int = 3
) -> dict[str, list[JobRun]]:
    """The latest runs of each job, newest first."""
    return {
        job: list(
            await session.scalars(
                select(JobRun)
                .where(JobRun.job == job)
                .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                .limit(per_job)
            )
        )
        for job in jobs
    }
