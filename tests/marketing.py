"""Shared by the marketing tests: members in bulk, hand-made purchases and ledger entries,
a broadcaster wired to a fake Telegram, and a stopwatch for Bot API calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcasting import Broadcaster
from bot.clock import AdjustableClock
from bot.config import Settings
from bot.i18n import Translator
from bot.services import broadcasts
from bot.services.broadcasts import BroadcastStatus, Draft, SendPacer
from bot.services.program import Program, QuietHours
from bot.services.segments import Segment
from db.models import Broadcast, BroadcastDelivery, LedgerEntry, Member, Operation
from tests.harness import SECRET

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 12:00 in Moscow
MARKETER_ID = 7001
FIRST_MEMBER = 100_000
NO_QUIET = QuietHours(start=datetime.min.time(), end=datetime.min.time())
TRANSLATOR = Translator()


def member_row(telegram_id: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "telegram_id": telegram_id,
        "first_name": f"Member {telegram_id}",
        "last_name": "",
        "username": None,
        "language": "ru",
        "phone": None,
        "short_code": f"{telegram_id:08d}"[-8:],
        "card_version": 1,
        "points_balance": 0,
        "stamps": 0,
        "tier": "base",
        "promo_opt_in": True,
        "consent_at": NOW - timedelta(days=30),
        "created_at": NOW - timedelta(days=30),
    }
    row.update(values)
    return row


async def add_members(
    pool: async_sessionmaker[AsyncSession], rows: Iterable[dict[str, Any]]
) -> list[int]:
    """Insert members; their ids in the order given."""
    rows = list(rows)
    async with pool() as session, session.begin():
        for start in range(0, len(rows), 500):
            await session.execute(insert(Member), rows[start : start + 500])
        found = dict((await session.execute(select(Member.telegram_id, Member.id))).all())
    return [found[row["telegram_id"]] for row in rows]


async def add_operation(
    session: AsyncSession,
    member_id: int,
    *,
    at: datetime,
    amount: int = 100_00,
    kind: str = "purchase",
    status: str = "done",
    earned: int = 0,
    redeemed: int = 0,
) -> int:
    operation = Operation(
        member_id=member_id,
        staff_id=1,
        kind=kind,
        status=status,
        amount=amount,
        points_earned=earned,
        points_redeemed=redeemed,
        stamps_delta=0,
        tier_before="base",
        tier_after="base",
        idempotency_key=f"test:{member_id}:{at.isoformat()}:{kind}:{amount}",
        created_at=at,
    )
    session.add(operation)
    await session.flush()
    return operation.id


_entry_numbers = iter(range(1, 10**9))


async def add_entry(
    session: AsyncSession,
    member_id: int,
    delta: int,
    kind: str,
    *,
    at: datetime,
    balance_after: int = 1_000_000,
    reverses: int | None = None,
    reference: str | None = None,
) -> int:
    entry = LedgerEntry(
        member_id=member_id,
        delta=delta,
        balance_after=balance_after,
        kind=kind,
        reason="",
        reference=reference,
        idempotency_key=f"test-entry-{next(_entry_numbers)}-{time.monotonic_ns()}",
        reverses_id=reverses,
        created_at=at,
    )
    session.add(entry)
    await session.flush()
    return entry.id


def settings_for(tmp_path: Any, **values: Any) -> Settings:
    values.setdefault("broadcast_rate", 1000)
    values.setdefault("broadcast_paid", values["broadcast_rate"] > 30)
    return Settings(
        bot_token="4242:TEST",
        data_dir=tmp_path,
        secret_key=SECRET,
        _env_file=None,
        **values,
    )


def program(max_per_week: int = 0, **values: Any) -> Program:
    values.setdefault("quiet_hours", NO_QUIET)
    return Program(marketing={"max_per_week": max_per_week}, **values)


def broadcaster(
    pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    rules: Program,
    clock: AdjustableClock,
    **options: Any,
) -> Broadcaster:
    options.setdefault("retry_delay", timedelta(0))
    options.setdefault("progress_every", 0.2)
    options.setdefault("idle", 0.2)
    return Broadcaster(
        pool=pool,
        clock=clock,
        settings=settings,
        program=rules,
        translator=TRANSLATOR,
        pacer=SendPacer(pool, settings.broadcast_rate),
        **options,
    )


async def new_broadcast(
    pool: async_sessionmaker[AsyncSession],
    source: dict[str, Any],
    *,
    now: datetime = NOW,
    segment: Segment | None = None,
    send_at: datetime | None = None,
    button: tuple[str, str] | None = None,
) -> int:
    """A broadcast of a message already in the marketer's chat (an update from the fake)."""
    message = source["message"]
    draft = Draft(
        source_chat_id=message["chat"]["id"],
        source_message_id=message["message_id"],
        summary=message.get("text", "")[:100],
        segment=segment or Segment(),
        button_text=button[0] if button else None,
        button_url=button[1] if button else None,
    )
    async with pool() as session, session.begin():
        created = await broadcasts.create(
            session, draft, created_by=MARKETER_ID, send_at=send_at or now, now=now
        )
    return created.id


