from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.i18n import Translator
from bot.services import members


class MemberContextMiddleware(BaseMiddleware):
    """Finds who is writing (`member` is None for a person who has not joined) and binds
    `i18n` to their language: the saved one, else Telegram's `language_code`, else the default."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        member = None
        if user is not None:
            member = await members.get_by_telegram_id(data["session"], user.id)
        data["member"] = member
        locale = self.translator.resolve(
            member.language if member else None, user.language_code if user else None
        )
        data["i18n"] = self.translator.bind(locale)
        return await handler(event, data)
