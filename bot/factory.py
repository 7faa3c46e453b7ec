"""The composition root: builds the Bot and the Dispatcher with every dependency as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import commands
from bot.broadcasting import Broadcaster
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.i18n import Translator
from bot.middlewares.context import MemberContextMiddleware
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.errors import on_error
from bot.middlewares.flood import FloodControlMiddleware
from bot.middlewares.logging import setup_update_log
from bot.middlewares.roles import PersonMiddleware
from bot.observability import TelegramApiMetrics, install_ledger_metrics
from bot.services.broadcasts import SendPacer
from bot.services.card_image import CardRenderer
from bot.services.card_tokens import CardTokens
from bot.services.program import Program, load_program
from bot.services.team import Role
from bot.webhook_sender import WebhookSender
from db.session import create_engine, create_pool
from handlers import build_router
from handlers.customer.card import CardStudio


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    pool: async_sessionmaker[AsyncSession]
    program: Program
    translator: Translator
    clock: Clock
    dispatcher: Dispatcher
    broadcaster: Broadcaster
    webhook_sender: WebhookSender


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    bot.session.middleware(ResponseTypes())
    bot.session.middleware(TelegramApiMetrics())
    return bot


class ResponseTypes(BaseRequestMiddleware):
    """Keeps every `Response[T]` aiogram parses answers with alive for the process's lifetime.

    aiogram builds `Response[method.__returning__]` for every answer; pydantic caches such
    generic classes only weakly, and they are in reference cycles, so each garbage collection
    drops them and the next answer rebuilds the class: about 6 ms, once every two updates or so
    (BENCHMARKS.md). A strong reference here makes it one build per type.
    """

    _pinned: dict[Any, Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._pinned:
            self._pinned[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    storage: BaseStorage | None = None,
    program: Program | None = None,
) -> App:
    clock = clock or SystemClock()
    engine = engine or create_engine(settings.db_url)
    pool = create_pool(engine)
    program = program or load_program(settings.program_file)
    translator = Translator(default_locale=settings.default_locale)
    card_tokens = CardTokens(settings.card_secret(), settings.card_token_ttl)
    # One sending rate for broadcasts and scheduled jobs, shared through the database.
    pacer = SendPacer(pool, settings.broadcast_rate)
    broadcaster = Broadcaster(
        pool=pool,
        clock=clock,
        settings=settings,
        program=program,
        translator=translator,
        pacer=pacer,
    )
    webhook_sender = WebhookSender(
        pool=pool,
        clock=clock,
        timeout=settings.outbound_webhook_timeout,
        max_attempts=settings.outbound_webhook_max_attempts,
    )
    dispatcher = Dispatcher(
        storage=storage,
        settings=settings,
        clock=clock,
        program=program,
        translator=translator,
        card_tokens=card_tokens,
        broadcaster=broadcaster,
        webhook_sender=webhook_sender,
        card_studio=CardStudio(
            program=program,
            settings=settings,
            clock=clock,
            card_tokens=card_tokens,
            card_renderer=CardRenderer(),
        ),
    )
    # Outer middlewares run in this order: the update log sees everything, flood control
    # drops a burst before it reaches the database.
    setup_update_log(dispatcher)
    dispatcher.update.outer_middleware(
        FloodControlMiddleware(settings.flood_limit, settings.flood_window)
    )
    install_ledger_metrics()
    dispatcher.update.outer_middleware(DbSessionMiddleware(pool))
    dispatcher.update.outer_middleware(MemberContextMiddleware(translator))
    dispatcher.update.outer_middleware(PersonMiddleware())
    dispatcher.errors.register(on_error)
    dispatcher.include_router(build_router())
    dispatcher.startup.register(_announce_commands)
    return App(
        settings,
        engine,
        pool,
        program,
        translator,
        clock,
        dispatcher,
        broadcaster=broadcaster,
        webhook_sender=webhook_sender,
    )


async def _announce_commands(bot: Bot, translator: Translator, settings: Settings) -> None:
    await commands.announce_default(bot, translator)
    for owner_id in sorted(settings.owner_ids):
        await commands.announce_for(
            bot, translator, owner_id, Role.OWNER, translator.default_locale
        )
