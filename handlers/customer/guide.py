"""Help, written from the program's actual rules."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.i18n import I18n, join_lines
from bot.services.money import format_money
from bot.services.program import Program, text
from handlers import keyboards
from handlers.filters import MenuButton


def router() -> Router:
    router = Router(name="customer.help")
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuButton("menu-help"))
    return router


def render(i18n: I18n, program: Program) -> str:
    loc = i18n.locale
    money = lambda minor: format_money(minor, loc, program.currency_symbol)  # noqa: E731
    tiers = ", ".join(
        i18n(
            "help-tier",
            name=text(tier.name, loc),
            cashback=tier.cashback_percent,
            rule=i18n.plain(
                "help-tier-rule",
                purchases=tier.min_purchases,
                spend=money(tier.min_spend),
                days=program.tier_window_days,
            ),
        )
        for tier in program.tiers[1:]
    )
    lines = [
        i18n(
            "help-text",
            program=text(program.name, loc),
            base_cashback=program.base_tier.cashback_percent,
            point_value=money(program.point_value),
            tiers=tiers or "—",
            max_redeem=program.max_redeem_percent,
        )
    ]
    stamps = program.stamps
    if stamps.visits_needed:
        minimum = (
            i18n.plain("help-stamps-min", amount=money(stamps.min_purchase))
            if stamps.min_purchase
            else ""
        )
        lines.append(
            i18n(
                "help-stamps",
                needed=stamps.visits_needed,
                min_purchase=minimum,
                reward=text(stamps.reward, loc),
            )
        )
    if program.points_lifetime_days:
        lines.append(i18n("help-lifetime", days=program.points_lifetime_days))
    else:
        lines.append(i18n("help-lifetime-forever"))
    return join_lines(lines)


async def show_help(message: Message, i18n: I18n, program: Program, member: object = None) -> None:
    markup = keyboards.main_menu(i18n) if member is not None else None
    await message.answer(render(i18n, program), reply_markup=markup)
