"""Broadcast delivery against the fake Bot API server: the sustained rate within Telegram's
limit, and the sender's own ceiling without one.

Run: python -m bench.broadcast [--database-url URL] [--recipients N] [--rate R]

The fake Bot API server (`tests.fakes.server.FakeBotAPIServer`) runs in a process of its own,
so that its work doesn't count against the bot's, and the bot talks to it over HTTP with its
real aiohttp session. Two broadcasts of the same message (copyMessage) to N members (10 000 by
default), through the bot's `Broadcaster` (the outbox, batches, the shared pacer):

- limited: the server enforces Telegram's 30 messages a second (and one a second per chat);
  the bot is configured for R a second (30 by default: at the limit). Measured: the sustained
  rate from the first message to the last, as a share of R, and the 429 answers;
- ceiling: no limit on the server, the bot configured for paid broadcasts at 1000 a second.
  Measured: messages a second from the first to the last.

Targets (issue #8): limited >= 95% of R with no 429 when R <= 30; ceiling >= 500 a second.
Prints the figures as JSON on its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    backend,
    database_argument,
    fresh_database,
    resolve_url,
    summary,
    verdict,
    workdir,
)

MARKETER = 7001
FIRST_MEMBER = 100_000


async def serve(recipients: int, limit: int) -> None:
    """The fake server's process: print its URL and the source message, serve until stdin
    closes, then print how many 429 answers it gave."""
    from tests.fakes.server import FakeBotAPIServer
    from tests.fakes.telegram import FakeTelegram

    telegram = FakeTelegram()
    marketer = telegram.user(MARKETER, "Mira", "en")
    for telegram_id in range(FIRST_MEMBER, FIRST_MEMBER + recipients):
        telegram.user(telegram_id, f"Member {telegram_id}")
    if limit:
        telegram.rate_limit(global_per_second=limit, per_chat_per_second=1)
    source = telegram.send_text(marketer, "Autumn sale: −20% on everything")
    async with FakeBotAPIServer(telegram) as server:
        print(json.dumps({"url": server.url, "source": source}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
    copies = sum(1 for call in telegram.calls if call.method == "copyMessage" and call.ok)
    print(json.dumps({"throttled": telegram.throttled, "copies": copies}), flush=True)


@contextlib.contextmanager
def fake_server(recipients: int, limit: int) -> Any:
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.broadcast",
            "--serve",
            str(recipients),
            "--limit",
            str(limit),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert process.stdin is not None and process.stdout is not None
    started = json.loads(process.stdout.readline())
    outcome: dict[str, Any] = {}
    try:
        yield started, outcome
    finally:
        process.stdin.close()
        outcome.update(json.loads(process.stdout.readline() or "{}"))
        process.wait(timeout=30)


async def send(url: str, folder: Path, recipients: int, rate: int, limit: int) -> dict[str, Any]:
    """One broadcast to `recipients` members at `rate` a second through a server enforcing
    `limit` (0: none)."""
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.clock import AdjustableClock
    from bot.factory import build_bot
    from db.session import create_pool
    from tests.marketing import (
        NOW,
        Stopwatch,
        add_members,
        broadcaster,
        member_row,
        new_broadcast,
        program,
        settings_for,
        wait_until_final,
    )

    engine = await fresh_database(url)
    pool = create_pool(engine)
    try:
        await add_members(pool, (member_row(FIRST_MEMBER + index) for index in range(recipients)))
        settings = settings_for(folder, broadcast_rate=rate, broadcast_paid=rate > 30)
        with fake_server(recipients, limit) as (server, outcome):
            bot = build_bot(
                settings, session=AiohttpSession(api=TelegramAPIServer.from_base(server["url"]))
            )
            stopwatch = Stopwatch()
            bot.session.middleware(stopwatch)
            broadcast_id = await new_broadcast(pool, server["source"])
            sender = broadcaster(
                pool, settings, program(), AdjustableClock(NOW, frozen=True), progress_every=3.0
            )
            await sender.start(bot)
            try:
                finished = await wait_until_final(pool, broadcast_id, timeout=recipients + 120)
            finally:
                await sender.stop()
                await bot.session.close()
    finally:
        await engine.dispose()
    moments = sorted(at for at, _ in stopwatch.sent())
    took = moments[-1] - moments[0] if len(moments) > 1 else 0.0
    return {
        "sent": len(moments),
        "status": str(finished.status),
        "per_s": (len(moments) - 1) / took if took else 0.0,
        "throttled": int(outcome.get("throttled", -1)),
        "seconds": took,
    }


async def run(url: str, folder: Path, recipients: int, rate: int) -> dict[str, Any]:
    ceiling = await send(url, folder, recipients, rate=1000, limit=0)
    limited = await send(url, folder, recipients, rate=rate, limit=30)
    share = limited["per_s"] / rate
    return {
        "benchmark": "broadcast",
        "database": backend(url),
        "recipients": recipients,
        "rate": rate,
        "limited_per_s": round(limited["per_s"], 2),
        "limited_share": round(share, 3),
        "limited_sent": limited["sent"],
        "throttled": limited["throttled"],
        "ceiling_per_s": round(ceiling["per_s"]),
        "ceiling_sent": ceiling["sent"],
        "rate_target": verdict(share >= 0.95 and limited["throttled"] == 0),
        "ceiling_target": verdict(ceiling["per_s"] >= 500),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_argument(parser)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="BROADCAST_RATE for the limited run")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=30, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.serve is not None:
        asyncio.run(serve(args.serve, args.limit))
        return
    started = time.perf_counter()
    with workdir() as folder:
        url = resolve_url(args.database_url, Path(folder))
        figures = asyncio.run(run(url, Path(folder), args.recipients, args.rate))
    figures["wall_s"] = round(time.perf_counter() - started)
    print(summary(figures))


if __name__ == "__main__":
    main()
