"""Footprint: the time from starting `python -m bot run` to its first getUpdates, and the
resident memory of the idle bot, next to a bare aiogram polling bot started the same way.

Run: python -m bench.footprint [--database-url URL] [--idle SECONDS]

The fake Bot API server (`tests.fakes.server.FakeBotAPIServer`) runs in this process; the bot
is a child process (`TELEGRAM_API_URL` points it at the fake), started twice: on an empty
database (the first start migrates it) and again on the migrated one (every later start). Start-up
is from spawning the process to the fake receiving its first getUpdates; memory is VmRSS from
/proc after it has polled idle for `--idle` seconds (5 by default). The bare bot imports aiogram,
builds a Dispatcher with one handler and polls: the framework's own floor.
Targets (issue #8): idle RSS under 150 MB, start-up under 2 s. Prints JSON on its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import (
    backend,
    database_argument,
    fresh_database,
    resolve_url,
    rss_mb,
    summary,
    verdict,
    workdir,
)

BARE_BOT = """
import asyncio, os
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
router = Router()
@router.message()
async def echo(message):
    await message.answer(message.text or "")
dispatcher = Dispatcher()
dispatcher.include_router(router)
session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
asyncio.run(dispatcher.start_polling(Bot(os.environ["BOT_TOKEN"], session=session)))
"""


class PollWatch:
    """An aiohttp middleware on the fake server: notes when a getUpdates request arrives (the
    fake records a call only once answered, and a long poll is answered much later)."""

    def __init__(self) -> None:
        self.polled = asyncio.Event()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith("/getUpdates"):
            self.polled.set()
        return await handler(request)


async def start(command: list[str], env: dict[str, str], watch: PollWatch, idle: float) -> dict:
    """Spawn `command`, wait for its first getUpdates, let it idle, read its RSS, stop it."""
    watch.polled.clear()
    first_poll = watch.polled
    root = Path(__file__).resolve().parent.parent
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        await asyncio.wait_for(first_poll.wait(), timeout=60)
        startup = time.perf_counter() - began
        await asyncio.sleep(idle)
        rss = rss_mb(process.pid)
    except TimeoutError:
        process.kill()
        _, errors = process.communicate()
        raise RuntimeError(f"no getUpdates within 60 s:\n{errors.decode()[-2000:]}") from None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait, 30)
    return {"startup_s": startup, "rss_mb": rss}


async def run(url: str, folder: Path, idle: float, once: bool = False) -> dict[str, Any]:
    from tests.fakes.server import FakeBotAPIServer

    engine = await fresh_database(url)
    await engine.dispose()
    root = Path(__file__).resolve().parent.parent
    server = FakeBotAPIServer()
    watch = PollWatch()
    server.app.middlewares.append(watch.middleware)
    async with server:
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "BOT_TOKEN": "4242:TEST",
            "TELEGRAM_API_URL": server.url,
            "DATABASE_URL": url,
            "DATA_DIR": str(folder),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough",
            "OWNER_IDS": "",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": "",
            "WEBHOOK_URL": "",
            "METRICS_PORT": "",
        }
        bot = [sys.executable, "-m", "bot", "run"]
        first = await start(bot, env, watch, idle)
        if once:
            again = bare = first
        else:
            again = await start(bot, env, watch, idle)
            bare = await start([sys.executable, "-c", BARE_BOT], env, watch, idle)
    return {
        "benchmark": "footprint",
        "database": backend(url),
        "startup_s": round(again["startup_s"], 2),
        "first_startup_s": round(first["startup_s"], 2),
        "idle_rss_mb": round(again["rss_mb"]),
        "bare_aiogram_startup_s": round(bare["startup_s"], 2),
        "bare_aiogram_rss_mb": round(bare["rss_mb"]),
        "startup_target": verdict(again["startup_s"] < 2),
        "rss_target": verdict(again["rss_mb"] < 150),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_argument(parser)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading RSS")
    parser.add_argument(
        "--once", action="store_true", help="start the bot once only (no restart, no bare bot)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with workdir() as folder:
        url = resolve_url(args.database_url, Path(folder))
        figures = asyncio.run(run(url, Path(folder), args.idle, args.once))
    print(summary(figures))


if __name__ == "__main__":
    main()
