"""The broadcast sender inside the bot process: `bot.services.broadcasts.Runner` given the Bot.

Started with the Dispatcher (it resumes whatever was being sent when the bot stopped) and
stopped before the bot's session closes; a stop lets the messages in flight finish and records
them. `deliver` copies the author's message (or sends a quiz announcement) with the member's
buttons; `show_progress` sends or edits the author's progress message. Both count into the
broadcast metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import delivery
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.observability import BROADCAST_RATE, record_broadcast
from bot.services import team
from bot.services.broadcasts import (
    Attempt,
    BroadcastStatus,
    Envelope,
    Outcome,
    Progress,
    Runner,
    SendPacer,
    Shown,
)
from bot.services.program import Program
from handlers.marketer.broadcasts import member_markup, quiz_text, render_progress

log = logging.getLogger(__name__)

_COUNTED = (Outcome.SENT, Outcome.BLOCKED, Outcome.REJECTED, Outcome.ERROR)


class Broadcaster:
    """Owns the sender task. Handlers call `wake()` after creating or changing a broadcast."""

    def __init__(
        self,
        *,
        pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        program: Program,
        translator: Translator,
        pacer: SendPacer,
        batch: int = 50,
        retry_delay: timedelta = timedelta(seconds=30),
        progress_every: float | None = None,
        idle: float = 5.0,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.program = program
        self.translator = translator
        self.pacer = pacer
        self.bot: Bot | None = None
        self.runner = Runner(
            pool=pool,
            clock=clock,
            program=program,
            tz=settings.tz,
            pacer=pacer,
            deliver=self.deliver,
            show_progress=self.show_progress,
            batch=batch,
            retry_delay=retry_delay,
            idle=idle,
        )
        if progress_every is not None:
            self.runner.progress_every = progress_every
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        if self.running:
            self.runner.wake()

    async def start(self, bot: Bot) -> None:
        """Registered on the Dispatcher's startup: aiogram hands in the bot."""
        if self.running:
            return
        self.bot = bot
        self._task = asyncio.create_task(self.runner.run(), name="broadcast-sender")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        BROADCAST_RATE.set(0)

    def _i18n(self, language: str | None) -> I18n:
        return self.translator.bind(self.translator.resolve(language))

    async def deliver(self, envelope: Envelope) -> Attempt:
        assert self.bot is not None
        content, chat_id = envelope.content, envelope.recipient.telegram_id
        i18n = self._i18n(envelope.recipient.language)
        paid = True if self.settings.broadcast_paid else None
        if content.quiz is not None:
            call = self.bot.send_message(
                chat_id,
                quiz_text(i18n, content.quiz, self.settings),
                reply_markup=member_markup(i18n, content),
                allow_paid_broadcast=paid,
            )
        else:
            assert content.source_chat_id is not None and content.source_message_id is not None
            call = self.bot.copy_message(
                chat_id,
                content.source_chat_id,
                content.source_message_id,
                reply_markup=member_markup(i18n, content),
                allow_paid_broadcast=paid,
            )
        result = await delivery.attempt(call)
        if result.outcome in _COUNTED:
            record_broadcast(sent=result.outcome is Outcome.SENT)
        if result.outcome not in (Outcome.SENT, Outcome.FLOOD):
            log.info("broadcast %s to %s: %s", content.broadcast_id, chat_id, result.error)
        return result

    async def show_progress(self, progress: Progress, shown: str) -> Shown | None:
        """Send the progress message, or edit it when it would show something new."""
        assert self.bot is not None
        BROADCAST_RATE.set(self.pacer.rate if progress.status is BroadcastStatus.SENDING else 0)
        async with self.pool() as session:
            language = await team.language_of(session, progress.chat_id)
        i18n = self._i18n(language)
        text, markup = render_progress(
            i18n,
            progress,
            settings=self.settings,
            now=self.runner.clock.now(),
            attribution_days=self.program.marketing.attribution_days,
        )
        signature = hashlib.sha256(
            (text + (markup.model_dump_json() if markup else "")).encode()
        ).hexdigest()[:32]
        try:
            if progress.message_id is None:
                sent = await self.bot.send_message(progress.chat_id, text, reply_markup=markup)
                return Shown(sent.message_id, signature)
            if signature == shown:
                return Shown(progress.message_id, signature)
            await self.bot.edit_message_text(
                text=text,
                chat_id=progress.chat_id,
                message_id=progress.message_id,
                reply_markup=markup,
            )
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return Shown(progress.message_id or 0, signature)
            log.warning("broadcast %s: progress not shown: %s", progress.broadcast_id, exc)
            return None
        except TelegramAPIError as exc:
            log.warning("broadcast %s: progress not shown: %s", progress.broadcast_id, exc)
            return None
        return Shown(progress.message_id, signature)
