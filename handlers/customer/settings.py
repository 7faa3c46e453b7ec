"""Settings: language, promotional messages and the birthday (its flow: `birthday.py`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.i18n import I18n, join_lines
from bot.services import members
from bot.services.engagement.birthdays import format_birthday
from db.models import Member
from handlers import keyboards
from handlers.callbacks import SettingsAction, SettingsCD
from handlers.filters import IsMember, MenuButton


def router() -> Router:
    router = Router(name="customer.settings")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(show_settings, Command("settings"))
    router.message.register(show_settings, MenuButton("menu-settings"))
    router.callback_query.register(change, SettingsCD.filter())
    return router


def render(i18n: I18n, member: Member) -> str:
    return join_lines(
        (
            i18n("settings-title"),
            i18n("settings-language"),
            i18n("settings-promo-on" if member.promo_opt_in else "settings-promo-off"),
            i18n("settings-birthday", date=format_birthday(member.birthday))
            if member.birthday
            else i18n("settings-birthday-none"),
        )
    )


async def show_settings(message: Message, member: Member, i18n: I18n) -> None:
    await message.answer(
        render(i18n, member), reply_markup=keyboards.settings(i18n, promo_on=member.promo_opt_in)
    )


async def change(
    query: CallbackQuery, callback_data: SettingsCD, member: Member, i18n: I18n
) -> None:
    if callback_data.action is SettingsAction.LANGUAGE:
        locale = i18n.translator.resolve(callback_data.value)
        if locale == member.language:
            await query.answer()
            return
        await members.set_language(member, locale)
        i18n = i18n.translator.bind(locale)
        notice = "settings-language-changed"
    else:
        enabled = callback_data.value == "1"
        if enabled == member.promo_opt_in:
            await query.answer()
            return
        await members.set_promo_opt_in(member, enabled)
        notice = "settings-promo-changed-on" if enabled else "settings-promo-changed-off"
    await query.answer()
    if query.message is not None:
        await query.message.edit_text(  # type: ignore[union-attr]
            render(i18n, member),
            reply_markup=keyboards.settings(i18n, promo_on=member.promo_opt_in),
        )
    # A fresh reply keyboard, so the menu speaks the new language at once.
    await query.bot.send_message(  # type: ignore[union-attr]
        query.from_user.id, i18n(notice), reply_markup=keyboards.main_menu(i18n)
    )
