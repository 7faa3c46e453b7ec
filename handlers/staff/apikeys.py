"""/apikeys: owners make and revoke the keys cash registers and CRMs use for the HTTP API."""

from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import api_keys, locations
from bot.services.api_keys import InvalidKeyName
from bot.services.locations import LocationGone
from bot.services.team import Person, Role


class ApiKeyInput(StatesGroup):
    name = State()


class ApiKeyAction(StrEnum):
    NEW = "n"
    LOCATION = "l"
    REVOKE = "r"
    CONFIRM = "c"
    KEEP = "k"


class ApiKeyCD(CallbackData, prefix="ak"):
    """`id`: the key to revoke, or the location chosen for a new key (0 = the whole shop)."""

    action: ApiKeyAction
    id: int = 0


def router() -> Router:
    router = Router(name="owner.apikeys")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(show_keys, Command("apikeys"))
    router.message.register(cancel, Command("cancel"), StateFilter(ApiKeyInput))
    router.message.register(named, ApiKeyInput.name, F.text, ~F.text.startswith("/"))
    router.callback_query.register(ask_name, ApiKeyCD.filter(F.action == ApiKeyAction.NEW))
    router.callback_query.register(
        choose_location, ApiKeyCD.filter(F.action == ApiKeyAction.LOCATION)
    )
    router.callback_query.register(ask_revoke, ApiKeyCD.filter(F.action == ApiKeyAction.REVOKE))
    router.callback_query.register(
        revoke, ApiKeyCD.filter(F.action.in_({ApiKeyAction.CONFIRM, ApiKeyAction.KEEP}))
    )
    return router


async def show_keys(
    message: Message, session: AsyncSession, i18n: I18n, settings: Settings, state: FSMContext
) -> None:
    await state.clear()
    rows = await api_keys.active(session)
    builder = InlineKeyboardBuilder()
    lines = [i18n("apikeys-title", count=len(rows))]
    for row in rows:
        key = row.key
        used = (
            i18n(
                "apikeys-used",
                date=key.last_used_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M"),
            )
            if key.last_used_at
            else i18n("apikeys-never-used")
        )
        lines.append(
            i18n(
                "apikeys-line",
                name=key.name,
                location=row.location or i18n.plain("apikeys-whole-shop"),
                created=key.created_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
                used=used,
            )
        )
        builder.button(
            text=i18n.plain("apikeys-btn-revoke", name=key.name[:40]),
            callback_data=ApiKeyCD(action=ApiKeyAction.REVOKE, id=key.id),
        )
    if not rows:
        lines.append(i18n("apikeys-empty"))
    builder.button(
        text=i18n.plain("apikeys-btn-new"), callback_data=ApiKeyCD(action=ApiKeyAction.NEW)
    )
    builder.adjust(1)
    await message.answer(join_lines(lines), reply_markup=builder.as_markup())


async def ask_name(query: CallbackQuery, i18n: I18n, state: FSMContext) -> None:
    await state.set_state(ApiKeyInput.name)
    await query.answer()
    await query.message.answer(i18n("apikeys-ask-name", max=api_keys.NAME_MAX))  # type: ignore[union-attr]


async def cancel(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await message.answer(i18n("apikeys-cancelled"))


async def named(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        name = api_keys.clean_name(message.text or "")
    except InvalidKeyName:
        await message.answer(i18n("apikeys-name-invalid", max=api_keys.NAME_MAX))
        return
    places = await locations.active(session)
    if not places:
        await state.clear()
        await _create(message, session, person, i18n, clock, name=name, location_id=None)
        return
    await state.set_state(None)
    await state.update_data(apikey_name=name)
    builder = InlineKeyboardBuilder()
    for place in places:
        builder.button(
            text=place.name, callback_data=ApiKeyCD(action=ApiKeyAction.LOCATION, id=place.id)
        )
    builder.button(
        text=i18n.plain("apikeys-whole-shop-button"),
        callback_data=ApiKeyCD(action=ApiKeyAction.LOCATION, id=0),
    )
    builder.adjust(1)
    await message.answer(i18n("apikeys-ask-location", name=name), reply_markup=builder.as_markup())


async def choose_location(
    query: CallbackQuery,
    callback_data: ApiKeyCD,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    name = data.get("apikey_name")
    if not name:  # an old button: the key was made already, or never started
        await query.answer(i18n.plain("stale-button"), show_alert=True)
        return
    await query.answer()
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(reply_markup=None)
    made = await _create(
        query.message,
        session,
        person,
        i18n,
        clock,
        name=name,
        location_id=callback_data.id or None,
    )
    if made:
        await state.clear()


async def _create(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    *,
    name: str,
    location_id: int | None,
) -> bool:
    try:
        new = await api_keys.create(
            session,
            name=name,
            location_id=location_id,
            created_by=person.telegram_id,
            now=clock.now(),
        )
    except LocationGone:
        await message.answer(i18n("apikeys-location-gone"))
        return False
    location = await locations.name_of(session, new.key.location_id) or i18n.plain(
        "apikeys-whole-shop"
    )
    await message.answer(
        i18n("apikeys-created", name=new.key.name, location=location, key=new.token)
    )
    return True


def _confirm_buttons(i18n: I18n, key_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("apikeys-btn-revoke-yes"),
        callback_data=ApiKeyCD(action=ApiKeyAction.CONFIRM, id=key_id),
    )
    builder.button(
        text=i18n.plain("apikeys-btn-revoke-no"),
        callback_data=ApiKeyCD(action=ApiKeyAction.KEEP, id=key_id),
    )
    return builder.as_markup()


async def ask_revoke(
    query: CallbackQuery, callback_data: ApiKeyCD, session: AsyncSession, i18n: I18n
) -> None:
    key = await api_keys.get_active(session, callback_data.id)
    if key is None:
        await query.answer(i18n.plain("apikeys-gone"), show_alert=True)
        return
    await query.answer()
    await query.message.answer(  # type: ignore[union-attr]
        i18n("apikeys-revoke-ask", name=key.name), reply_markup=_confirm_buttons(i18n, key.id)
    )


async def revoke(
    query: CallbackQuery,
    callback_data: ApiKeyCD,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    assert isinstance(query.message, Message)
    if callback_data.action is ApiKeyAction.KEEP:
        await query.answer()
        await query.message.edit_text(i18n("apikeys-kept"))
        return
    key = await api_keys.revoke(session, callback_data.id, by=person.telegram_id, now=clock.now())
    if key is None:
        await query.answer(i18n.plain("apikeys-gone"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(i18n("apikeys-revoked", name=key.name))
