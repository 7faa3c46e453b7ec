"""Serving the HTTP API: inside the bot (started and stopped with the Dispatcher) or alone
(`python -m bot api`), where it still sends the members' receipts through the Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiogram import Bot
from aiohttp import web

from bot.api.app import ApiContext, build_api, context_for
from bot.config import Settings
from bot.factory import App, build_app, build_bot
from db import migrate

log = logging.getLogger("bot.api")

STANDALONE_PORT = 8081


class ApiServer:
    def __init__(self, ctx: ApiContext, *, host: str, port: int) -> None:
        self.ctx = ctx
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @classmethod
    def for_app(cls, app: App, bot: Bot | None, *, port: int | None = None) -> ApiServer:
        ctx = context_for(
            settings=app.settings,
            pool=app.pool,
            program=app.program,
            translator=app.translator,
            clock=app.clock,
            bot=bot,
        )
        port = port or app.settings.api_port or STANDALONE_PORT
        return cls(ctx, host=app.settings.api_host, port=port)

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(build_api(self.ctx), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        log.info("HTTP API listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.ctx.notifier.drain()


async def run_api(settings: Settings, *, port: int | None = None) -> None:
    """`python -m bot api`: migrate, then serve until SIGINT/SIGTERM."""
    app = build_app(settings)
    await migrate.upgrade(app.engine)
    bot = build_bot(settings)
    server = ApiServer.for_app(app, bot, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        await stop.wait()
        log.info("stopping the HTTP API")
    finally:
        await server.stop()
        await bot.session.close()
        await app.engine.dispose()
