from __future__ import annotations

from aiogram.types import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.i18n import I18n
from handlers.callbacks import (
    CardAction,
    CardCD,
    ConsentCD,
    HistoryCD,
    SettingsAction,
    SettingsCD,
)
from handlers.customer.birthday import BirthdayAction, BirthdayCD

# Only features that exist are on the menu; later features add their keys here.
MENU_ROWS: tuple[tuple[str, ...], ...] = (
    ("menu-card", "menu-balance"),
    ("menu-invite", "menu-quizzes"),
    ("menu-settings", "menu-help"),
)


def main_menu(i18n: I18n) -> ReplyKeyboardMarkup:
    builder = ReplyKeyboardBuilder()
    for row in MENU_ROWS:
        builder.row(*(KeyboardButton(text=i18n.plain(key)) for key in row))
    return builder.as_markup(
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=i18n.plain("menu-placeholder"),
    )


def consent(i18n: I18n, ref: str = "") -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.plain("consent-button"), callback_data=ConsentCD(ref=ref))
    return builder.as_markup()


def phone_request(i18n: I18n) -> ReplyKeyboardMarkup:
    builder = ReplyKeyboardBuilder()
    builder.row(KeyboardButton(text=i18n.plain("phone-share-button"), request_contact=True))
    builder.row(KeyboardButton(text=i18n.plain("phone-skip-button")))
    return builder.as_markup(resize_keyboard=True, one_time_keyboard=True)


def card(i18n: I18n) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("card-refresh-button"), callback_data=CardCD(action=CardAction.REFRESH)
    )
    return builder.as_markup()


def history(i18n: I18n, page: int, pages: int) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text=i18n.plain("history-prev"), callback_data=HistoryCD(page=page - 1))
    if page + 1 < pages:
        builder.button(text=i18n.plain("history-next"), callback_data=HistoryCD(page=page + 1))
    return builder.as_markup() if builder.buttons else None


def settings(i18n: I18n, *, promo_on: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    other = "en" if i18n.locale == "ru" else "ru"
    builder.button(
        text=i18n.plain("settings-language-button"),
        callback_data=SettingsCD(action=SettingsAction.LANGUAGE, value=other),
    )
    builder.button(
        text=i18n.plain("settings-promo-turn-off" if promo_on else "settings-promo-turn-on"),
        callback_data=SettingsCD(action=SettingsAction.PROMO, value="0" if promo_on else "1"),
    )
    builder.button(
        text=i18n.plain("settings-birthday-button"),
        callback_data=BirthdayCD(action=BirthdayAction.ASK),
    )
    builder.adjust(1)
    return builder.as_markup()


REMOVE = ReplyKeyboardRemove()
