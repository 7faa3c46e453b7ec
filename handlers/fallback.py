"""The last router: whatever nobody else took gets a polite, translated answer."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import I18n
from bot.services.program import Program
from handlers import keyboards


def router() -> Router:
    router = Router(name="fallback")
    router.message.register(anything)
    router.callback_query.register(stale_button)
    return router


async def anything(message: Message, i18n: I18n, program: Program, member: object = None) -> None:
    if member is None:
        await message.answer(i18n("join-first"), reply_markup=keyboards.consent(i18n))
        return
    await message.answer(i18n("unknown-input"), reply_markup=keyboards.main_menu(i18n))


async def stale_button(query: CallbackQuery, i18n: I18n) -> None:
    await query.answer(i18n.plain("stale-button"))
