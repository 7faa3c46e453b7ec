"""Who may do what, decided in one place.

`PersonMiddleware` (outer) puts `person` (role and staff mode) into every update's data.
`RoleGate` (inner, on a router) lets a handler run only for the roles it names; anyone else gets a
polite refusal and nothing changes. A revoked staff member is refused on their next tap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.config import Settings
from bot.services import team
from bot.services.team import Person, Role


class PersonMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        settings: Settings = data["settings"]
        if user is None:
            data["person"] = Person(0, None)
        else:
            session = data["session"]
            person = await team.identify(session, user.id, settings.owner_ids)
            if person.is_owner:
                await team.ensure_owner_row(
                    session, user.id, name=user.full_name, now=data["clock"].now()
                )
            if person.role is not None:
                await team.remember_language(session, user.id, data["i18n"].locale)
            data["person"] = person
        return await handler(event, data)


class RoleGate(BaseMiddleware):
    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        person: Person = data["person"]
        if person.role in self.roles:
            return await handler(event, data)
        text = data["i18n"].plain("role-refused")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
        return None
