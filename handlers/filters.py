from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.i18n import I18n


class IsMember(Filter):
    """Passes for people who joined the program; the fallback router answers everyone else."""

    async def __call__(self, event: TelegramObject, member: Any = None) -> bool:
        return member is not None


class MenuButton(Filter):
    """A reply-keyboard button, recognised in any language (the person may have just switched)."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        return message.text is not None and message.text in i18n.translator.variants(self.key)
