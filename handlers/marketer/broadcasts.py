"""Broadcasts for marketers and owners: `/broadcast` composes one (any message, an optional link
button, the audience), shows it exactly as members will see it, then sends it now or at a set
time; `/broadcasts` reports how the latest went. Sending itself is `bot.broadcasting`'s.

The views of what members get (`member_markup`, `quiz_text`) and of the author's progress
message (`render_progress`) live here too, so that the preview and the real thing are one code.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
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
from bot.services import broadcasts
from bot.services.broadcasts import (
    BroadcastError,
    BroadcastKind,
    BroadcastStatus,
    Content,
    Control,
    Draft,
    Progress,
    QuizCard,
    Tally,
)
from bot.services.program import Program
from bot.services.program import text as program_text
from bot.services.segments import NUMBER_FILTERS, Segment, parse_days
from bot.services.team import Role
from handlers.customer.quizzes import QuizPlayCD
from handlers.customer.unsubscribe import UnsubscribeCD

if TYPE_CHECKING:
    from bot.broadcasting import Broadcaster

BUTTON_TEXT_MAX = 64
BUTTON_URL_MAX = 512
SUMMARY_LENGTH = 100
SCHEDULE_AHEAD = timedelta(days=366)
BAR_CELLS = 10
REPORTED = 10
COPYABLE = ("text", "photo", "video", "animation", "document", "audio", "voice")
_LINK_SCHEMES = ("https", "http", "tg")
_WHEN_RE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?\s+(\d{1,2})[:.](\d{2})\s*$",
)


class Compose(StatesGroup):
    message = State()
    button = State()
    audience = State()
    days = State()
    confirm = State()
    when = State()


class Step(StrEnum):
    NO_BUTTON = "n"
    PREVIEW = "v"
    SEND = "s"
    SCHEDULE = "w"
    AUDIENCE = "a"
    DISCARD = "d"


class ComposeCD(CallbackData, prefix="bc"):
    step: Step


class Filter(StrEnum):
    TIER = "t"
    LANGUAGE = "l"
    INACTIVE = "i"
    JOINED = "j"
    EXPIRING = "e"
    BIRTHDAY = "b"
    NEVER = "n"
    EVERYONE = "r"


_DAYS_FIELD = {
    Filter.INACTIVE: "inactive_days",
    Filter.JOINED: "joined_days",
    Filter.EXPIRING: "expiring_days",
}


class AudienceCD(CallbackData, prefix="ba"):
    pick: Filter
    value: str = ""


class Act(StrEnum):
    PAUSE = "p"
    RESUME = "r"
    CANCEL = "x"


class BroadcastCD(CallbackData, prefix="bx"):
    act: Act
    broadcast: int


_CONTROL = {Act.PAUSE: Control.PAUSE, Act.RESUME: Control.RESUME, Act.CANCEL: Control.CANCEL}
_DONE = {
    Control.PAUSE: "broadcast-paused-now",
    Control.RESUME: "broadcast-resumed-now",
    Control.CANCEL: "broadcast-cancelled-now",
}
_STATUSES = frozenset(status.value for status in BroadcastStatus)


def router() -> Router:
    """Owners and marketers only; anyone else who tries gets the polite refusal."""
    router = Router(name="marketer.broadcasts")
    gate = RoleGate(Role.OWNER, Role.MARKETER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(discard_by_command, Command("cancel"), StateFilter(Compose))
    router.message.register(new_broadcast, Command("broadcast"))
    router.message.register(show_reports, Command("broadcasts"))
    # Other commands typed mid-way go to their own handlers; the draft waits.
    typed = F.text & ~F.text.startswith("/")
    router.message.register(compose, Compose.message, ~F.text.startswith("/"))
    router.message.register(type_button, Compose.button, typed)
    router.message.register(type_days, Compose.days, typed)
    router.message.register(type_when, Compose.when, typed)
    router.callback_query.register(no_button, ComposeCD.filter(F.step == Step.NO_BUTTON))
    router.callback_query.register(change_audience, AudienceCD.filter())
    router.callback_query.register(preview, ComposeCD.filter(F.step == Step.PREVIEW))
    router.callback_query.register(back_to_audience, ComposeCD.filter(F.step == Step.AUDIENCE))
    router.callback_query.register(send_now, ComposeCD.filter(F.step == Step.SEND))
    router.callback_query.register(ask_when, ComposeCD.filter(F.step == Step.SCHEDULE))
    router.callback_query.register(discard, ComposeCD.filter(F.step == Step.DISCARD))
    router.callback_query.register(control, BroadcastCD.filter())
    return router


# ---- what members see --------------------------------------------------------------------------


def member_markup(i18n: I18n, content: Content) -> InlineKeyboardMarkup:
    """The buttons under a promotional message: the author's link, the quiz, Unsubscribe."""
    builder = InlineKeyboardBuilder()
    if content.button_text and content.button_url:
        builder.button(text=content.button_text, url=content.button_url)
    if content.quiz is not None:
        builder.button(
            text=i18n.plain("broadcast-quiz-play"),
            callback_data=QuizPlayCD(quiz=content.quiz.quiz_id),
        )
    builder.button(text=i18n.plain("broadcast-unsubscribe"), callback_data=UnsubscribeCD())
    builder.adjust(1)
    return builder.as_markup()


