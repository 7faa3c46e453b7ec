"""Staff mode: find the member, record purchases and rewards, pay with points, cancel."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Translator, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import locations, lookup, members, operations, team
from bot.services.card_tokens import CardTokens, looks_like_card_token, normalize_short_code
from bot.services.ledger import InsufficientPoints, MemberNotFound
from bot.services.lookup import Found, Lookup
from bot.services.money import AmountError, parse_amount
from bot.services.operations import (
    AmountOutOfRange,
    CancelRefused,
    NotEnoughStamps,
    OpStatus,
    PointsOutOfRange,
)
from bot.services.program import Program, text
from bot.services.qr_scan import read_qr
from bot.services.team import Person, Role
from db.models import Member
from handlers import keyboards
from handlers.callbacks import AbortCD, CancelOpCD, ConfirmCD, StaffAction, StaffCD
from handlers.filters import MenuButton
from handlers.staff.common import (
    Messenger,
    cancel_button,
    money,
    op_line,
    staff_keyboard,
    staff_result,
    staff_view,
)


class StaffInput(StatesGroup):
    amount = State()
    code = State()


class CanServe(Filter):
    async def __call__(self, event: object, person: Person) -> bool:
        return person.can_serve


class InStaffMode(Filter):
    async def __call__(self, event: object, person: Person) -> bool:
        return person.can_serve and person.staff_mode


def router() -> Router:
    router = Router(name="staff")
    gate = RoleGate(Role.OWNER, Role.STAFF)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(enter, Command("staff"))
    router.message.register(
        open_by_link,
        CommandStart(deep_link=True, magic=F.args.func(looks_like_card_token)),
        CanServe(),
    )
    router.message.register(leave, MenuButton("staff-btn-exit"), InStaffMode())
    router.message.register(scan_hint, MenuButton("staff-btn-scan"), InStaffMode())
    router.message.register(ask_code, MenuButton("staff-btn-code"), InStaffMode())
    router.message.register(show_recent, MenuButton("staff-btn-recent"), InStaffMode())
    router.message.register(open_by_photo, F.photo, InStaffMode())
    router.message.register(type_amount, StaffInput.amount, F.text)
    router.message.register(open_by_code, StaffInput.code, F.text)
    router.message.register(
        open_by_code, StateFilter(None), InStaffMode(), F.text.func(normalize_short_code)
    )
    router.callback_query.register(start_operation, StaffCD.filter())
    router.callback_query.register(confirm, ConfirmCD.filter())
    router.callback_query.register(abort, AbortCD.filter())
    router.callback_query.register(cancel_operation, CancelOpCD.filter())
    return router


async def enter(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    state: FSMContext,
) -> None:
    assert message.from_user is not None
    if person.is_owner:
        await team.ensure_owner_row(
            session, person.telegram_id, name=message.from_user.full_name, now=clock.now()
        )
    await team.set_staff_mode(session, person.telegram_id, True)
    await state.clear()
    await message.answer(i18n("staff-mode-on"), reply_markup=staff_keyboard(i18n))


async def leave(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    member: Member | None,
    state: FSMContext,
) -> None:
    await team.set_staff_mode(session, person.telegram_id, False)
    await state.clear()
    markup = keyboards.main_menu(i18n) if member is not None else keyboards.REMOVE
    await message.answer(i18n("staff-mode-off"), reply_markup=markup)


async def scan_hint(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("staff-scan-hint"))


async def ask_code(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.set_state(StaffInput.code)
    await message.answer(i18n("staff-code-ask"))


async def show_recent(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    program: Program,
    settings: Settings,
) -> None:
    recent = await operations.recent(session, staff_id=person.telegram_id, limit=10)
    if not recent:
        await message.answer(i18n("staff-recent-empty"))
        return
    builder = InlineKeyboardBuilder()
    for operation in recent:
        if operation.status == OpStatus.DONE:
            builder.button(
                text=i18n.plain("staff-btn-cancel-op", id=operation.id),
                callback_data=CancelOpCD(op=operation.id),
            )
    builder.adjust(1)
    body = join_lines(
        [i18n("staff-recent-title")]
        + [op_line(i18n, program, settings, operation) for operation in recent]
    )
    await message.answer(body, reply_markup=builder.as_markup() if builder.buttons else None)


async def open_by_link(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    card_tokens: CardTokens,
    clock: Clock,
    program: Program,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await lookup.by_token(
        session, card_tokens, command.args or "", staff_id=person.telegram_id, now=clock.now()
    )
    await _show(message, session, found, i18n, program, settings, state)


async def open_by_photo(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    card_tokens: CardTokens,
    clock: Clock,
    program: Program,
    settings: Settings,
    state: FSMContext,
) -> None:
    assert message.photo
    buffer = io.BytesIO()
    await bot.download(message.photo[-1], destination=buffer)
    texts = await asyncio.to_thread(read_qr, buffer.getvalue())
    found = await lookup.by_photo(
        session, card_tokens, texts, staff_id=person.telegram_id, now=clock.now()
    )
    await _show(message, session, found, i18n, program, settings, state)


async def open_by_code(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    program: Program,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await lookup.by_code(
        session, message.text or "", staff_id=person.telegram_id, now=clock.now()
    )
    await _show(message, session, found, i18n, program, settings, state)


async def _show(
    message: Message,
    session: AsyncSession,
    found: Lookup,
    i18n: I18n,
    program: Program,
    settings: Settings,
    state: FSMContext,
) -> None:
    if found.outcome is not Found.FOUND or found.member is None:
        await message.answer(i18n(f"lookup-{found.outcome.value}"))
        return
    await state.clear()
    body, markup = await staff_view(
        session, i18n, program, settings, found.member, found.lookup_id
    )
    await message.answer(body, reply_markup=markup)


async def start_operation(
    query: CallbackQuery,
    callback_data: StaffCD,
    session: AsyncSession,
    i18n: I18n,
    program: Program,
    state: FSMContext,
) -> None:
    member = await members.get(session, callback_data.member)
    if member is None:
        await query.answer(i18n.plain("staff-error-gone"), show_alert=True)
        return
    await query.answer()
    if callback_data.action is StaffAction.REWARD:
        await query.message.answer(  # type: ignore[union-attr]
            i18n(
                "staff-confirm-reward",
                name=member.display_name,
                reward=text(program.stamps.reward, i18n.locale),
            ),
            reply_markup=_confirm_buttons(
                i18n, ConfirmCD(action=StaffAction.REWARD, member=member.id)
            ),
        )
        return
    await state.set_state(StaffInput.amount)
    await state.update_data(
        member=member.id, lookup=callback_data.lookup, action=callback_data.action.value
    )
    key = (
        "staff-amount-ask-redeem"
        if callback_data.action is StaffAction.REDEEM
        else "staff-amount-ask"
    )
    await query.message.answer(  # type: ignore[union-attr]
        i18n(key, name=member.display_name, currency=program.currency_symbol)
    )


async def type_amount(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    program: Program,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    member = await members.get(session, int(data.get("member", 0)))
    if member is None:
        await state.clear()
        await message.answer(i18n("staff-error-gone"))
        return
    try:
        amount = parse_amount(message.text or "")
        figures = operations.quote(
            program, member.tier, amount=amount, balance=member.points_balance
        )
    except AmountError:
        await message.answer(i18n("staff-amount-invalid"))
        return
    except AmountOutOfRange as exc:
        await message.answer(i18n("staff-amount-range", max=money(i18n, program, exc.maximum)))
        return
    action = StaffAction(data.get("action", StaffAction.PURCHASE.value))
    lookup_id = int(data.get("lookup", 0))
    await state.clear()
    stamp = i18n("staff-confirm-stamp") if figures.earns_stamp else ""
    if action is StaffAction.REDEEM:
        if figures.max_points == 0:
            await message.answer(i18n("staff-no-points", name=member.display_name))
            return
        figures = operations.quote(
            program,
            member.tier,
            amount=amount,
            balance=member.points_balance,
            points=figures.max_points,
        )
        body = i18n(
            "staff-confirm-redeem",
            amount=money(i18n, program, amount),
            name=member.display_name,
            points=figures.points_redeemed,
            max_share=program.max_redeem_percent,
            to_pay=money(i18n, program, figures.to_pay),
            earn=figures.points_to_earn,
            stamp=stamp,
        )
    else:
        body = i18n(
            "staff-confirm-purchase",
            amount=money(i18n, program, amount),
            name=member.display_name,
            points=figures.points_to_earn,
            stamp=stamp,
        )
    await message.answer(
        body,
        reply_markup=_confirm_buttons(
            i18n,
            ConfirmCD(
                action=action,
                member=member.id,
                amount=amount,
                points=figures.points_redeemed,
                lookup=lookup_id,
            ),
        ),
    )


def _confirm_buttons(i18n: I18n, data: ConfirmCD) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.plain("staff-btn-confirm"), callback_data=data)
    builder.button(text=i18n.plain("staff-btn-abort"), callback_data=AbortCD(member=data.member))
    return builder.as_markup()


async def confirm(
    query: CallbackQuery,
    callback_data: ConfirmCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    program: Program,
    settings: Settings,
    clock: Clock,
    translator: Translator,
    card_tokens: CardTokens,
) -> None:
    assert query.message is not None
    # The confirmation message is unique per chat: a double tap or a redelivered update carries
    # the same key and changes nothing the second time.
    key = f"tg:{query.message.chat.id}:{query.message.message_id}"
    now = clock.now()
    location_id = await locations.workplace(session, person.telegram_id)
    try:
        if callback_data.action is StaffAction.REWARD:
            outcome = await operations.redeem_reward(
                session,
                program,
                member_id=callback_data.member,
                staff_id=person.telegram_id,
                idempotency_key=key,
                now=now,
                location_id=location_id,
            )
        else:
            fresh = callback_data.points and await operations.lookup_is_fresh(
                session,
                callback_data.lookup,
                staff_id=person.telegram_id,
                member_id=callback_data.member,
                now=now,
                ttl=card_tokens.ttl or timedelta(minutes=10),
            )
            outcome = await operations.record_purchase(
                session,
                program,
                member_id=callback_data.member,
                staff_id=person.telegram_id,
                amount=callback_data.amount,
                points=callback_data.points,
                idempotency_key=key,
                now=now,
                tz=settings.tz,
                member_must_confirm=bool(callback_data.points) and not fresh,
                location_id=location_id,
            )
    except (InsufficientPoints, PointsOutOfRange):
        await query.answer(i18n.plain("staff-error-points"), show_alert=True)
        return
    except NotEnoughStamps:
        await query.answer(i18n.plain("staff-error-stamps"), show_alert=True)
        return
    except (MemberNotFound, AmountOutOfRange):
        await query.answer(i18n.plain("staff-error-gone"), show_alert=True)
        return
    await query.answer()
    markup = cancel_button(i18n, outcome.operation) if outcome.status is OpStatus.DONE else None
    await query.message.edit_text(staff_result(i18n, program, outcome), reply_markup=markup)  # type: ignore[union-attr]
    member = await members.get(session, callback_data.member)
    if member is not None:
        await Messenger(bot, session, translator, settings, program).after(member, outcome)


async def abort(query: CallbackQuery, i18n: I18n) -> None:
    await query.answer()
    await query.message.edit_text(i18n("staff-aborted"))  # type: ignore[union-attr]


async def cancel_operation(
    query: CallbackQuery,
    callback_data: CancelOpCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    program: Program,
    settings: Settings,
    clock: Clock,
    translator: Translator,
) -> None:
    try:
        outcome = await operations.cancel(
            session,
            program,
            operation_id=callback_data.op,
            by=person.telegram_id,
            is_owner=person.is_owner,
            now=clock.now(),
        )
    except CancelRefused as exc:
        await query.answer(
            i18n.plain(
                f"staff-cancel-{exc.reason.replace('_', '-')}",
                minutes=program.limits.cancel_window_minutes,
            ),
            show_alert=True,
        )
        return
    await query.answer()
    await query.message.answer(staff_result(i18n, program, outcome))  # type: ignore[union-attr]
    member = await members.get(session, outcome.operation.member_id)
    if member is not None:
        await Messenger(bot, session, translator, settings, program).after(member, outcome)
