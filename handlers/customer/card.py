"""The member's QR card: a PNG drawn on request, with a button that issues a fresh QR."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n
from bot.services import wallet
from bot.services.card_image import CardLabels, CardRenderer, CardView
from bot.services.card_tokens import CardTokens
from bot.services.engagement import coupons
from bot.services.program import Program, text
from db.models import Member
from handlers import keyboards
from handlers.callbacks import CardAction, CardCD
from handlers.filters import IsMember, MenuButton


def router() -> Router:
    router = Router(name="customer.card")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(show_card, Command("card"))
    router.message.register(show_card, MenuButton("menu-card"))
    router.callback_query.register(refresh_card, CardCD.filter(F.action == CardAction.REFRESH))
    return router


class CardStudio:
    """Everything it takes to draw a member's card, handed in as Dispatcher data."""

    def __init__(
        self,
        *,
        program: Program,
        settings: Settings,
        clock: Clock,
        card_tokens: CardTokens,
        card_renderer: CardRenderer,
    ) -> None:
        self.program = program
        self.settings = settings
        self.clock = clock
        self.tokens = card_tokens
        self.renderer = card_renderer


async def show_card(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    card_studio: CardStudio,
) -> None:
    photo, caption = await render_card(bot, session, member, i18n, card_studio)
    await message.answer_photo(photo, caption=caption, reply_markup=keyboards.card(i18n))


async def refresh_card(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    card_studio: CardStudio,
) -> None:
    photo, caption = await render_card(bot, session, member, i18n, card_studio)
    await query.answer(i18n.plain("card-refreshed"))
    await query.message.edit_media(  # type: ignore[union-attr]
        InputMediaPhoto(media=photo, caption=caption), reply_markup=keyboards.card(i18n)
    )


async def render_card(
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    studio: CardStudio,
) -> tuple[BufferedInputFile, str]:
    program, settings = studio.program, studio.settings
    me = await bot.me()
    qr = wallet.card_qr(
        studio.tokens, member, bot_username=me.username or "", now=studio.clock.now()
    )
    tier = program.tier(member.tier)
    until = _local_time(qr.expires_at, settings) if qr.expires_at else ""
    usable = await coupons.active(session, member.id, studio.clock.now())
    coupon = (
        i18n.plain(
            "card-coupon",
            percent=usable[0].percent,
            until=coupons.last_day(usable[0], settings.tz).strftime("%d.%m"),
        )
        if usable
        else ""
    )
    view = CardView(
        program_name=text(program.name, i18n.locale),
        member_name=member.display_name,
        tier_name=text(tier.name, i18n.locale),
        tier_color=tier.color,
        points=member.points_balance,
        stamps=member.stamps,
        stamps_needed=program.stamps.visits_needed,
        qr_payload=qr.link,
        short_code=member.short_code,
        labels=CardLabels(
            points=i18n.plain("card-points", points=member.points_balance),
            stamps=i18n.plain(
                "card-stamps", stamps=member.stamps, needed=program.stamps.visits_needed
            ),
            code_hint=i18n.plain("card-code-hint"),
            footer=i18n.plain("card-valid-until", time=until) if until else "",
            coupon=coupon,
        ),
    )
    png = await asyncio.to_thread(studio.renderer.render, view)
    caption = i18n("card-caption", time=until) if until else i18n("card-caption-forever")
    return BufferedInputFile(png, filename="card.png"), caption


def _local_time(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%H:%M")
