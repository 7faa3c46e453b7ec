"""Telegram tells the bot when a person blocks or unblocks it: scheduled messages skip members
who blocked it, and reach them again once they unblock it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery import set_reachable


def router() -> Router:
    router = Router(name="customer.reachability")
    router.my_chat_member.filter(F.chat.type == "private")
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(
        unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router


async def blocked(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    await set_reachable(session, event.from_user.id, False, now=clock.now())


async def unblocked(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    await set_reachable(session, event.from_user.id, True, now=clock.now())
