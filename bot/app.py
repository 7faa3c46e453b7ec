"""Running the bot: migrate, then poll until SIGINT/SIGTERM."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.factory import build_app, build_bot
from db import migrate

log = logging.getLogger(__name__)


async def run_polling(settings: Settings) -> None:
    app = build_app(settings)
    await migrate.upgrade(app.engine)
    bot = build_bot(settings)
    try:
        me = await bot.me()
        log.info("starting @%s (program %s)", me.username, app.program.name.get("en"))
        await bot.delete_webhook(drop_pending_updates=False)
        await app.dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        await app.engine.dispose()
