"""Owners: `/locations`, the branches of a chain. Add, rename, archive (with a confirmation),
and say where the owner works when serving at the counter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from bot.services import locations
from bot.services.locations import LocationGone, NameInvalid, NameTaken
from bot.services.team import Person, Role
from db.models import Location
from handlers.callbacks import MoveCD


class LocationAction(StrEnum):
    ADD = "a"
    RENAME = "r"
    ARCHIVE = "x"
    ARCHIVE_YES = "y"
    ARCHIVE_NO = "n"
    MINE = "h"  # where the owner works at the counter


class LocationCD(CallbackData, prefix="lc"):
    action: LocationAction
    loc: int = 0


class LocationInput(StatesGroup):
    name = State()  # data: loc, the location being renamed (0 = a new one)


def router() -> Router:
    router = Router(name="owner.locations")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(show_locations, Command("locations"))
    router.message.register(cancel, Command("cancel"), StateFilter(LocationInput))
    router.message.register(type_name, LocationInput.name, F.text, ~F.text.startswith("/"))
    router.callback_query.register(act, LocationCD.filter())
    return router


def place_picker(
    i18n: I18n, places: Sequence[Location], data: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """A button per active location, then "No specific location" (0)."""
    builder = InlineKeyboardBuilder()
    for place in places:
        builder.button(text=f"📍 {place.name}", callback_data=data(place.id))
    builder.button(text=i18n.plain("locations-btn-none"), callback_data=data(0))
    builder.adjust(2)
    return builder.as_markup()


async def render_list(
    session: AsyncSession, i18n: I18n, clock: Clock, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    rows = await locations.summaries(session, now=clock.now(), tz=settings.tz)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("locations-btn-add"),
        callback_data=LocationCD(action=LocationAction.ADD),
    )
    places = [row for row in rows if row.location_id is not None]
    if not places:
        return i18n("locations-empty"), builder.as_markup()
    builder.button(
        text=i18n.plain("locations-btn-mine"),
        callback_data=LocationCD(action=LocationAction.MINE),
    )
    lines = [i18n("locations-title")]
    for row in rows:
        if row.location_id is None:
            lines.append(i18n("locations-line-unassigned", today=row.today, recent=row.recent))
            continue
        lines.append(
            i18n(
                "locations-line",
                name=row.name,
                people=row.people,
                today=row.today,
                recent=row.recent,
            )
        )
        builder.button(
            text=i18n.plain("locations-btn-rename", name=row.name[:40]),
            callback_data=LocationCD(action=LocationAction.RENAME, loc=row.location_id),
        )
        builder.button(
            text=i18n.plain("locations-btn-archive", name=row.name[:40]),
            callback_data=LocationCD(action=LocationAction.ARCHIVE, loc=row.location_id),
        )
    builder.adjust(2)
    return join_lines(lines), builder.as_markup()


async def show_locations(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    await state.clear()
    body, markup = await render_list(session, i18n, clock, settings)
    await message.answer(body, reply_markup=markup)


async def cancel(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await message.answer(i18n("locations-cancelled"))


async def act(
    query: CallbackQuery,
    callback_data: LocationCD,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    message = query.message
    assert message is not None
    action = callback_data.action
    if action is LocationAction.ADD:
        await query.answer()
        await state.set_state(LocationInput.name)
        await state.update_data(loc=0)
        await message.answer(i18n("locations-ask-name", max=locations.NAME_MAX))
        return
    if action is LocationAction.MINE:
        places = await locations.active(session)
        await query.answer()
        await message.answer(
            i18n("locations-ask-mine"),
            reply_markup=place_picker(
                i18n, places, lambda loc: MoveCD(user=person.telegram_id, loc=loc)
            ),
        )
        return
    location = await locations.get(session, callback_data.loc)
    if action is LocationAction.ARCHIVE_YES and location and location.archived_at is not None:
        await query.answer()  # a double tap: archived already
        return
    if location is None or location.archived_at is not None:
        await query.answer(i18n.plain("locations-gone"), show_alert=True)
        return
    await query.answer()
    if action is LocationAction.RENAME:
        await state.set_state(LocationInput.name)
        await state.update_data(loc=location.id)
        await message.answer(
            i18n("locations-ask-rename", name=location.name, max=locations.NAME_MAX)
        )
    elif action is LocationAction.ARCHIVE:
        people = await locations.people_at(session, location.id)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n.plain("locations-btn-archive-yes"),
            callback_data=LocationCD(action=LocationAction.ARCHIVE_YES, loc=location.id),
        )
        builder.button(
            text=i18n.plain("locations-btn-archive-no"),
            callback_data=LocationCD(action=LocationAction.ARCHIVE_NO, loc=location.id),
        )
        await message.answer(
            i18n("locations-archive-ask", name=location.name, people=people),
            reply_markup=builder.as_markup(),
        )
    elif action is LocationAction.ARCHIVE_YES:
        await locations.archive(session, location.id, now=clock.now())
        await message.edit_text(i18n("locations-archived", name=location.name))  # type: ignore[union-attr]
    else:
        await message.edit_text(i18n("locations-archive-kept", name=location.name))  # type: ignore[union-attr]


async def type_name(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    location_id = int((await state.get_data()).get("loc", 0))
    try:
        if location_id:
            old = await locations.name_of(session, location_id)
            location = await locations.rename(session, location_id, message.text or "")
            done = i18n("locations-renamed", old=old or "", name=location.name)
        else:
            location = await locations.create(
                session, message.text or "", created_by=person.telegram_id, now=clock.now()
            )
            done = i18n("locations-added", name=location.name)
    except NameInvalid:
        await message.answer(i18n("locations-name-invalid", max=locations.NAME_MAX))
        return
    except NameTaken as exc:
        key = "locations-name-taken-archived" if exc.archived else "locations-name-taken"
        await message.answer(i18n(key, name=exc.name))
        return
    except LocationGone:
        await state.clear()
        await message.answer(i18n("locations-gone"))
        return
    await state.clear()
    body, markup = await render_list(session, i18n, clock, settings)
    await message.answer(f"{done}\n\n{body}", reply_markup=markup)
