"""`/stats` for marketers and owners: the program's figures for a period, a chart, CSV exports.
A chain picks one location (or all of them) with a row of buttons that only chains see."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import datetime
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import ChartText, overview_png
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import analytics, locations
from bot.services.analytics import PERIODS, Overview
from bot.services.money import format_money
from bot.services.program import Program
from bot.services.team import Role

DEFAULT_DAYS = 30
_TAG = re.compile(r"<[^>]+>")
_UNSAFE = re.compile(r"[^\w]+")


class StatsAction(StrEnum):
    PERIOD = "p"
    CHART = "c"
    MEMBERS = "m"
    OPERATIONS = "o"
    LOCATION = "l"


class StatsCD(CallbackData, prefix="st"):
    action: StatsAction
    days: int = DEFAULT_DAYS  # 0 = all time
    loc: int = 0  # 0 = every location


def router() -> Router:
    router = Router(name="marketer.stats")
    gate = RoleGate(Role.OWNER, Role.MARKETER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(show_stats, Command("stats"))
    router.callback_query.register(
        change_period,
        StatsCD.filter(F.action.in_({StatsAction.PERIOD, StatsAction.LOCATION})),
    )
    router.callback_query.register(send_chart, StatsCD.filter(F.action == StatsAction.CHART))
    router.callback_query.register(
        export, StatsCD.filter(F.action.in_({StatsAction.MEMBERS, StatsAction.OPERATIONS}))
    )
    return router


def _percent(share: float | None) -> str:
    return f"{share * 100:.0f}%" if share is not None else "—"


def render(i18n: I18n, figures: Overview, program: Program, location: str | None = None) -> str:
    """`location`: the name of the location the figures are filtered by."""
    locale = i18n.locale

    def money(minor: int | None) -> str:
        return format_money(minor, locale, program.currency_symbol) if minor is not None else "—"

    period = (
        i18n.plain("stats-period-days", days=figures.days)
        if figures.days
        else i18n.plain("stats-period-all")
    )
    return join_lines(
        (
            i18n("stats-title", period=period),
            i18n("stats-location", location=location) if location else "",
            "",
            i18n(
                "stats-members",
                members=figures.members,
                week=figures.new_this_week,
                month=figures.new_this_month,
                period_new=figures.new_in_period,
            ),
            i18n(
                "stats-engagement",
                buyers=figures.buyers_ever,
                share=_percent(figures.engagement),
                active=figures.active,
            ),
            "",
            i18n(
                "stats-purchases",
                purchases=figures.purchases,
                buyers=figures.buyers,
                repeat=_percent(figures.repeat_rate),
            ),
            i18n(
                "stats-money",
                check=money(figures.average_check),
                revenue=money(figures.revenue),
                ltv=money(figures.ltv),
            ),
            "",
            i18n(
                "stats-points",
                earned=figures.points_earned,
                redeemed=figures.points_redeemed,
                rate=_percent(figures.redemption_rate),
                expired=figures.points_expired,
            ),
            i18n(
                "stats-liability",
                points=figures.points_outstanding,
                money=money(figures.liability),
            ),
            "",
            i18n(
                "stats-referrals",
                joined=figures.referred,
                points=figures.referral_points,
            ),
            i18n(
                "stats-quizzes",
                players=figures.quiz_players,
                share=_percent(figures.quiz_participation),
                attempts=figures.quiz_attempts,
                finished=figures.quiz_finished,
            ),
        )
    )


def keyboard(
    i18n: I18n, days: int, places: dict[int, str] | None = None, loc: int = 0
) -> InlineKeyboardMarkup:
    """`places`: the active locations (id → name) when the business has any."""
    builder = InlineKeyboardBuilder()
    for period in PERIODS:
        value = period or 0
        label = (
            i18n.plain("stats-button-days", days=period)
            if period
            else i18n.plain("stats-button-all")
        )
        builder.button(
            text=f"• {label} •" if value == days else label,
            callback_data=StatsCD(action=StatsAction.PERIOD, days=value, loc=loc),
        )
    sizes = [len(PERIODS)]
    if places:
        choices = [(0, i18n.plain("stats-button-all-locations")), *places.items()]
        for place_id, name in choices:
            builder.button(
                text=f"• {name} •" if place_id == loc else name,
                callback_data=StatsCD(action=StatsAction.LOCATION, days=days, loc=place_id),
            )
        sizes += [3] * (len(choices) // 3) + ([len(choices) % 3] if len(choices) % 3 else [])
    builder.button(
        text=i18n.plain("stats-button-chart"),
        callback_data=StatsCD(action=StatsAction.CHART, days=days, loc=loc),
    )
    builder.button(
        text=i18n.plain("stats-button-members"),
        callback_data=StatsCD(action=StatsAction.MEMBERS, days=days, loc=loc),
    )
    builder.button(
        text=i18n.plain("stats-button-operations"),
        callback_data=StatsCD(action=StatsAction.OPERATIONS, days=days, loc=loc),
    )
    builder.adjust(*sizes, 1, 2)
    return builder.as_markup()


def _days(value: int) -> int | None:
    return value if value in PERIODS else None


async def _figures(
    session: AsyncSession,
    program: Program,
    clock: Clock,
    settings: Settings,
    days: int,
    loc: int = 0,
) -> Overview:
    return await analytics.overview(
        session,
        program,
        now=clock.now(),
        tz=settings.tz,
        days=_days(days),
        location_id=loc or None,
    )


async def _places(session: AsyncSession) -> dict[int, str]:
    return {place.id: place.name for place in await locations.active(session)}


async def _chosen_location(session: AsyncSession, loc: int) -> tuple[int | None, str | None]:
    """The chosen location's id and name; (None, None) for all locations or an unknown one.
    Archived locations keep their name, so old buttons still work."""
    name = await locations.name_of(session, loc or None)
    return (loc if name is not None else None), name


def _captioned(i18n: I18n, caption: str, location: str | None) -> str:
    if location is None:
        return caption
    return f"{caption}\n{i18n('stats-location-caption', location=location)}"


async def show_stats(
    message: Message,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    figures = await _figures(session, program, clock, settings, DEFAULT_DAYS)
    await message.answer(
        render(i18n, figures, program),
        reply_markup=keyboard(i18n, DEFAULT_DAYS, await _places(session)),
    )


async def change_period(
    query: CallbackQuery,
    callback_data: StatsCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    program: Program,
) -> None:
    days = callback_data.days if _days(callback_data.days) else 0
    chosen, name = await _chosen_location(session, callback_data.loc)
    loc = chosen or 0
    figures = await _figures(session, program, clock, settings, days, loc)
    text = render(i18n, figures, program, name)
    await query.answer()
    message = query.message
    if message is None or (getattr(message, "text", None) or "") == _plain(text):
        return  # the same figures: Telegram refuses an edit that changes nothing
    markup = keyboard(i18n, days, await _places(session), loc)
    await message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]


def _plain(html_text: str) -> str:
    """What Telegram keeps as a message's text after parsing our HTML: tags gone."""
    return html.unescape(_TAG.sub("", html_text))


