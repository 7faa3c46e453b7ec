"""`python -m bot [run|migrate]`: the bot's command line."""

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
    commands.add_parser("run", help="apply migrations and start polling (the default)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    return parser


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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    from bot.config import Settings  # noqa: F401 - fail fast on import problems

    if command == "migrate":
        import os

        os.environ.setdefault("BOT_TOKEN", "0:unused")
        settings = _settings()
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
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
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bot.app import run_polling

    asyncio.run(run_polling(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
