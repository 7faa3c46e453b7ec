"""The `/commands` menu Telegram shows: the customer's everywhere, more for staff and owners."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import Translator
from bot.services.team import Role

log = logging.getLogger(__name__)

CUSTOMER = ("start", "card", "balance", "settings", "help", "mydata", "delete")
BY_ROLE = {
    Role.STAFF: ("staff",),
    Role.MARKETER: ("quiz", "quizzes", "broadcast", "broadcasts", "stats"),
    Role.OWNER: (
        "staff",
        "invite",
        "team",
        "locations",
        "jobs",
        "webhooks",
        "apikeys",
        "birthday",
        "quiz",
        "quizzes",
        "broadcast",
        "broadcasts",
        "stats",
    ),
}
ALL = CUSTOMER + tuple(dict.fromkeys(name for names in BY_ROLE.values() for name in names))


def _commands(translator: Translator, locale: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=translator.get(locale, f"cmd-{name}"))
        for name in names
    ]


async def announce_default(bot: Bot, translator: Translator) -> None:
    """In every language the bot speaks, plus the default language for all the others."""
    for locale in (None, *translator.locales):
        await bot.set_my_commands(
            _commands(translator, locale or translator.default_locale, CUSTOMER),
            scope=BotCommandScopeDefault(),
            language_code=locale,
        )


async def announce_for(
    bot: Bot, translator: Translator, chat_id: int, role: Role | None, locale: str
) -> None:
    """A person's own menu: a chat scope wins over the default one. `None` removes it."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(
                _commands(translator, locale, CUSTOMER + BY_ROLE[role]), scope=scope
            )
    except TelegramAPIError as exc:  # the person has never opened the bot: nothing to show
        log.info("commands for chat %s not updated: %s", chat_id, exc)
