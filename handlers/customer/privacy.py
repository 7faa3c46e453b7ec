"""/mydata: a copy of the member's data as a JSON file. /delete: erase it, after a confirmation."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import I18n
from bot.services import privacy
from db.models import Member


class PrivacyAction(StrEnum):
    ERASE = "e"
    KEEP = "k"


class PrivacyCD(CallbackData, prefix="pv"):
    """`member` ties the answer to the membership it was asked about: a button left over
    from before an erasure never touches the person's new membership."""

    action: PrivacyAction
    member: int


def router() -> Router:
    router = Router(name="customer.privacy")
    router.message.register(my_data, Command("mydata"))
    router.message.register(ask_to_delete, Command("delete"))
    router.callback_query.register(decide, PrivacyCD.filter())
    return router


def confirm_keyboard(i18n: I18n, member_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("privacy-delete-yes"),
        callback_data=PrivacyCD(action=PrivacyAction.ERASE, member=member_id),
    )
    builder.button(
        text=i18n.plain("privacy-delete-no"),
        callback_data=PrivacyCD(action=PrivacyAction.KEEP, member=member_id),
    )
    builder.adjust(1)
    return builder.as_markup()


async def my_data(
    message: Message, session: AsyncSession, member: Member | None, i18n: I18n, clock: Clock
) -> None:
    if member is None:
        await message.answer(i18n("privacy-nothing-stored"))
        return
    export = await privacy.export(session, member, now=clock.now())
    await message.answer_document(
        BufferedInputFile(export.to_json(), filename="my-data.json"),
        caption=i18n(
            "privacy-export-caption", entries=export.entries, operations=export.operations
        ),
    )


async def ask_to_delete(message: Message, member: Member | None, i18n: I18n) -> None:
    if member is None:
        await message.answer(i18n("privacy-nothing-stored"))
        return
    await message.answer(
        i18n("privacy-delete-confirm", points=member.points_balance),
        reply_markup=confirm_keyboard(i18n, member.id),
    )


async def decide(
    query: CallbackQuery,
    callback_data: PrivacyCD,
    session: AsyncSession,
    member: Member | None,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    if member is None or member.id != callback_data.member:
        await query.answer(i18n.plain("privacy-already-deleted"))
        return
    await query.answer()
    if callback_data.action == PrivacyAction.KEEP:
        await query.message.edit_text(i18n("privacy-delete-cancelled"))  # type: ignore[union-attr]
        return
    await privacy.erase(session, member, now=clock.now())
    await state.clear()
    await query.message.edit_text(i18n("privacy-deleted"))  # type: ignore[union-attr]
    await query.message.answer(  # type: ignore[union-attr]
        i18n("privacy-goodbye"), reply_markup=ReplyKeyboardRemove()
    )
