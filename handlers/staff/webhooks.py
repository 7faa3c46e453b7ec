"""Owners' outbound webhooks: `/webhooks` lists the endpoints with how their deliveries went;
an owner adds one (the address, then the events; the signing secret is shown once), sends it a
test event, retries its failed deliveries, disables or deletes it. Sending is
`bot.webhook_sender`'s."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import webhooks
from bot.services.team import Person, Role
from bot.services.webhooks import EVENTS, EndpointView, WebhookError

if TYPE_CHECKING:
    from bot.webhook_sender import WebhookSender

URL_SHOWN = 80  # characters of an address in the list (the card shows it whole)
ERROR_SHOWN = 120
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # the addresses are not for previews


class AddEndpoint(StatesGroup):
    url = State()
    events = State()


class Act(StrEnum):
    LIST = "l"
    OPEN = "o"
    ADD = "a"
    TOGGLE = "t"
    ALL = "e"
    SAVE = "s"
    PING = "p"
    RETRY = "r"
    ENABLE = "n"
    DISABLE = "x"
    DELETE = "d"


class WebhookCD(CallbackData, prefix="wh"):
    act: Act
    ep: int = 0
    ev: int = 0
    yes: bool = False


def router() -> Router:
    """Owners only; anyone else who tries gets the polite refusal."""
    router = Router(name="owner.webhooks")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(cancel_adding, Command("cancel"), StateFilter(AddEndpoint))
    router.message.register(show_endpoints, Command("webhooks"))
    router.message.register(type_url, AddEndpoint.url, F.text & ~F.text.startswith("/"))
    router.callback_query.register(back_to_list, WebhookCD.filter(F.act == Act.LIST))
    router.callback_query.register(open_endpoint, WebhookCD.filter(F.act == Act.OPEN))
    router.callback_query.register(ask_url, WebhookCD.filter(F.act == Act.ADD))
    router.callback_query.register(pick_event, WebhookCD.filter(F.act.in_({Act.TOGGLE, Act.ALL})))
    router.callback_query.register(save, WebhookCD.filter(F.act == Act.SAVE))
    router.callback_query.register(send_test, WebhookCD.filter(F.act == Act.PING))
    router.callback_query.register(retry, WebhookCD.filter(F.act == Act.RETRY))
    router.callback_query.register(
        change, WebhookCD.filter(F.act.in_({Act.ENABLE, Act.DISABLE, Act.DELETE}))
    )
    return router


# ---- views --------------------------------------------------------------------------------------


def event_names(i18n: I18n, events: list[str]) -> str:
    if set(events) >= {event.value for event in EVENTS}:
        return i18n.plain("webhooks-events-all")
    return ", ".join(events)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint_lines(
    i18n: I18n, view: EndpointView, settings: Settings, *, url_limit: int
) -> list[str]:
    state = "webhooks-active" if view.active else "webhooks-disabled"
    lines = [
        i18n("webhooks-endpoint", id=str(view.id), state=i18n.plain(state)),
        i18n("webhooks-url", url=_short(view.url, url_limit)),
        i18n("webhooks-events", events=event_names(i18n, view.events)),
        i18n(
            "webhooks-stats",
            delivered=view.delivered,
            pending=view.pending,
            failed=view.failed,
        ),
    ]
    if view.pending and view.next_attempt_at is not None:
        when = view.next_attempt_at.astimezone(settings.tz).strftime("%d.%m %H:%M")
        lines.append(i18n("webhooks-next-attempt", time=when))
    if view.last_error:
        lines.append(i18n("webhooks-last-error", error=_short(view.last_error, ERROR_SHOWN)))
    return lines


def render_list(
    i18n: I18n, views: list[EndpointView], settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    lines = [i18n("webhooks-title")]
    if not views:
        lines.append(i18n("webhooks-empty"))
    for view in views:
        lines += ["", *endpoint_lines(i18n, view, settings, url_limit=URL_SHOWN)]
        builder.button(
            text=i18n.plain("webhooks-open-button", id=str(view.id), url=_short(view.url, 32)),
            callback_data=WebhookCD(act=Act.OPEN, ep=view.id),
        )
    if len(views) < webhooks.ENDPOINTS_MAX:
        builder.button(
            text=i18n.plain("webhooks-add-button"), callback_data=WebhookCD(act=Act.ADD)
        )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def render_card(
    i18n: I18n, view: EndpointView, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    if view.active:
        builder.button(
            text=i18n.plain("webhooks-ping-button"),
            callback_data=WebhookCD(act=Act.PING, ep=view.id),
        )
    if view.failed:
        builder.button(
            text=i18n.plain("webhooks-retry-button", count=view.failed),
            callback_data=WebhookCD(act=Act.RETRY, ep=view.id),
        )
    if view.active:
        builder.button(
            text=i18n.plain("webhooks-disable-button"),
            callback_data=WebhookCD(act=Act.DISABLE, ep=view.id),
        )
    else:
        builder.button(
            text=i18n.plain("webhooks-enable-button"),
            callback_data=WebhookCD(act=Act.ENABLE, ep=view.id),
        )
    builder.button(
        text=i18n.plain("webhooks-delete-button"),
        callback_data=WebhookCD(act=Act.DELETE, ep=view.id),
    )
    builder.button(text=i18n.plain("webhooks-back-button"), callback_data=WebhookCD(act=Act.LIST))
    builder.adjust(1)
    lines = endpoint_lines(i18n, view, settings, url_limit=webhooks.URL_MAX)
    return join_lines(lines), builder.as_markup()


def picker(i18n: I18n, chosen: set[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, event in enumerate(EVENTS):
        mark = "✅" if event.value in chosen else "▫️"
        builder.button(
            text=f"{mark} {i18n.plain('webhooks-event-' + event.value.replace('.', '-'))}",
            callback_data=WebhookCD(act=Act.TOGGLE, ev=index),
        )
    builder.button(text=i18n.plain("webhooks-all-button"), callback_data=WebhookCD(act=Act.ALL))
    builder.button(text=i18n.plain("webhooks-save-button"), callback_data=WebhookCD(act=Act.SAVE))
    builder.adjust(1)
    return builder.as_markup()


async def _show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Put the view in place of the message the button was under (a repeated tap that would
    show the same thing again is fine: Telegram refuses identical edits)."""
    try:
        await query.message.edit_text(  # type: ignore[union-attr]
            text, reply_markup=markup, link_preview_options=NO_PREVIEW
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            raise


async def _view(session: AsyncSession, endpoint_id: int) -> EndpointView | None:
    return next((v for v in await webhooks.endpoints(session) if v.id == endpoint_id), None)


# ---- the list and one endpoint ------------------------------------------------------------------


async def show_endpoints(
    message: Message, session: AsyncSession, i18n: I18n, settings: Settings
) -> None:
    text, markup = render_list(i18n, await webhooks.endpoints(session), settings)
    await message.answer(text, reply_markup=markup, link_preview_options=NO_PREVIEW)


async def back_to_list(
    query: CallbackQuery, session: AsyncSession, i18n: I18n, settings: Settings
) -> None:
    text, markup = render_list(i18n, await webhooks.endpoints(session), settings)
    await query.answer()
    await _show(query, text, markup)


async def open_endpoint(
    query: CallbackQuery,
    callback_data: WebhookCD,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
) -> None:
    view = await _view(session, callback_data.ep)
    if view is None:
        await query.answer(i18n.plain("webhooks-not-found"), show_alert=True)
        return
    text, markup = render_card(i18n, view, settings)
    await query.answer()
    await _show(query, text, markup)


async def send_test(
    query: CallbackQuery,
    callback_data: WebhookCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    webhook_sender: WebhookSender | None = None,
) -> None:
    delivery_id = await webhooks.ping(session, callback_data.ep, now=clock.now())
    if delivery_id is None:
        await query.answer(i18n.plain("webhooks-not-found"), show_alert=True)
        return
    if webhook_sender is not None:
        webhook_sender.wake_after_commit(session)
    await query.answer(i18n.plain("webhooks-ping-queued", id=str(delivery_id)), show_alert=True)


async def retry(
    query: CallbackQuery,
    callback_data: WebhookCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    webhook_sender: WebhookSender | None = None,
) -> None:
    count = await webhooks.retry_failed(session, callback_data.ep, now=clock.now())
    view = await _view(session, callback_data.ep)
    if webhook_sender is not None:
        webhook_sender.wake_after_commit(session)
    await query.answer(i18n.plain("webhooks-retry-queued", count=count), show_alert=True)
    if view is not None and count:
        text, markup = render_card(i18n, view, settings)
        await _show(query, text, markup)


async def change(
    query: CallbackQuery,
    callback_data: WebhookCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    """Enable at once; disable and delete after a confirmation."""
    endpoint_id, act = callback_data.ep, callback_data.act
    view = await _view(session, endpoint_id)
    if view is None:
        await query.answer(i18n.plain("webhooks-not-found"), show_alert=True)
        return
    if act is not Act.ENABLE and not callback_data.yes:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n.plain(f"webhooks-confirm-{act.name.lower()}-button"),
            callback_data=WebhookCD(act=act, ep=endpoint_id, yes=True),
        )
        builder.button(
            text=i18n.plain("webhooks-keep-button"),
            callback_data=WebhookCD(act=Act.OPEN, ep=endpoint_id),
        )
        builder.adjust(1)
        await query.answer()
        text = i18n(f"webhooks-confirm-{act.name.lower()}", id=str(endpoint_id), url=view.url)
        await _show(query, text, builder.as_markup())
        return
    if act is Act.DELETE:
        await webhooks.delete_endpoint(session, endpoint_id)
        text, markup = render_list(i18n, await webhooks.endpoints(session), settings)
        await query.answer(i18n.plain("webhooks-deleted", id=str(endpoint_id)))
    else:
        await webhooks.set_enabled(
            session, endpoint_id, enabled=act is Act.ENABLE, now=clock.now()
        )
        changed = await _view(session, endpoint_id)
        assert changed is not None
        text, markup = render_card(i18n, changed, settings)
        await query.answer(
            i18n.plain("webhooks-enabled" if act is Act.ENABLE else "webhooks-disabled-now")
        )
    await _show(query, text, markup)


# ---- adding one ---------------------------------------------------------------------------------


async def ask_url(
    query: CallbackQuery, session: AsyncSession, i18n: I18n, state: FSMContext
) -> None:
    if len(await webhooks.endpoints(session)) >= webhooks.ENDPOINTS_MAX:
        await query.answer(
            i18n.plain("webhooks-too-many", max=webhooks.ENDPOINTS_MAX), show_alert=True
        )
        return
    await state.clear()
    await state.set_state(AddEndpoint.url)
    await query.answer()
    await query.message.answer(i18n("webhooks-ask-url"))  # type: ignore[union-attr]


async def type_url(message: Message, i18n: I18n, state: FSMContext) -> None:
    url = webhooks.clean_url(message.text or "")
    if url is None:
        await message.answer(i18n("webhooks-bad-url", max=webhooks.URL_MAX))
        return
    await state.set_state(AddEndpoint.events)
    await state.update_data(url=url, events=[])
    await message.answer(
        i18n("webhooks-ask-events", url=url),
        reply_markup=picker(i18n, set()),
        link_preview_options=NO_PREVIEW,
    )


async def pick_event(
    query: CallbackQuery, callback_data: WebhookCD, i18n: I18n, state: FSMContext
) -> None:
    if await state.get_state() != AddEndpoint.events.state:
        await query.answer(i18n.plain("webhooks-stale"), show_alert=True)
        return
    chosen = set((await state.get_data()).get("events", []))
    if callback_data.act is Act.ALL:
        everything = {event.value for event in EVENTS}
        chosen = set() if chosen == everything else everything
    elif 0 <= callback_data.ev < len(EVENTS):
        chosen ^= {EVENTS[callback_data.ev].value}
    await state.update_data(events=sorted(chosen))
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=picker(i18n, chosen))  # type: ignore[union-attr]


async def save(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    if await state.get_state() != AddEndpoint.events.state:
        await query.answer(i18n.plain("webhooks-stale"), show_alert=True)
        return
    data = await state.get_data()
    try:
        created = await webhooks.add_endpoint(
            session,
            url=data.get("url", ""),
            events=data.get("events", []),
            created_by=person.telegram_id,
            now=clock.now(),
        )
    except WebhookError as exc:
        key = {"events": "webhooks-no-events", "too_many": "webhooks-too-many"}.get(
            exc.reason, "webhooks-stale"
        )
        await query.answer(i18n.plain(key, max=webhooks.ENDPOINTS_MAX), show_alert=True)
        return
    await state.clear()
    await query.answer()
    await query.message.edit_text(  # type: ignore[union-attr]
        i18n(
            "webhooks-created",
            id=str(created.endpoint_id),
            url=data["url"],
            events=event_names(i18n, data["events"]),
            secret=created.secret,
        ),
        link_preview_options=NO_PREVIEW,
    )


async def cancel_adding(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await message.answer(i18n("webhooks-add-cancelled"))