def quiz_text(i18n: I18n, card: QuizCard, settings: Settings) -> str:
    last_day = (card.ends_at - timedelta(seconds=1)).astimezone(settings.tz)
    return join_lines(
        (
            i18n("broadcast-quiz-title", title=card.title),
            i18n(
                "broadcast-quiz-body",
                questions=card.questions,
                points=card.points_per_correct,
                until=last_day.strftime("%d.%m.%Y"),
            ),
            i18n("broadcast-quiz-bonus", points=card.completion_bonus)
            if card.completion_bonus
            else "",
        )
    )


# ---- composing ---------------------------------------------------------------------------------


async def new_broadcast(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(Compose.message)
    await message.answer(i18n("broadcast-ask-message"))


async def discard_by_command(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await message.answer(i18n("broadcast-discarded"))


async def compose(message: Message, i18n: I18n, state: FSMContext) -> None:
    """Whatever the author sends is what members get, copied with its formatting and media."""
    if message.content_type not in COPYABLE:
        await message.answer(i18n("broadcast-ask-message-again"))
        return
    summary = message.text or message.caption or f"[{message.content_type}]"
    await state.update_data(
        source_chat=message.chat.id,
        source_message=message.message_id,
        summary=" ".join(summary.split())[:SUMMARY_LENGTH],
        segment={},
    )
    await state.set_state(Compose.button)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("broadcast-no-button"), callback_data=ComposeCD(step=Step.NO_BUTTON)
    )
    await message.answer(i18n("broadcast-ask-button"), reply_markup=builder.as_markup())


def parse_button(text: str) -> tuple[str, str] | None:
    """`Label | https://link` (or the label and the link separated by a space)."""
    parts = text.strip().split()
    if len(parts) < 2:
        return None
    url = parts[-1]
    label = " ".join(parts[:-1]).strip(" |—-:").strip()
    address = urlsplit(url)
    if address.scheme not in _LINK_SCHEMES or not (address.netloc or address.scheme == "tg"):
        return None
    if not 1 <= len(label) <= BUTTON_TEXT_MAX or len(url) > BUTTON_URL_MAX:
        return None
    return label, url


async def type_button(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    parsed = parse_button(message.text or "")
    if parsed is None:
        await message.answer(i18n("broadcast-button-invalid", limit=BUTTON_TEXT_MAX))
        return
    await state.update_data(button_text=parsed[0], button_url=parsed[1])
    await state.set_state(Compose.audience)
    await _send_audience(message, session, i18n, state, clock, settings, program)


async def no_button(
    query: CallbackQuery,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    if await state.get_state() != Compose.button.state:
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    await query.answer()
    await state.update_data(button_text=None, button_url=None)
    await state.set_state(Compose.audience)
    await _send_audience(query.message, session, i18n, state, clock, settings, program)  # type: ignore[arg-type]


# ---- the audience ------------------------------------------------------------------------------


def describe(i18n: I18n, segment: Segment, program: Program) -> str:
    if segment.is_everyone:
        return i18n("broadcast-segment-everyone")
    lines = []
    if segment.tiers:
        names = ", ".join(
            program_text(program.tier(key).name, i18n.locale) for key in segment.tiers
        )
        lines.append(i18n("broadcast-segment-tiers", tiers=names))
    if segment.languages:
        names = ", ".join(i18n.plain(f"broadcast-language-{code}") for code in segment.languages)
        lines.append(i18n("broadcast-segment-languages", languages=names))
    if segment.inactive_days:
        lines.append(i18n("broadcast-segment-inactive", days=segment.inactive_days))
    if segment.joined_days:
        lines.append(i18n("broadcast-segment-joined", days=segment.joined_days))
    if segment.expiring_days:
        lines.append(i18n("broadcast-segment-expiring", days=segment.expiring_days))
    if segment.birthday_this_month:
        lines.append(i18n("broadcast-segment-birthday"))
    if segment.never_purchased:
        lines.append(i18n("broadcast-segment-never"))
    return "\n".join(f"• {line}" for line in lines)


def _mark(on: bool) -> str:
    return "✅" if on else "▫️"


def audience_keyboard(
    i18n: I18n, segment: Segment, program: Program, locales: tuple[str, ...]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for tier in program.tiers:
        builder.button(
            text=f"{_mark(tier.key in segment.tiers)} {program_text(tier.name, i18n.locale)}",
            callback_data=AudienceCD(pick=Filter.TIER, value=tier.key),
        )
    sizes.append(len(program.tiers))
    for code in locales:
        builder.button(
            text=f"{_mark(code in segment.languages)} {i18n.plain(f'broadcast-language-{code}')}",
            callback_data=AudienceCD(pick=Filter.LANGUAGE, value=code),
        )
    sizes.append(len(locales))
    for choice, field in _DAYS_FIELD.items():
        days = getattr(segment, field)
        builder.button(
            text=i18n.plain(f"broadcast-filter-{field.replace('_', '-')}", days=days or 0),
            callback_data=AudienceCD(pick=choice),
        )
    sizes += [2, 1]
    builder.button(
        text=f"{_mark(segment.birthday_this_month)} {i18n.plain('broadcast-filter-birthday')}",
        callback_data=AudienceCD(pick=Filter.BIRTHDAY),
    )
    builder.button(
        text=f"{_mark(segment.never_purchased)} {i18n.plain('broadcast-filter-never')}",
        callback_data=AudienceCD(pick=Filter.NEVER),
    )
    builder.button(
        text=f"{_mark(segment.is_everyone)} {i18n.plain('broadcast-filter-everyone')}",
        callback_data=AudienceCD(pick=Filter.EVERYONE),
    )
    builder.button(
        text=i18n.plain("broadcast-preview"), callback_data=ComposeCD(step=Step.PREVIEW)
    )
    builder.button(
        text=i18n.plain("broadcast-discard"), callback_data=ComposeCD(step=Step.DISCARD)
    )
    sizes += [2, 1, 1, 1]
    builder.adjust(*sizes)
    return builder.as_markup()


async def _audience_text(
    session: AsyncSession,
    i18n: I18n,
    segment: Segment,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> str:
    found = await broadcasts.audience(
        session,
        segment,
        now=clock.now(),
        tz=settings.tz,
        max_per_week=program.marketing.max_per_week,
    )
    return join_lines(
        (
            i18n("broadcast-audience-title"),
            describe(i18n, segment, program),
            "",
            i18n("broadcast-audience-count", matching=found.matching, recipients=found.recipients),
            i18n(
                "broadcast-audience-left-out",
                opted_out=found.opted_out,
                unreachable=found.unreachable,
                capped=found.capped,
            )
            if found.recipients != found.matching
            else "",
        )
    )


async def _send_audience(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    segment = Segment.from_json((await state.get_data()).get("segment"))
    await message.answer(
        await _audience_text(session, i18n, segment, clock, settings, program),
        reply_markup=audience_keyboard(i18n, segment, program, i18n.translator.locales),
    )


async def change_audience(
    query: CallbackQuery,
    callback_data: AudienceCD,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    if await state.get_state() not in (Compose.audience.state, Compose.days.state):
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    segment = Segment.from_json((await state.get_data()).get("segment"))
    choice = callback_data.pick
    if choice in _DAYS_FIELD:
        await query.answer()
        await state.update_data(days_field=_DAYS_FIELD[choice])
        await state.set_state(Compose.days)
        await query.message.answer(  # type: ignore[union-attr]
            i18n(f"broadcast-ask-{_DAYS_FIELD[choice].replace('_', '-')}")
        )
        return
    if choice is Filter.TIER and callback_data.value in {tier.key for tier in program.tiers}:
        changed = segment.toggle("tiers", callback_data.value)
    elif choice is Filter.LANGUAGE and callback_data.value in i18n.translator.locales:
        changed = segment.toggle("languages", callback_data.value)
    elif choice is Filter.BIRTHDAY:
        changed = segment.flip("birthday_this_month")
    elif choice is Filter.NEVER:
        changed = segment.flip("never_purchased")
    else:
        changed = Segment()
    await query.answer()
    if changed == segment:
        return
    await state.update_data(segment=changed.to_json())
    await state.set_state(Compose.audience)
    await query.message.edit_text(  # type: ignore[union-attr]
        await _audience_text(session, i18n, changed, clock, settings, program),
        reply_markup=audience_keyboard(i18n, changed, program, i18n.translator.locales),
    )


async def type_days(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    data = await state.get_data()
    field = data.get("days_field")
    days = parse_days(message.text or "")
    if days is False or field not in NUMBER_FILTERS:
        await message.answer(i18n("broadcast-days-invalid"))
        return
    segment = Segment.from_json(data.get("segment")).with_days(field, days or None)
    await state.update_data(segment=segment.to_json())
    await state.set_state(Compose.audience)
    await _send_audience(message, session, i18n, state, clock, settings, program)


# ---- preview and sending -----------------------------------------------------------------------


def _draft(data: dict[str, Any]) -> Draft:
    return Draft(
        source_chat_id=data["source_chat"],
        source_message_id=data["source_message"],
        summary=data.get("summary", ""),
        segment=Segment.from_json(data.get("segment")),
        button_text=data.get("button_text"),
        button_url=data.get("button_url"),
    )


def _quiet(settings: Settings, program: Program, now: datetime) -> datetime | None:
    start = broadcasts.next_allowed(now, program.quiet_hours, settings.tz)
    return start if start != now else None


async def preview(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    """The message exactly as members will get it, then the choice: now, later, or change."""
    if await state.get_state() not in (Compose.audience.state, Compose.days.state):
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    await query.answer()
    draft = _draft(await state.get_data())
    found = await broadcasts.audience(
        session,
        draft.segment,
        now=clock.now(),
        tz=settings.tz,
        max_per_week=program.marketing.max_per_week,
    )
    content = Content(
        broadcast_id=0,
        kind=BroadcastKind.MESSAGE,
        source_chat_id=draft.source_chat_id,
        source_message_id=draft.source_message_id,
        button_text=draft.button_text,
        button_url=draft.button_url,
    )
    chat_id = query.from_user.id
    await bot.copy_message(
        chat_id,
        draft.source_chat_id,
        draft.source_message_id,
        reply_markup=member_markup(i18n, content),
    )
    await state.set_state(Compose.confirm)
    builder = InlineKeyboardBuilder()
    if found.recipients:
        builder.button(
            text=i18n.plain("broadcast-send-now"), callback_data=ComposeCD(step=Step.SEND)
        )
        builder.button(
            text=i18n.plain("broadcast-schedule"), callback_data=ComposeCD(step=Step.SCHEDULE)
        )
    builder.button(
        text=i18n.plain("broadcast-change-audience"), callback_data=ComposeCD(step=Step.AUDIENCE)
    )
    builder.button(
        text=i18n.plain("broadcast-discard"), callback_data=ComposeCD(step=Step.DISCARD)
    )
    if found.recipients:
        builder.adjust(2, 1, 1)
    else:
        builder.adjust(1)
    quiet = _quiet(settings, program, clock.now())
    await bot.send_message(
        chat_id,
        join_lines(
            (
                i18n("broadcast-preview-above"),
                i18n("broadcast-recipients", recipients=found.recipients)
                if found.recipients
                else i18n("broadcast-nobody"),
                i18n("broadcast-quiet-now", start=_time(quiet, settings)) if quiet else "",
            )
        ),
        reply_markup=builder.as_markup(),
    )


async def back_to_audience(
    query: CallbackQuery,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    if await state.get_state() not in (Compose.confirm.state, Compose.when.state):
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    await query.answer()
    await state.set_state(Compose.audience)
    await _send_audience(query.message, session, i18n, state, clock, settings, program)  # type: ignore[arg-type]


async def send_now(
    query: CallbackQuery,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
    broadcaster: Broadcaster,
) -> None:
    """Starts at once, or at the end of quiet hours if they are on now."""
    if await state.get_state() != Compose.confirm.state:
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    now = clock.now()
    starts = broadcasts.next_allowed(now, program.quiet_hours, settings.tz)
    broadcast = await broadcasts.create(
        session,
        _draft(await state.get_data()),
        created_by=query.from_user.id,
        send_at=starts,
        now=now,
    )
    await state.clear()
    await query.answer()
    text = (
        i18n("broadcast-starting", id=str(broadcast.id))
        if starts == now
        else i18n(
            "broadcast-starts-after-quiet", id=str(broadcast.id), start=_time(starts, settings)
        )
    )
    await query.message.edit_text(text)  # type: ignore[union-attr]
    broadcaster.wake()


async def ask_when(
    query: CallbackQuery, i18n: I18n, state: FSMContext, settings: Settings
) -> None:
    if await state.get_state() != Compose.confirm.state:
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    await query.answer()
    await state.set_state(Compose.when)
    await query.message.answer(i18n("broadcast-ask-when", zone=settings.timezone))  # type: ignore[union-attr]


def parse_when(text: str, *, now: datetime, settings: Settings) -> datetime | None:
    """`25.11.2026 18:30` or `25.11 18:30` (the next such day), local time."""
    match = _WHEN_RE.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(settings.tz)
    try:
        moment = datetime(
            int(year or local_now.year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            tzinfo=settings.tz,
        )
    except ValueError:
        return None
    if year is None and moment < local_now:
        try:
            moment = moment.replace(year=moment.year + 1)
        except ValueError:
            return None
    return moment


async def type_when(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
    program: Program,
    broadcaster: Broadcaster,
) -> None:
    now = clock.now()
    moment = parse_when(message.text or "", now=now, settings=settings)
    if moment is None:
        await message.answer(i18n("broadcast-when-invalid", zone=settings.timezone))
        return
    if moment <= now + timedelta(minutes=1) or moment > now + SCHEDULE_AHEAD:
        await message.answer(i18n("broadcast-when-out-of-range"))
        return
    if program.quiet_hours.contains(moment.time()):
        quiet = program.quiet_hours
        await message.answer(
            i18n(
                "broadcast-when-quiet",
                start=quiet.start.strftime("%H:%M"),
                end=quiet.end.strftime("%H:%M"),
            )
        )
        return
    broadcast = await broadcasts.create(
        session,
        _draft(await state.get_data()),
        created_by=message.chat.id,
        send_at=moment,
        now=now,
    )
    await state.clear()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("broadcast-cancel-scheduled", id=str(broadcast.id)),
        callback_data=BroadcastCD(act=Act.CANCEL, broadcast=broadcast.id),
    )
    await message.answer(
        i18n("broadcast-scheduled", id=str(broadcast.id), at=_time(moment, settings)),
        reply_markup=builder.as_markup(),
    )
    broadcaster.wake()


async def discard(query: CallbackQuery, i18n: I18n, state: FSMContext) -> None:
    if await state.get_state() is None:
        await query.answer(i18n.plain("broadcast-stale"), show_alert=True)
        return
    await state.clear()
    await query.answer()
    await query.message.edit_text(i18n("broadcast-discarded"))  # type: ignore[union-attr]


# ---- controls and the report -------------------------------------------------------------------


async def control(
    query: CallbackQuery,
    callback_data: BroadcastCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    broadcaster: Broadcaster,
) -> None:
    """Pause, resume, cancel. The progress message itself is the sender's to edit (it keeps
    Telegram's pace); a cancelled scheduled broadcast says so where the button was."""
    action = _CONTROL[callback_data.act]
    try:
        broadcast = await broadcasts.control(
            session, callback_data.broadcast, action, now=clock.now()
        )
    except BroadcastError as exc:
        await query.answer(
            i18n.plain(
                "broadcast-control-refused",
                status=i18n.plain(f"broadcast-status-{exc.reason}")
                if exc.reason in _STATUSES
                else "—",
            ),
            show_alert=True,
        )
        return
    await query.answer(i18n.plain(_DONE[action], id=str(broadcast.id)))
    message = query.message
    if (
        action is Control.CANCEL
        and message is not None
        and message.message_id != broadcast.progress_message_id
    ):
        await message.edit_text(i18n("broadcast-cancelled-here", id=str(broadcast.id)))  # type: ignore[union-attr]
    broadcaster.wake()


def tally_line(i18n: I18n, tally: Tally) -> str:
    return i18n(
        "broadcast-tally",
        sent=tally.sent,
        blocked=tally.blocked,
        failed=tally.failed,
        opted_out=tally.opted_out + tally.unreachable,
        capped=tally.capped,
    )


async def show_reports(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    program: Program,
) -> None:
    days = program.marketing.attribution_days
    found = await broadcasts.reports(session, days=days, limit=REPORTED)
    if not found:
        await message.answer(i18n("broadcasts-empty"))
        return
    lines = [i18n("broadcasts-title", days=days)]
    builder = InlineKeyboardBuilder()
    for report in found:
        broadcast, tally = report.broadcast, report.tally
        when = broadcast.started_at or broadcast.send_at
        lines += [
            "",
            i18n(
                "broadcasts-line",
                id=str(broadcast.id),
                when=_time(when, settings),
                status=i18n.plain(f"broadcast-status-{broadcast.status}"),
                summary=broadcast.summary,
            ),
        ]
        if broadcast.status != BroadcastStatus.SCHEDULED:
            lines += [
                i18n("broadcasts-recipients", total=tally.total),
                tally_line(i18n, tally),
                i18n("broadcasts-cancelled", left=tally.cancelled) if tally.cancelled else "",
                i18n("broadcasts-purchased", buyers=report.purchased, days=days),
            ]
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.PAUSED):
            builder.button(
                text=i18n.plain("broadcast-cancel-scheduled", id=str(broadcast.id)),
                callback_data=BroadcastCD(act=Act.CANCEL, broadcast=broadcast.id),
            )
    builder.adjust(1)
    await message.answer(
        join_lines(lines), reply_markup=builder.as_markup() if builder.buttons else None
    )


# ---- the progress message ----------------------------------------------------------------------


def progress_bar(done: int, total: int) -> str:
    share = done / total if total else 1.0
    filled = min(BAR_CELLS, int(share * BAR_CELLS))
    return "▓" * filled + "░" * (BAR_CELLS - filled) + f" {int(share * 100)}%"


def _eta(i18n: I18n, seconds: float) -> str:
    if seconds >= 60:
        return i18n.plain("broadcast-eta-minutes", minutes=round(seconds / 60))
    return i18n.plain("broadcast-eta-seconds", seconds=max(1, round(seconds)))


def render_progress(
    i18n: I18n, progress: Progress, *, settings: Settings, now: datetime, attribution_days: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The author's live view of a broadcast: bar, counts, pace, time left, and the controls."""
    tally = progress.tally
    head = i18n(
        "broadcast-progress-head",
        id=str(progress.broadcast_id),
        summary=progress.summary,
        status=i18n.plain(f"broadcast-status-{progress.status.value}"),
    )
    if progress.final:
        lines = [
            head,
            progress_bar(tally.handled, tally.total),
            i18n("broadcasts-recipients", total=tally.total),
            tally_line(i18n, tally),
            i18n("broadcasts-cancelled", left=tally.cancelled) if tally.cancelled else "",
            i18n("broadcast-progress-attribution", days=attribution_days),
        ]
        return join_lines(lines), None
    rate = progress.rate(now) or settings.broadcast_rate
    lines = [
        head,
        progress_bar(tally.handled, tally.total),
        i18n(
            "broadcast-progress-counts", handled=tally.handled, total=tally.total, sent=tally.sent
        ),
    ]
    # Pace and time left only while it moves: a paused or waiting message stays unchanged.
    if progress.status is BroadcastStatus.SENDING and progress.quiet_until is None:
        lines.append(
            i18n(
                "broadcast-progress-eta",
                rate=f"{rate:.1f}",
                eta=_eta(i18n, tally.waiting / rate),
            )
        )
    if progress.quiet_until is not None:
        lines.append(i18n("broadcast-progress-quiet", start=_time(progress.quiet_until, settings)))
    builder = InlineKeyboardBuilder()
    if progress.status is BroadcastStatus.PAUSED:
        builder.button(
            text=i18n.plain("broadcast-resume"),
            callback_data=BroadcastCD(act=Act.RESUME, broadcast=progress.broadcast_id),
        )
    else:
        builder.button(
            text=i18n.plain("broadcast-pause"),
            callback_data=BroadcastCD(act=Act.PAUSE, broadcast=progress.broadcast_id),
        )
    builder.button(
        text=i18n.plain("broadcast-cancel"),
        callback_data=BroadcastCD(act=Act.CANCEL, broadcast=progress.broadcast_id),
    )
    return join_lines(lines), builder.as_markup()


def _time(moment: datetime | None, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M") if moment else "—"
