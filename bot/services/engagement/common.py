"""What every scheduled engagement job shares: its dependencies, its report, the member batches
it walks through, and the insert that makes a gift happen once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import I18n, Translator
from bot.services.program import Program
from db.base import Base
from db.session import insert_for

log = logging.getLogger("bot.services.engagement")

Send = Callable[[int, str], Awaitable[bool]]
"""Deliver one HTML message to a Telegram chat; False if it could not be delivered."""


@dataclass
class Engagement:
    """The dependencies of the scheduled jobs, handed in by the composition root or a test."""

    pool: async_sessionmaker[AsyncSession]
    program: Program
    translator: Translator
    tz: tzinfo
    clock: Clock
    send: Send
    batch_size: int = 500
    # False makes every job take its per-member path (`handle`) even where it has a set-based
    # one: the benchmarks and tests compare the two.
    set_based: bool = True
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    @property
    def engine(self) -> AsyncEngine:
        return self.pool.kw["bind"]

    @property
    def on_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)

    def midnight(self, day: date) -> datetime:
        """The moment a local day starts (as an aware datetime in the business's zone)."""
        return datetime.combine(day, time(0), tzinfo=self.tz)

    def i18n(self, language: str | None) -> I18n:
        return self.translator.bind(self.translator.resolve(language))

    def in_quiet_hours(self) -> bool:
        return self.program.quiet_hours.contains(self.local_now().time())


class JobStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    BUSY = "busy"  # another instance was running it
    QUIET = "quiet"  # promotional job during quiet hours: nothing done, the next run catches up
    DISABLED = "disabled"
    INTERRUPTED = "interrupted"  # the bot stopped mid-run; the next run catches up


@dataclass
class JobReport:
    """What a run did: shown to owners in `/jobs` from the `job_runs` table."""

    status: str = JobStatus.OK
    members: int = 0
    messages: int = 0
    undelivered: int = 0
    errors: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A member the job acted on, and the message for them ("" when they get none)."""

    member_id: int
    telegram_id: int
    text: str = ""


async def deliver(ctx: Engagement, report: JobReport, outbox: Sequence[Outgoing]) -> None:
    """Send after the batch is committed: a gift is never lost to a failed message."""
    for item in outbox:
        if not item.text:
            continue
        try:
            delivered = await ctx.send(item.telegram_id, item.text)
        except Exception:
            log.exception("could not message member %s", item.member_id)
            report.errors += 1
            continue
        if delivered:
            report.messages += 1
        else:
            report.undelivered += 1


Fetch = Callable[[AsyncSession, int], Awaitable[Sequence[Any]]]
Handle = Callable[[AsyncSession, Any], Awaitable[Outgoing | None]]
HandleBatch = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Outgoing] | None]]


async def run_in_batches(
    ctx: Engagement,
    report: JobReport,
    job: str,
    fetch: Fetch,
    handle: Handle,
    handle_batch: HandleBatch | None = None,
) -> None:
    """Walk members in id order, `batch_size` at a time: one transaction per batch, committed
    before that batch's messages go out, so only one batch is ever in memory.

    `fetch(session, after_id)` returns the next members (anything with the member's `id`), in id
    order. `handle(session, member)` does one member's work and returns what happened to them:
    a message, an Outgoing without text (acted on, nothing to say), or None (nothing to do).
    A member whose work fails is logged and counted, and the others go on.

    `handle_batch(session, members)`, if given, does the whole batch's work in a few set-based
    statements (the same result as `handle` for each member, far fewer round trips) and returns
    the outbox, or None when the batch holds a case only `handle` covers; then, or if it fails,
    the batch is done member by member.
    """
    after = 0
    while True:
        async with ctx.pool() as session, session.begin():
            rows = await fetch(session, after)
            if not rows:
                return
            outbox = await _try_batch(session, rows, handle_batch if ctx.set_based else None, job)
            errors = 0
            if outbox is None:
                outbox, errors = await _handle_batch(session, rows, handle, job)
        report.members += len(outbox)
        report.errors += errors
        await deliver(ctx, report, outbox)
        after = rows[-1].id


async def _try_batch(
    session: AsyncSession, rows: Sequence[Any], handle_batch: HandleBatch | None, job: str
) -> list[Outgoing] | None:
    if handle_batch is None:
        return None
    try:
        async with session.begin_nested():
            return await handle_batch(session, rows)
    except Exception:
        log.info("%s: the batch failed as a whole; doing it member by member", job, exc_info=True)
        return None


async def _handle_batch(
    session: AsyncSession, rows: Sequence[Any], handle: Handle, job: str
) -> tuple[list[Outgoing], int]:
    """The whole batch in one savepoint; if a member fails, the batch again with a savepoint
    per member, so that only the failing members are left out."""
    try:
        async with session.begin_nested():
            outbox = []
            for row in rows:
                message = await handle(session, row)
                if message is not None:
                    outbox.append(message)
            return outbox, 0
    except Exception:
        log.info("%s: a member failed; redoing the batch one member at a time", job)
    outbox, errors = [], 0
    for row in rows:
        try:
            async with session.begin_nested():
                message = await handle(session, row)
        except Exception:
            log.exception("%s: failed for member %s", job, row.id)
            errors += 1
            continue
        if message is not None:
            outbox.append(message)
    return outbox, errors


async def insert_once(
    session: AsyncSession, model: type[Base], values: dict[str, Any], unique: list[str]
) -> int | None:
    """Insert a row unless one with the same unique key exists; its id, or None if it did.

    A concurrent transaction inserting the same key makes this one wait for it and then do
    nothing, so two runs at once still grant once.
    """
    table = model.__table__
    return await session.scalar(
        insert_for(session)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.id)
    )


async def insert_many_once(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    unique: list[str],
    chunk: int = 1000,
) -> set[tuple[Any, ...]]:
    """`insert_once` for many rows, INSERT … ON CONFLICT DO NOTHING RETURNING run as one
    executemany per `chunk`: the unique keys (tuples of the `unique` columns) of the rows
    inserted. The statement is compiled once and cached (SQLAlchemy's "insertmanyvalues" sends
    the rows as multi-row batches); building `.values(rows)` instead compiled a new statement
    with five parameters per row for every batch."""
    if not rows:
        return set()
    table = model.__table__
    statement = (
        insert_for(session)(table)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(*(table.c[name] for name in unique))
    )
    inserted: set[tuple[Any, ...]] = set()
    for start in range(0, len(rows), chunk):
        result = await session.execute(statement, list(rows[start : start + chunk]))
        inserted.update(tuple(row) for row in result)
    return inserted


def day_month(day: date) -> str:
    return day.strftime("%d.%m")


def full_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")