async def wait_until_final(
    pool: async_sessionmaker[AsyncSession], broadcast_id: int, timeout: float = 60
) -> Broadcast:
    """Until the broadcast is over and its author was shown the final figures."""
    deadline = time.monotonic() + timeout
    while True:
        async with pool() as session:
            found = await session.get(Broadcast, broadcast_id)
            assert found is not None
            if found.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED) and (
                found.progress_final
            ):
                return found
        if time.monotonic() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} still {found.status}")
        await asyncio.sleep(0.1)


async def wait_for_sent(
    pool: async_sessionmaker[AsyncSession], broadcast_id: int, at_least: int, timeout: float = 30
) -> int:
    deadline = time.monotonic() + timeout
    while True:
        sent = await delivered(pool, broadcast_id)
        if sent >= at_least:
            return sent
        if time.monotonic() > deadline:
            raise AssertionError(f"only {sent} sent")
        await asyncio.sleep(0.1)


async def delivered(pool: async_sessionmaker[AsyncSession], broadcast_id: int) -> int:
    async with pool() as session:
        found = await session.scalar(
            select(func.count()).where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == "sent",
            )
        )
        return int(found or 0)


async def statuses(pool: async_sessionmaker[AsyncSession], broadcast_id: int) -> dict[int, tuple]:
    """member id -> (status, reason, attempts)."""
    async with pool() as session:
        rows = await session.execute(
            select(
                BroadcastDelivery.member_id,
                BroadcastDelivery.status,
                BroadcastDelivery.reason,
                BroadcastDelivery.attempts,
            ).where(BroadcastDelivery.broadcast_id == broadcast_id)
        )
        return {row[0]: tuple(row[1:]) for row in rows}


@dataclass
class Stopwatch(BaseRequestMiddleware):
    """Records when each Bot API call of a bot was answered, and how."""

    calls: list[tuple[float, str, Any, bool]] = field(default_factory=list)
    started: list[tuple[float, str, Any]] = field(default_factory=list)

    async def __call__(self, make_request, bot: Bot, method):  # type: ignore[no-untyped-def]
        self.started.append((time.monotonic(), method.__api_method__, _chat(method)))
        try:
            result = await make_request(bot, method)
        except Exception:
            self.calls.append((time.monotonic(), method.__api_method__, _chat(method), False))
            raise
        self.calls.append((time.monotonic(), method.__api_method__, _chat(method), True))
        return result

    def sent(self, method: str = "copyMessage") -> list[tuple[float, Any]]:
        return [(at, chat) for at, name, chat, ok in self.calls if name == method and ok]


def _chat(method: Any) -> Any:
    return getattr(method, "chat_id", None)


def busiest_second(moments: list[float]) -> int:
    """The most calls within any one-second window."""
    moments = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def birthday(month: int, day: int) -> date:
    return date(1990, month, day)
