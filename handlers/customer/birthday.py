"""Settings → Birthday: the member types the date once, confirms it, and it is locked."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, join_lines
from bot.services.engagement.birthdays import (
    BirthdayLocked,
    InvalidBirthday,
    format_birthday,
    gift_waits_a_year,
    parse_birthday,
    set_own_birthday,
)
from bot.services.program import Program
from db.models import Member
from handlers.filters import IsMember


class BirthdayInput(StatesGroup):
    date = State()


class BirthdayAction(StrEnum):
    ASK = "a"
    SAVE = "s"


class BirthdayCD(CallbackData, prefix="bd"):
    action: BirthdayAction


def router() -> Router:
    router = Router(name="customer.birthday")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.callback_query.register(ask, BirthdayCD.filter(F.action == BirthdayAction.ASK))
    router.callback_query.register(save, BirthdayCD.filter(F.action == BirthdayAction.SAVE))
    router.message.register(typed, BirthdayInput.date, F.text)
    return router


def confirm_keyboard(i18n: I18n) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("birthday-confirm-yes"),
        callback_data=BirthdayCD(action=BirthdayAction.SAVE),
    )
    builder.button(
        text=i18n.plain("birthday-confirm-retry"),
        callback_data=BirthdayCD(action=BirthdayAction.ASK),
    )
    return builder.as_markup()


async def ask(query: CallbackQuery, member: Member, i18n: I18n, state: FSMContext) -> None:
    await query.answer()
    if member.birthday is not None:
        await query.message.answer(  # type: ignore[union-attr]
            i18n("birthday-locked", date=format_birthday(member.birthday))
        )
        return
    await state.set_state(BirthdayInput.date)
    await query.message.answer(i18n("birthday-ask"))  # type: ignore[union-attr]


async def typed(
    message: Message,
    member: Member,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
) -> None:
    text = message.text or ""
    if not any(char.isdigit() for char in text):
        # Not an attempt at a date: the person moved on; let the other handlers answer.
        await state.clear()
        raise SkipHandler
    if member.birthday is not None:
        await state.clear()
        await message.answer(i18n("birthday-locked", date=format_birthday(member.birthday)))
        return
    try:
        birthday = parse_birthday(text, today=clock.now().astimezone(settings.tz).date())
    except InvalidBirthday as exc:
        await message.answer(i18n(f"birthday-invalid-{exc.problem.value}"))
        return
    await state.update_data(birthday=birthday.isoformat())
    await message.answer(
        i18n("birthday-confirm", date=format_birthday(birthday)),
        reply_markup=confirm_keyboard(i18n),
    )


async def save(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    typed_date = (await state.get_data()).get("birthday")
    if member.birthday is not None:
        await state.clear()
        await query.answer()
        await query.message.edit_text(  # type: ignore[union-attr]
            i18n("birthday-locked", date=format_birthday(member.birthday))
        )
        return
    if typed_date is None:
        await query.answer(i18n.plain("stale-button"))
        return
    birthday = date.fromisoformat(typed_date)
    now = clock.now()
    try:
        await set_own_birthday(session, member, birthday, now=now)
    except BirthdayLocked:
        await query.answer(i18n.plain("stale-button"))
        return
    finally:
        await state.clear()
    await query.answer()
    known_days = program.birthday.known_days
    waits = gift_waits_a_year(birthday, now.astimezone(settings.tz).date(), known_days)
    await query.message.edit_text(  # type: ignore[union-attr]
        join_lines(
            (
                i18n("birthday-saved", date=format_birthday(birthday)),
                i18n("birthday-saved-next-year", days=known_days) if waits else "",
            )
        )
    )