def chart_text(i18n: I18n) -> ChartText:
    return ChartText(
        weekly_title=i18n.plain("chart-weekly-title"),
        new_members=i18n.plain("chart-new-members"),
        purchases=i18n.plain("chart-purchases"),
        redemptions=i18n.plain("chart-redemptions"),
        cohorts_title=i18n.plain("chart-cohorts-title"),
        cohort_axis=i18n.plain("chart-cohort-axis"),
        month_axis=i18n.plain("chart-month-axis"),
        size=i18n.plain("chart-size"),
        empty=i18n.plain("chart-empty"),
    )


async def send_chart(
    query: CallbackQuery,
    callback_data: StatsCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    await query.answer(i18n.plain("stats-preparing"))
    now = clock.now()
    loc, name = await _chosen_location(session, callback_data.loc)
    weeks = await analytics.weekly(session, now=now, tz=settings.tz, location_id=loc)
    months = await analytics.cohorts(session, now=now, tz=settings.tz, location_id=loc)
    # Drawing takes a few hundred milliseconds of CPU: off the event loop.
    png = await asyncio.to_thread(overview_png, weeks, months, chart_text(i18n))
    caption = _captioned(i18n, i18n.plain("stats-chart-caption"), name)
    await query.message.answer_photo(  # type: ignore[union-attr]
        BufferedInputFile(png, filename=f"stats-{_slug(name)}{_stamp(now, settings)}.png"),
        caption=caption,
    )


async def export(
    query: CallbackQuery,
    callback_data: StatsCD,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    await query.answer(i18n.plain("stats-preparing"))
    now = clock.now()
    stamp = _stamp(now, settings)
    if callback_data.action is StatsAction.MEMBERS:
        data = await analytics.members_csv(session, tz=settings.tz)
        name, caption = f"members-{stamp}.csv", i18n.plain("stats-members-file")
    else:
        days = _days(callback_data.days)
        loc, place = await _chosen_location(session, callback_data.loc)
        data = await analytics.operations_csv(
            session,
            tz=settings.tz,
            since=analytics.period_start(now, days),
            until=now,
            location_id=loc,
        )
        period = (
            i18n.plain("stats-period-days", days=days) if days else i18n.plain("stats-period-all")
        )
        span = f"{days}d" if days else "all"
        name = f"operations-{span}-{_slug(place)}{stamp}.csv"
        caption = _captioned(i18n, i18n.plain("stats-operations-file", period=period), place)
    await query.message.answer_document(  # type: ignore[union-attr]
        BufferedInputFile(data, filename=name), caption=caption
    )


def _slug(name: str | None) -> str:
    """A location's name for a file name (`Центр-2-`), empty for all locations."""
    if name is None:
        return ""
    return (_UNSAFE.sub("-", name).strip("-")[:40] or "location") + "-"


def _stamp(now: datetime, settings: Settings) -> str:
    return now.astimezone(settings.tz).strftime("%Y-%m-%d")
