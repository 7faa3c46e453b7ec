"""The daily jobs on a generated program: wall time and peak memory of each, one process each.

Run: python -m bench.jobs [--database-url URL] [--members N] [--reuse] [--jobs birthday,winback]
[--no-batch]

Generates N members (1 000 000 by default) and 3 N point lots with bulk INSERT … SELECT
(PostgreSQL generate_series, SQLite a recursive CTE), in the state a program reaches after
running every day: lots that expired before yesterday are written off already, earlier
reminders, birthday offers and win-back offers were sent. So "today" has what a real day has:
the lots that expired yesterday (3 N / 200), the reminders whose 30-, 7- and 1-day windows open
today, the birthdays of today (and none left from the catch-up days), the members whose 60 days
without a purchase end today.

Then runs each job (`expire`, `expiry_reminders`, `birthday`, `winback`, in the bot's order) in
a fresh process, as the scheduler would: `bot.services.engagement.run`, which selects the
members, writes the ledger entries, lots, coupons and gift records in batches, and hands every
message to the bot's own `bot.delivery.Sender` over a session that answers at once (no network;
no rate limit: the rate is benchmark 2's subject). Measured per job: wall time of the whole run
and the process's peak resident memory (ru_maxrss), with its resident memory before the run.
Targets (issue #8): each job under 10 s, peak under 300 MB. Prints JSON on its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import (
    backend,
    database_argument,
    fresh_database,
    is_postgres,
    peak_rss_mb,
    resolve_url,
    rss_mb,
    summary,
    verdict,
    workdir,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow: every job's hour
TZ = ZoneInfo("Europe/Moscow")
JOBS = ("expire", "expiry_reminders", "birthday", "winback")
LOTS_PER_MEMBER = 3
SPREAD_DAYS = 200  # lots expire from 20 days ago to 179 days ahead, evenly
WINBACK_DAYS = 60  # the default program's after_days

_POSTGRES = {
    "series": "generate_series(1, :count) AS seq(n)",
    "with": "",
    "code": "lpad(upper(to_hex(n)), 8, '0')",
    "month_day": "to_char({}, 'MM-DD')",
}
_SQLITE = {
    "series": "seq",
    "with": (
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count) "
    ),
    "code": "printf('%08X', n)",
    "month_day": "strftime('%m-%d', {})",
}


def _moment(postgres: bool, days: str, hours: int = 0) -> str:
    """SQL for NOW + `days` (an SQL integer expression) days + `hours` hours, in the form
    the column type stores."""
    if postgres:
        return (
            f"(TIMESTAMPTZ '{NOW.isoformat()}' + ({days}) * INTERVAL '1 day'"
            f" + INTERVAL '{hours} hours')"
        )
    base = NOW.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', '{base}', ({days}) || ' days', '{hours} hours')"
        " || '.000000')"
    )


def _day(postgres: bool, base: str, days: str) -> str:
    if postgres:
        return f"(DATE '{base}' + CAST(({days}) AS INTEGER))"
    return f"date('{base}', ({days}) || ' days')"


def generation_sql(postgres: bool) -> list[tuple[str, str]]:
    """(what, statement) in order; `:count` is the number of members (or lots)."""
    sql = _POSTGRES if postgres else _SQLITE
    today = NOW.astimezone(TZ).date()
    catch_up = ", ".join(repr((today - timedelta(days=d)).strftime("%m-%d")) for d in (1, 2, 3))
    # A lot's expiry, in days from today (local), from its ledger entry's id.
    offset = f"((e.id * 7) % {SPREAD_DAYS}) - 20"
    lot_expiry = _moment(postgres, offset, hours=-2)  # 10:00 local that day; NOW is 12:00
    idle = "((n * 11) % 365)"  # days since the last purchase
    statements = [
        (
            "members",
            f"INSERT INTO members (id, telegram_id, first_name, last_name, language, short_code, "
            f"card_version, points_balance, stamps, tier, birthday, birthday_set_at, "
            f"promo_opt_in, consent_at, created_at, last_purchase_at) "
            f"{sql['with']}SELECT n, 1000000000 + n, 'Member ' || n, '', "
            f"CASE WHEN n % 3 = 0 THEN 'en' ELSE 'ru' END, {sql['code']}, 1, 0, n % 5, 'base', "
            f"CASE WHEN n % 5 = 0 THEN NULL ELSE {_day(postgres, '1990-01-01', '(n * 13) % 365')}"
            f" END, {_moment(postgres, '-500')}, n % 10 <> 0, {_moment(postgres, '-500')}, "
            f"{_moment(postgres, '-400 - n % 300')}, {_moment(postgres, f'-{idle}', hours=-3)} "
            f"FROM {sql['series']}",
        ),
        (
            "ledger entries",
            f"INSERT INTO ledger_entries (member_id, delta, balance_after, kind, reason, "
            f"idempotency_key, created_at) "
            f"{sql['with']}SELECT (n + {LOTS_PER_MEMBER - 1}) / {LOTS_PER_MEMBER}, 100, 100, "
            f"'earn', '', 'seed:' || n, {_moment(postgres, '-200')} FROM {sql['series']}",
        ),
        (
            "point lots",
            f"INSERT INTO point_lots (member_id, entry_id, amount, remaining, expires_at, "
            f"created_at) SELECT e.member_id, e.id, 100, "
            f"CASE WHEN {offset} < -1 THEN 0 ELSE 50 END, {lot_expiry}, "
            f"{_moment(postgres, f'{offset} - 180')} FROM ledger_entries e",
        ),
        (
            "balances",
            "UPDATE members SET points_balance = totals.points FROM (SELECT member_id, "
            "sum(remaining) AS points FROM point_lots GROUP BY member_id) AS totals "
            "WHERE members.id = totals.member_id",
        ),
        (
            # Reminders sent on earlier days: every open lot inside the 30-day window got the
            # 30-day one (8..29 days left) or the 7-day one (2..6 days left).
            "expiry reminders",
            f"INSERT INTO expiry_reminders (member_id, expires_on, days_before, points, "
            f"created_at) SELECT e.member_id, {_day(postgres, str(today), offset)}, "
            f"CASE WHEN {offset} >= 8 THEN 30 ELSE 7 END, 50, {_moment(postgres, '-1')} "
            f"FROM ledger_entries e WHERE {offset} BETWEEN 2 AND 29 AND {offset} <> 7",
        ),
        (
            # Birthday offers of the last three days (the job's catch-up window).
            "birthday gifts",
            f"INSERT INTO birthday_gifts (member_id, year, celebrated_on, points, created_at) "
            f"SELECT id, {today.year}, birthday, 100, {_moment(postgres, '-1')} FROM members "
            f"WHERE {sql['month_day'].format('birthday')} IN ({catch_up})",
        ),
        (
            # Win-back offers of earlier days: everyone idle for longer than 60 days.
            "win-back offers",
            f"INSERT INTO winback_offers (member_id, inactive_since, points, created_at) "
            f"SELECT id, last_purchase_at, 0, {_moment(postgres, '-1')} FROM members "
            f"WHERE last_purchase_at < {_moment(postgres, f'-{WINBACK_DAYS + 1}', hours=12)}",
        ),
    ]
    if postgres:
        statements.append(
            (
                "sequence",
                "SELECT setval(pg_get_serial_sequence('members', 'id'), max(id)) FROM members",
            )
        )
        statements.append(("statistics", "ANALYZE"))
    return statements


async def generate(url: str, members: int) -> dict[str, float]:
    """A fresh database with `members` members; seconds each step took."""
    engine = await fresh_database(url)
    postgres = is_postgres(url)
    took: dict[str, float] = {}
    try:
        for what, statement in generation_sql(postgres):
            count = members * LOTS_PER_MEMBER if what == "ledger entries" else members
            began = time.perf_counter()
            async with engine.begin() as conn:
                params = {"count": count} if ":count" in statement else {}
                await conn.execute(text(statement), params)
            took[what] = round(time.perf_counter() - began, 1)
    finally:
        await engine.dispose()
    return took


def _bot() -> Any:
    from aiogram import Bot
    from aiogram.client.session.base import BaseSession
    from aiogram.types import Chat, Message

    class InstantSession(BaseSession):
        """A Bot API session that answers every call at once, without a network."""

        sent = 0

        async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
            type(self).sent += 1
            return Message(
                message_id=self.sent,
                date=NOW,
                chat=Chat(id=method.chat_id, type="private"),
                text=method.text,
            )

        async def stream_content(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def close(self) -> None:
            return None

    return Bot("4242:TEST", session=InstantSession())


async def run_one(url: str, name: str, *, set_based: bool = True) -> dict[str, Any]:
    """Run one job as the scheduler would (its own process): the figures as a dict.
    `set_based=False` forces the per-member path (`Engagement.set_based`), for comparison."""
    from bot.clock import AdjustableClock
    from bot.delivery import Sender
    from bot.i18n import Translator
    from bot.services import engagement
    from bot.services.program import Program
    from db.session import create_engine, create_pool

    engine = create_engine(url)
    pool = create_pool(engine)
    clock = AdjustableClock(NOW, frozen=True)
    bot = _bot()
    sender = Sender(bot, pool, clock, per_second=0)
    sending = 0.0

    async def send(telegram_id: int, text: str) -> bool:
        # The messages' own cost (Bot API call through aiogram, the sender's bookkeeping), kept
        # apart so the job's database work can be read on its own: at Telegram's pace the
        # messages take minutes whatever the job does.
        nonlocal sending
        started = time.perf_counter()
        try:
            return await sender(telegram_id, text)
        finally:
            sending += time.perf_counter() - started

    ctx = engagement.Engagement(
        pool=pool,
        program=Program(),
        translator=Translator(),
        tz=TZ,
        clock=clock,
        send=send,
        set_based=set_based,
    )
    before = rss_mb()
    began = time.perf_counter()
    report = await engagement.run(ctx, name)
    took = time.perf_counter() - began
    await engine.dispose()
    return {
        "job": name,
        "status": str(report.status),
        "seconds": round(took, 2),
        "sending_s": round(sending, 2),
        "without_sending_s": round(took - sending, 2),
        "members": report.members,
        "messages": report.messages,
        "errors": report.errors,
        "rss_before_mb": round(before),
        "peak_mb": round(peak_rss_mb()),
    }


def run_in_process(url: str, name: str, *, set_based: bool = True) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.jobs", "--database-url", url, "--run-one", name]
    found = subprocess.run(
        [*command, *([] if set_based else ["--no-batch"])],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    if found.returncode != 0:
        raise RuntimeError(f"job {name} failed:\n{found.stderr[-3000:]}")
    return json.loads(found.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_argument(parser)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--reuse", action="store_true", help="run the jobs on the data already at URL"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the jobs in this process (quicker; peak memory then adds up across jobs)",
    )
    parser.add_argument(
        "--jobs",
        default=",".join(JOBS),
        help="the jobs to run, comma-separated (default: all, in the bot's order)",
    )
    parser.add_argument(
        "--no-batch",
        action="store_true",
        help="force every job's per-member path (Engagement.set_based=False), for comparison",
    )
    parser.add_argument("--run-one", choices=JOBS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    set_based = not args.no_batch
    if args.run_one:
        figures = asyncio.run(run_one(args.database_url, args.run_one, set_based=set_based))
        print(json.dumps(figures))
        return
    jobs = [name for name in args.jobs.split(",") if name]
    unknown = set(jobs) - set(JOBS)
    if unknown:
        parser.error(f"unknown jobs: {', '.join(sorted(unknown))}")
    with workdir() as folder:
        url = resolve_url(args.database_url, Path(folder))
        generated: dict[str, float] = {}
        if not args.reuse:
            generated = asyncio.run(generate(url, args.members))
        if args.in_process:
            runs = [asyncio.run(run_one(url, name, set_based=set_based)) for name in jobs]
        else:
            runs = [run_in_process(url, name, set_based=set_based) for name in jobs]
    for run in runs:
        print(json.dumps(run), file=sys.stderr)
    slowest = max(run["seconds"] for run in runs)
    peak = max(run["peak_mb"] for run in runs)
    figures: dict[str, Any] = {
        "benchmark": "jobs",
        "database": backend(url),
        "members": args.members,
        "set_based": set_based,
        "generate_s": round(sum(generated.values()), 1),
    }
    for run in runs:
        key = run["job"]
        figures[f"{key}_s"] = run["seconds"]
        figures[f"{key}_without_sending_s"] = run["without_sending_s"]
        figures[f"{key}_members"] = run["members"]
        figures[f"{key}_peak_mb"] = run["peak_mb"]
    figures.update(
        slowest_s=slowest,
        peak_mb=peak,
        time_target=verdict(slowest < 10),
        without_sending_target=verdict(max(run["without_sending_s"] for run in runs) < 10),
        memory_target=verdict(peak < 300),
    )
    print(summary(figures))


if __name__ == "__main__":
    main()
