"""`python -m bot [run|migrate|migrate-data|healthcheck|sandbox|api]`: the bot's command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from pydantic import ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A loyalty wallet for a café, salon or shop, in Telegram.",
        epilog="Configuration comes from the environment or .env: see README.md.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="apply migrations and serve updates: polling, or a webhook when WEBHOOK_URL is set "
        "(the default)",
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    move = commands.add_parser(
        "migrate-data",
        help="copy an existing program to an empty database (SQLite to PostgreSQL)",
        description="Copy every table from one database to an empty one, then verify row "
        "counts and every member's balance against the ledger. Stop the bot first.",
    )
    move.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="the database now in use, e.g. sqlite:///data/loyalty.db",
    )
    move.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="an empty database, e.g. postgresql://user:password@host/db",
    )
    move.add_argument(
        "--batch-size", type=int, default=1000, metavar="N", help="rows per insert (default 1000)"
    )
    commands.add_parser(
        "healthcheck",
        help="exit 0 if the running bot answers /healthz (webhook or metrics port), else 1",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="try the whole bot in a browser: no Telegram, no token (runs from a checkout)",
        description="Start a fake Telegram, the real bot against it and a chat page on "
        "127.0.0.1: act as customers, a staff member and the owner, and move the clock.",
    )
    sandbox.add_argument("--port", type=int, default=8080, help="the page's port (default 8080)")
    sandbox.add_argument(
        "--database",
        default="",
        metavar="URL_OR_PATH",
        help="keep the sandbox's data here (default: a temporary SQLite file, gone at exit)",
    )
    sandbox.add_argument(
        "--program", default=None, metavar="FILE", help="a program file (TOML) to try"
    )
    api = commands.add_parser(
        "api",
        help="serve only the HTTP API for cash registers and CRMs (receipts still go to "
        "members through the Bot API)",
        description="Apply migrations and serve the HTTP API (/v1) on API_HOST:API_PORT, "
        "without polling or a webhook: run it beside the bot.",
    )
    api.add_argument(
        "--port", type=int, default=None, help="the port (default API_PORT, else 8081)"
    )
    return parser


def _configure_logging(settings) -> None:  # noqa: ANN001
    from bot.observability import configure_logging

    configure_logging(
        settings.log_level, settings.log_format, (settings.bot_token.get_secret_value(),)
    )


def _settings(need_token: bool = True):  # noqa: ANN202
    from bot.config import Settings

    try:
        if need_token:
            return Settings()
        return Settings(bot_token="0:unused")  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]).upper()
            if error["type"] == "missing":
                print(
                    f"error: {field} is not set. Put it in the environment or in .env.",
                    file=sys.stderr,
                )
            else:
                print(f"error: {field}: {error['msg']}", file=sys.stderr)
        sys.exit(2)


def _sandbox(args: argparse.Namespace) -> int:
    import contextlib
    from pathlib import Path

    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        from bot.sandbox.app import serve
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tests"):
            print("error: the sandbox runs from a checkout of the repository", file=sys.stderr)
            return 2
        raise
    program = Path(args.program) if args.program else None
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve(port=args.port, database=args.database, program=program))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    from bot.config import Settings  # noqa: F401 - fail fast on import problems

    if command == "migrate-data":
        logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
        from bot.migrate_data import main as migrate_data

        return migrate_data(args.source, args.target, batch_size=args.batch_size)

    if command == "sandbox":
        return _sandbox(args)

    if command == "healthcheck":
        from bot.webhook import healthcheck

        return healthcheck(_settings(need_token=False))

    if command == "migrate":
        import os

        os.environ.setdefault("BOT_TOKEN", "0:unused")
        settings = _settings()
        _configure_logging(settings)
        from db import migrate
        from db.session import create_engine

        async def _migrate() -> None:
            engine = create_engine(settings.db_url)
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()

        asyncio.run(_migrate())
        print("database is up to date")
        return 0

    settings = _settings()
    _configure_logging(settings)
    if command == "api":
        from bot.api.server import run_api

        asyncio.run(run_api(settings, port=args.port))
        return 0
    from bot.app import run_polling

    asyncio.run(run_polling(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
