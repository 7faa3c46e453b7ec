"""The Unsubscribe button under every promotional message: one tap turns them off."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot.i18n import I18n
from bot.services import members
from db.models import Member


class UnsubscribeCD(CallbackData, prefix="uns"):
    pass


def router() -> Router:
    router = Router(name="customer.unsubscribe")
    router.callback_query.register(unsubscribe, UnsubscribeCD.filter())
    return router


async def unsubscribe(query: CallbackQuery, member: Member | None, i18n: I18n) -> None:
    """Transactional messages (receipts, expiry notices) still arrive; Settings turns promotional
    ones back on."""
    if member is None:  # an author trying the button on their own preview, or an erased member
        await query.answer(i18n.plain("unsubscribe-not-member"), show_alert=True)
        return
    if not member.promo_opt_in:
        await query.answer(i18n.plain("unsubscribe-already"), show_alert=True)
        return
    await members.set_promo_opt_in(member, False)
    await query.answer(i18n.plain("unsubscribe-done-short"))
    await query.bot.send_message(query.from_user.id, i18n("unsubscribe-done"))  # type: ignore[union-attr]
