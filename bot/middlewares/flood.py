"""Flood control: one person's burst of updates must not starve everyone else.

More than `limit` updates from one person within `window` seconds: that person gets one polite
"slow down" and everything else they send is dropped, until their pace falls back under the
limit (dropped updates count too, so a script hammering the bot stays out). The counts live in
this process: with several instances behind a webhook each one counts its own share.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User

from bot.i18n import Translator

log = logging.getLogger(__name__)

SWEEP_EVERY = 1000  # updates between clean-ups of people who went quiet


class FloodControlMiddleware(BaseMiddleware):
    """Outer middleware on `update`: after the update log, before the database session."""

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._moments: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._until_sweep = SWEEP_EVERY

    def allow(self, user_id: int) -> bool:
        """Note one update from the person; False when it is one too many."""
        now = self.clock()
        self._sweep(now)
        moments = self._moments.get(user_id)
        if moments is None:
            moments = self._moments[user_id] = deque(maxlen=self.limit + 1)
        moments.append(now)
        if len(moments) <= self.limit or now - moments[0] > self.window:
            self._warned.discard(user_id)
            return True
        return False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if self.limit <= 0 or user is None or self.allow(user.id):
            return await handler(event, data)
        trace = data.get("trace")
        if trace is not None:
            trace.outcome = "throttled"
        if user.id not in self._warned:
            self._warned.add(user.id)
            log.info("flood control: dropping updates from a user for a while")
            await self._slow_down(event, data, user)
        return None

    @staticmethod
    async def _slow_down(event: TelegramObject, data: dict[str, Any], user: User) -> None:
        translator: Translator = data["translator"]
        bot: Bot = data["bot"]
        text = translator.get(translator.resolve(user.language_code), "flood-slow-down")
        chat: Chat | None = data.get("event_chat")
        try:
            if isinstance(event, Update) and event.callback_query is not None:
                await bot.answer_callback_query(event.callback_query.id, text=text)
            elif chat is not None:
                await bot.send_message(chat.id, text)
        except TelegramAPIError as exc:
            log.info("could not ask a user to slow down: %s", exc)

    def _sweep(self, now: float) -> None:
        self._until_sweep -= 1
        if self._until_sweep > 0:
            return
        self._until_sweep = SWEEP_EVERY
        quiet = [uid for uid, moments in self._moments.items() if now - moments[-1] > self.window]
        for user_id in quiet:
            del self._moments[user_id]
            self._warned.discard(user_id)
