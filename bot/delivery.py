"""Delivery of scheduled messages: the `send(telegram_id, text) -> bool` the jobs are given.

It keeps under Telegram's broadcast limit (about 30 messages a second), waits out a 429's
`retry_after` (for every job sharing the sender, since the limit is per bot), retries network
and server errors a few times, and marks members who blocked the bot (`unreachable_at`) so that
later runs skip them. A member who unblocks the bot is reachable again
(`handlers/customer/reachability.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services.broadcasts import Attempt, Outcome
from db.models import Member

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Pacer(Protocol):
    """A rate shared with other senders (`bot.services.broadcasts.SendPacer`)."""

    async def wait_turn(self) -> None: ...

    async def pause(self, seconds: float) -> None: ...


class Sender:
    def __init__(
        self,
        bot: Bot,
        pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        per_second: float = 25.0,
        attempts: int = 5,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        pacer: Pacer | None = None,
    ) -> None:
        self.bot = bot
        self.pacer = pacer
        self.pool = pool
        self.clock = clock
        self.interval = 1 / per_second if per_second else 0.0
        self.attempts = attempts
        self.sleep = sleep
        self.monotonic = monotonic
        self._next_slot = 0.0

    async def __call__(self, telegram_id: int, text: str) -> bool:
        for attempt in range(self.attempts):
            await self._wait_turn()
            try:
                await self.bot.send_message(telegram_id, text)
            except TelegramRetryAfter as exc:
                log.warning("flood control: waiting %s s", exc.retry_after)
                self._next_slot = max(self._next_slot, self.monotonic() + exc.retry_after)
                if self.pacer is not None:
                    await self.pacer.pause(exc.retry_after)
            except TelegramForbiddenError as exc:
                log.info("member %s is unreachable: %s", telegram_id, exc.message)
                await mark_unreachable(self.pool, telegram_id, self.clock.now())
                return False
            except TelegramBadRequest as exc:
                log.warning("message to %s refused: %s", telegram_id, exc.message)
                return False
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("message to %s failed (attempt %d): %s", telegram_id, attempt + 1, exc)
                await self.sleep(min(2**attempt, 30))
            else:
                return True
        return False

    async def _wait_turn(self) -> None:
        if self.pacer is not None:
            await self.pacer.wait_turn()
            return
        now = self.monotonic()
        if self._next_slot > now:
            await self.sleep(self._next_slot - now)
            now = self.monotonic()
        self._next_slot = max(self._next_slot, now) + self.interval


async def mark_unreachable(
    pool: async_sessionmaker[AsyncSession], telegram_id: int, now: datetime
) -> None:
    async with pool() as session, session.begin():
        await set_reachable(session, telegram_id, False, now=now)


async def set_reachable(
    session: AsyncSession, telegram_id: int, reachable: bool, *, now: datetime
) -> None:
    """Remember whether the bot can write to the member (Telegram tells us when they block
    or unblock it); scheduled jobs skip unreachable members."""
    column = Member.unreachable_at
    await session.execute(
        update(Member)
        .where(
            Member.telegram_id == telegram_id,
            column.is_not(None) if reachable else column.is_(None),
        )
        .values(unreachable_at=None if reachable else now)
    )


async def attempt(call: Awaitable[object]) -> Attempt:
    """Make one Bot API call and say how it went, in the terms of the broadcast outbox: sent,
    blocked (403), rejected (400: retrying would not help), error (worth retrying) or flood
    (429, with its `retry_after`). Waiting and retrying are the caller's business."""
    try:
        await call
    except TelegramRetryAfter as exc:
        return Attempt(Outcome.FLOOD, exc.message, float(exc.retry_after))
    except TelegramForbiddenError as exc:
        return Attempt(Outcome.BLOCKED, exc.message)
    except TelegramBadRequest as exc:
        return Attempt(Outcome.REJECTED, exc.message)
    except (TelegramNetworkError, TelegramServerError) as exc:
        return Attempt(Outcome.ERROR, str(exc))
    except TelegramAPIError as exc:
        return Attempt(Outcome.ERROR, exc.message)
    return Attempt(Outcome.SENT)
