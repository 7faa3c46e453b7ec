"""How updates arrive: polling (the default), or a webhook server when WEBHOOK_URL is set.

The webhook server (aiohttp) listens on WEBHOOK_HOST:WEBHOOK_PORT at `Settings.webhook_path`:
- every request must carry Telegram's `X-Telegram-Bot-Api-Secret-Token`; a wrong or missing
  one is answered 401 and nothing is processed;
- an update is answered 200 at once and processed in the background, so Telegram never waits
  for a slow handler;
- an update delivered twice is processed once: its id is remembered for `DEDUP_TTL` seconds, in
  Redis (`SET NX EX`, shared by every instance) when REDIS_URL is set, else in this process
  (which only protects a single instance);
- `/healthz` answers 200 while the database answers `SELECT 1`, else 503; `/readyz` answers 200
  once the bot started and the webhook is set.
`/metrics` (Prometheus) is served on METRICS_PORT: by the webhook server when the ports are the
same, else by a small server of its own (with `/healthz` too), in either mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from aiogram import Bot
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.factory import App
from bot.observability import UPDATES, WEBHOOK_REQUESTS, metrics_payload

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEDUP_TTL = 600  # seconds an update id is remembered; Telegram redelivers within minutes
HEALTH_TIMEOUT = 5.0
DRAIN_TIMEOUT = 25.0  # seconds a stopping server gives updates in progress to finish


class SeenUpdates(Protocol):
    async def first_time(self, update_id: int) -> bool:
        """True the first time an update id is offered within the TTL, False after."""
        ...


class MemorySeenUpdates:
    """Update ids in this process only: enough for one instance, not for several."""

    def __init__(
        self,
        ttl: float = DEDUP_TTL,
        *,
        max_size: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self.clock = clock
        self._expiry: OrderedDict[int, float] = OrderedDict()

    async def first_time(self, update_id: int) -> bool:
        now = self.clock()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
        if update_id in self._expiry:
            return False
        self._expiry[update_id] = now + self.ttl
        if len(self._expiry) > self.max_size:
            self._expiry.popitem(last=False)
        return True


class RedisSeenUpdates:
    """Update ids in Redis, shared by every instance behind the webhook."""

    def __init__(self, redis: Redis, bot_id: int, ttl: int = DEDUP_TTL) -> None:
        self.redis = redis
        self.prefix = f"loyalty:update:{bot_id}"
        self.ttl = ttl

    async def first_time(self, update_id: int) -> bool:
        return bool(await self.redis.set(f"{self.prefix}:{update_id}", 1, nx=True, ex=self.ttl))


def seen_updates_for(app: App, bot: Bot) -> SeenUpdates:
    storage = app.dispatcher.storage
    if isinstance(storage, RedisStorage):
        return RedisSeenUpdates(storage.redis, bot.id)
    return MemorySeenUpdates()


def _update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "unknown")


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, with duplicate deliveries skipped and the work drained on stop."""

    def __init__(self, app: App, bot: Bot, *, secret_token: str, seen: SeenUpdates) -> None:
        if not secret_token:
            raise ValueError("the webhook needs a secret token")
        super().__init__(app.dispatcher, bot, handle_in_background=True, secret_token=secret_token)
        self.seen = seen

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            WEBHOOK_REQUESTS.labels("401").inc()
            return web.Response(status=401, text="Unauthorized")
        try:
            update = await request.json(loads=self.bot.session.json_loads)
            update_id = int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            WEBHOOK_REQUESTS.labels("400").inc()
            return web.Response(status=400, text="Bad Request")
        if not await self.seen.first_time(update_id):
            WEBHOOK_REQUESTS.labels("200").inc()
            UPDATES.labels(_update_type(update), "duplicate").inc()
            log.info("update %s delivered again: skipped", update_id)
            return web.json_response({})
        task = asyncio.create_task(self._process(update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        WEBHOOK_REQUESTS.labels("200").inc()
        return web.json_response({})

    async def _process(self, update: dict[str, Any]) -> None:
        try:
            await self._background_feed_update(self.bot, update)
        except Exception:  # handler errors are handled by the Dispatcher; this is the rest
            log.exception("update %s could not be processed", update.get("update_id"))

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Let updates in progress finish (they were already acknowledged to Telegram)."""
        pending = set(self._background_feed_update_tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d updates were still running at shutdown and were cancelled", len(late))
            await asyncio.gather(*late, return_exceptions=True)


class Health:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def healthz(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            log.warning("health check: the database is unreachable: %s", type(exc).__name__)
            return web.json_response({"status": "unavailable", "database": "down"}, status=503)
        return web.json_response({"status": "ok", "database": "up"})


async def metrics(_request: web.Request) -> web.Response:
    body, content_type = metrics_payload()
    return web.Response(body=body, headers={"Content-Type": content_type})


def metrics_app(engine: AsyncEngine) -> web.Application:
    """The metrics port's own server: `/metrics`, and `/healthz` for polling mode."""
    web_app = web.Application()
    web_app.router.add_get("/metrics", metrics)
    web_app.router.add_get("/healthz", Health(engine).healthz)
    return web_app


class WebhookServer:
    """The aiohttp application of webhook mode. Start-up runs the Dispatcher's start-up
    (commands, scheduled jobs); shutdown drains updates in progress, then runs the Dispatcher's
    shutdown and closes the bot's session. The webhook itself is left set: other instances may
    still be serving it, and a restarted one sets it again."""

    def __init__(self, app: App, bot: Bot, *, seen: SeenUpdates | None = None) -> None:
        self.app = app
        self.bot = bot
        self.settings = app.settings
        self.ready = False
        self.handler = WebhookHandler(
            app,
            bot,
            secret_token=self.settings.webhook_secret_token(),
            seen=seen or seen_updates_for(app, bot),
        )

    def web_app(self) -> web.Application:
        web_app = web.Application()
        web_app.router.add_post(self.settings.webhook_path, self.handler.handle)
        web_app.router.add_get("/healthz", Health(self.app.engine).healthz)
        web_app.router.add_get("/readyz", self.readyz)
        if self.settings.metrics_port == self.settings.webhook_port:
            web_app.router.add_get("/metrics", metrics)
        web_app.on_startup.append(self._on_startup)
        web_app.on_shutdown.append(self._on_shutdown)
        return web_app

    async def readyz(self, _request: web.Request) -> web.Response:
        if self.ready:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "starting"}, status=503)

    async def set_webhook(self) -> None:
        dispatcher = self.app.dispatcher
        await self.bot.set_webhook(
            self.settings.webhook_endpoint,
            secret_token=self.settings.webhook_secret_token(),
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        self.ready = True
        log.info("webhook set; serving on port %s", self.settings.webhook_port)

    async def _on_startup(self, _web_app: web.Application) -> None:
        dispatcher = self.app.dispatcher
        await dispatcher.emit_startup(
            bot=self.bot, dispatcher=dispatcher, **dispatcher.workflow_data
        )

    async def _on_shutdown(self, _web_app: web.Application) -> None:
        self.ready = False
        dispatcher = self.app.dispatcher
        await self.handler.drain()
        await dispatcher.emit_shutdown(
            bot=self.bot, dispatcher=dispatcher, **dispatcher.workflow_data
        )
        await self.bot.session.close()


async def start_site(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_webhook(app: App, bot: Bot, stop: asyncio.Event | None = None) -> None:
    """Serve the webhook until SIGINT/SIGTERM (or `stop`)."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    server = WebhookServer(app, bot)
    runner = web.AppRunner(server.web_app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        settings = app.settings
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await server.set_webhook()
        await stop.wait()
        log.info("stopping the webhook server")
    finally:
        await runner.cleanup()


def healthcheck(settings: Settings) -> int:
    """`python -m bot healthcheck`, for Docker: 0 when the running bot's `/healthz` answers
    200 (the webhook port, else the metrics port). Polling without a metrics port listens on
    nothing: then the process being alive is all there is to check."""
    if settings.webhook_url:
        port = settings.webhook_port
    elif settings.metrics_port:
        port = settings.metrics_port
    else:
        return 0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return 0 if answer.status == 200 else 1
    except OSError:  # refused, timed out, or an HTTP error status
        return 1


async def serve_updates(app: App, bot: Bot) -> None:
    """Polling, or the webhook server when WEBHOOK_URL is set; and `/metrics` on METRICS_PORT
    unless the webhook server serves it."""
    settings = app.settings
    metrics_runner = None
    if settings.metrics_port and not (
        settings.webhook_url and settings.metrics_port == settings.webhook_port
    ):
        metrics_runner = await start_site(
            metrics_app(app.engine), settings.metrics_host, settings.metrics_port
        )
    try:
        if settings.webhook_url:
            await run_webhook(app, bot)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            await app.dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        if metrics_runner is not None:
            await metrics_runner.cleanup()
