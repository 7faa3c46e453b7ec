"""Balance & history: points, stamps, tier, the nearest expiry and the operations, paginated."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Raw, join_lines
from bot.services import wallet
from bot.services.engagement import coupons
from bot.services.money import group_digits
from bot.services.program import Program, text
from db.models import Member
from handlers import keyboards
from handlers.callbacks import HistoryCD
from handlers.customer.quizzes import achievement_lines
from handlers.filters import IsMember, MenuButton


def router() -> Router:
    router = Router(name="customer.balance")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(show_balance, Command("balance"))
    router.message.register(show_balance, MenuButton("menu-balance"))
    router.callback_query.register(turn_page, HistoryCD.filter())
    return router


async def show_balance(
    message: Message,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    settings: Settings,
    clock: Clock,
) -> None:
    body, markup = await render(session, member, i18n, program, settings, page=0, now=clock.now())
    await message.answer(body, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: HistoryCD,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    settings: Settings,
    clock: Clock,
) -> None:
    body, markup = await render(
        session, member, i18n, program, settings, page=callback_data.page, now=clock.now()
    )
    await query.answer()
    if query.message is not None and getattr(query.message, "text", None) != body:
        await query.message.edit_text(body, reply_markup=markup)  # type: ignore[union-attr]


async def render(
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    settings: Settings,
    *,
    page: int,
    now: datetime | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    view = await wallet.balance_view(session, member, program=program, tz=settings.tz, page=page)
    lines = [
        i18n("balance-title", points=view.points),
        i18n(
            "balance-tier",
            tier=text(view.tier.name, i18n.locale),
            cashback=view.tier.cashback_percent,
        ),
    ]
    if view.stamps_needed:
        lines.append(
            i18n(
                "balance-stamps",
                stamps=view.stamps,
                needed=view.stamps_needed,
                left=max(view.stamps_needed - view.stamps, 0),
                reward=text(program.stamps.reward, i18n.locale),
            )
        )
    if view.expiry is not None:
        lines.append(
            i18n(
                "balance-expiry",
                points=view.expiry.points,
                date=view.expiry.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
            )
        )
    lines += [
        i18n(
            "balance-coupon",
            percent=coupon.percent,
            kind=i18n.plain(f"coupon-kind-{coupon.kind}"),
            until=coupons.last_day(coupon, settings.tz).strftime("%d.%m.%Y"),
        )
        for coupon in (await coupons.active(session, member.id, now) if now else [])
    ]
    lines += await achievement_lines(session, member, i18n, program)
    history = view.history
    if not history.items:
        lines += ["", i18n("balance-no-history")]
        return join_lines(lines).replace("\n\n\n", "\n\n"), None
    lines += ["", i18n("balance-history", page=history.page + 1, pages=history.pages)]
    for item in history.items:
        sign = "+" if item.delta > 0 else "−"
        lines.append(
            i18n(
                "history-line",
                date=item.created_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M"),
                delta=Raw(f"<b>{sign}{group_digits(abs(item.delta), i18n.locale)}</b>"),
                kind=i18n.plain(f"kind-{item.kind}"),
                reason=f" · {item.reason}" if item.reason and item.kind != "earn" else "",
            )
        )
    return "\n".join(lines), keyboards.history(i18n, history.page, history.pages)
