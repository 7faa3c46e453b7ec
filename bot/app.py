"""Running the bot: migrate, then serve updates until SIGINT/SIGTERM: polling by default, a
webhook server when WEBHOOK_URL is set (`bot.webhook`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage

from bot.config import Settings
from bot.factory import build_app, build_bot
from bot.scheduler import build_scheduler
from bot.webhook import serve_updates
from db import migrate

log = logging.getLogger(__name__)

# A conversation left half-way (a birthday being typed, a quiz being written) is forgotten after
# this long, so that Redis does not keep every abandoned one.
FSM_TTL = timedelta(days=7)


def build_storage(settings: Settings, *, prefix: str = "loyalty:fsm") -> BaseStorage | None:
    """Conversation state in Redis when REDIS_URL is set: it survives a restart and any
    instance can continue it. Without Redis, None: the Dispatcher keeps it in memory."""
    if not settings.redis_url:
        return None
    return RedisStorage.from_url(
        settings.redis_url,
        key_builder=DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True),
        state_ttl=FSM_TTL,
        data_ttl=FSM_TTL,
    )


async def run_polling(settings: Settings) -> None:
    app = build_app(settings, storage=build_storage(settings))
    await migrate.upgrade(app.engine)
    bot = build_bot(settings)
    scheduler = build_scheduler(app, bot)
    # Scheduled jobs start with polling and stop before the bot's session closes.
    app.dispatcher.startup.register(scheduler.start)
    app.dispatcher.shutdown.register(scheduler.stop)
    # Broadcasts resume where they stopped; a stop records the messages in flight first.
    app.dispatcher.startup.register(app.broadcaster.start)
    app.dispatcher.shutdown.register(app.broadcaster.stop)
    api = None
    if settings.api_port:
        from bot.api.server import ApiServer

        # The HTTP API for cash registers stops before the bot's session closes: receipts of
        # the last requests still go out.
        api = ApiServer.for_app(app, bot)
        app.dispatcher.startup.register(api.start)
        app.dispatcher.shutdown.register(api.stop)
    # Outbound webhooks: whatever fell due while the bot was down goes out at start.
    app.dispatcher.startup.register(app.webhook_sender.start)
    app.dispatcher.shutdown.register(app.webhook_sender.stop)
    try:
        me = await bot.me()
        log.info("starting @%s (program %s)", me.username, app.program.name.get("en"))
        await serve_updates(app, bot)
    finally:
        if api is not None:
            await api.stop()
        await scheduler.stop()
        await app.broadcaster.stop()
        await app.webhook_sender.stop()
        await app.dispatcher.storage.close()
        await app.engine.dispose()
