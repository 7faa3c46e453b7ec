"""Owners' side of scheduled engagement (`/jobs`, `/birthday`), and staff redeeming the coupons
those jobs hand out (the button under the staff view of a member)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n
from bot.middlewares.roles import RoleGate
from bot.services import engagement, members
from bot.services.card_tokens import format_short_code
from bot.services.engagement import birthdays, coupons
from bot.services.engagement.birthdays import InvalidBirthday
from bot.services.engagement.coupons import CouponRefused
from bot.services.team import Person, Role


class CouponCD(CallbackData, prefix="cp"):
    coupon: int
    member: int


def router() -> Router:
    """Owners only: the job runs and the birthday override."""
    router = Router(name="owner.engagement")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.message.register(show_jobs, Command("jobs"))
    router.message.register(override_birthday, Command("birthday"))
    return router


def coupons_router() -> Router:
    router = Router(name="staff.coupons")
    router.callback_query.middleware(RoleGate(Role.OWNER, Role.STAFF))
    router.callback_query.register(redeem_coupon, CouponCD.filter())
    return router


async def show_jobs(
    message: Message, session: AsyncSession, i18n: I18n, settings: Settings
) -> None:
    runs = await engagement.last_runs(session, tuple(engagement.JOBS))
    lines = [i18n("jobs-title")]
    for job, recent in runs.items():
        lines += ["", i18n("jobs-job", job=i18n.plain(f"job-name-{job.replace('_', '-')}"))]
        lines += [
            i18n(
                "jobs-line",
                time=run.started_at.astimezone(settings.tz).strftime("%d.%m %H:%M"),
                status=i18n.plain(f"job-status-{run.status}"),
                members=run.members,
                messages=run.messages,
                undelivered=run.undelivered,
                errors=run.errors,
            )
            for run in recent
        ] or [i18n("jobs-never")]
    await message.answer("\n".join(lines))


async def override_birthday(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    words = (command.args or "").split()
    if len(words) < 2:
        await message.answer(i18n("birthday-owner-usage"))
        return
    code, typed = " ".join(words[:-1]), words[-1]
    try:
        birthday = (
            None
            if typed == "-"
            else birthdays.parse_birthday(typed, today=clock.now().astimezone(settings.tz).date())
        )
    except InvalidBirthday as exc:
        await message.answer(i18n(f"birthday-invalid-{exc.problem.value}"))
        return
    member = await birthdays.override_birthday(session, code, birthday, now=clock.now())
    if member is None:
        await message.answer(i18n("birthday-owner-unknown"))
        return
    name, short_code = member.display_name, format_short_code(member.short_code)
    if birthday is None:
        await message.answer(i18n("birthday-owner-cleared", name=name, code=short_code))
        return
    await message.answer(
        i18n(
            "birthday-owner-set",
            name=name,
            code=short_code,
            date=birthdays.format_birthday(birthday),
        )
    )


async def redeem_coupon(
    query: CallbackQuery,
    callback_data: CouponCD,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    try:
        coupon = await coupons.redeem(
            session,
            callback_data.coupon,
            member_id=callback_data.member,
            staff_id=person.telegram_id,
            now=clock.now(),
        )
    except CouponRefused as exc:
        await query.answer(i18n.plain(f"coupon-refused-{exc.problem.value}"), show_alert=True)
        return
    member = await members.get(session, coupon.member_id)
    await query.answer()
    await query.message.answer(  # type: ignore[union-attr]
        i18n(
            "coupon-redeemed",
            percent=coupon.percent,
            name=member.display_name if member else "—",
        )
    )
