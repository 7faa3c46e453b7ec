"""The member's side of an operation: confirming payment with points, and "Not me"."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.services import operations
from bot.services.ledger import InsufficientPoints
from bot.services.operations import NotPending, PointsOutOfRange
from bot.services.program import Program
from db.models import Member, Operation
from handlers.callbacks import MemberReplyCD, NotMeCD
from handlers.filters import IsMember
from handlers.staff.common import Messenger, local_time, money, staff_result


def router() -> Router:
    router = Router(name="customer.receipts")
    router.callback_query.filter(IsMember())
    router.callback_query.register(reply, MemberReplyCD.filter())
    router.callback_query.register(not_me, NotMeCD.filter())
    return router


async def reply(
    query: CallbackQuery,
    callback_data: MemberReplyCD,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    settings: Settings,
    clock: Clock,
    translator: Translator,
) -> None:
    messenger = Messenger(bot, session, translator, settings, program)
    try:
        if callback_data.yes:
            outcome = await operations.confirm_by_member(
                session,
                program,
                operation_id=callback_data.op,
                member_id=member.id,
                now=clock.now(),
                tz=settings.tz,
            )
            operation = outcome.operation
        else:
            outcome = None
            operation = await operations.decline_by_member(
                session, operation_id=callback_data.op, member_id=member.id, now=clock.now()
            )
    except NotPending:
        await query.answer(i18n.plain("member-confirm-stale"), show_alert=True)
        return
    except (InsufficientPoints, PointsOutOfRange):
        await query.answer(i18n.plain("staff-error-points"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)  # type: ignore[union-attr]
    if outcome is not None and outcome.replayed:
        return
    staff_i18n = await messenger.i18n_for(operation.staff_id)
    if outcome is None:
        await query.message.answer(i18n("member-confirm-declined"))  # type: ignore[union-attr]
        await messenger.send(
            operation.staff_id, staff_i18n("staff-member-declined", id=operation.id)
        )
        return
    await messenger.send(
        operation.staff_id,
        staff_i18n("staff-member-confirmed", id=operation.id)
        + "\n"
        + staff_result(staff_i18n, program, outcome),
    )
    await messenger.after(member, outcome)


async def not_me(
    query: CallbackQuery,
    callback_data: NotMeCD,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    settings: Settings,
    translator: Translator,
) -> None:
    operation = await session.get(Operation, callback_data.op)
    if operation is None or operation.member_id != member.id:
        await query.answer(i18n.plain("stale-button"))
        return
    messenger = Messenger(bot, session, translator, settings, program)
    staff = await messenger.staff_name(operation.staff_id)
    for owner_id in sorted(settings.owner_ids):
        owner_i18n = await messenger.i18n_for(owner_id)
        await messenger.send(
            owner_id,
            owner_i18n(
                "owner-not-me",
                member=member.display_name,
                id=operation.id,
                kind=owner_i18n.plain(f"op-kind-{operation.kind}"),
                amount=money(owner_i18n, program, operation.amount),
                staff=staff,
                time=local_time(settings, operation.created_at),
            ),
        )
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)  # type: ignore[union-attr]
    await query.message.answer(i18n("receipt-not-me-thanks"))  # type: ignore[union-attr]
