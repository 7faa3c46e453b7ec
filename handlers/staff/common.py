"""Rendering shared by staff, owners and members: the staff view, receipts, alerts."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import I18n, Translator, join_lines
from bot.services import locations, members, operations, referrals, team
from bot.services.card_tokens import format_short_code
from bot.services.engagement import coupons
from bot.services.money import format_money
from bot.services.operations import OpKind, OpStatus, Outcome
from bot.services.program import Program, text
from db.models import Member, Operation, TeamMember
from handlers.callbacks import (
    CancelOpCD,
    DecideCD,
    MemberReplyCD,
    NotMeCD,
    StaffAction,
    StaffCD,
)
from handlers.staff.jobs import CouponCD

log = logging.getLogger(__name__)


def money(i18n: I18n, program: Program, minor: int) -> str:
    return format_money(minor, i18n.locale, program.currency_symbol)


def staff_keyboard(i18n: I18n) -> ReplyKeyboardMarkup:
    builder = ReplyKeyboardBuilder()
    builder.row(
        KeyboardButton(text=i18n.plain("staff-btn-scan")),
        KeyboardButton(text=i18n.plain("staff-btn-code")),
    )
    builder.row(
        KeyboardButton(text=i18n.plain("staff-btn-recent")),
        KeyboardButton(text=i18n.plain("staff-btn-exit")),
    )
    return builder.as_markup(resize_keyboard=True, is_persistent=True)


def op_line(i18n: I18n, program: Program, settings: Settings, operation: Operation) -> str:
    return i18n(
        "op-line",
        id=operation.id,
        time=operation.created_at.astimezone(settings.tz).strftime("%d.%m %H:%M"),
        kind=i18n.plain(f"op-kind-{operation.kind}"),
        amount=money(i18n, program, operation.amount) if operation.amount else "—",
        status=i18n.plain(f"op-status-{operation.status}"),
    )


async def staff_view(
    session: AsyncSession,
    i18n: I18n,
    program: Program,
    settings: Settings,
    member: Member,
    lookup_id: int,
) -> tuple[str, InlineKeyboardMarkup]:
    tier = program.tier(member.tier)
    needed = program.stamps.visits_needed
    lines = [
        i18n(
            "staff-view",
            name=member.display_name,
            code=format_short_code(member.short_code),
            tier=text(tier.name, i18n.locale),
            cashback=tier.cashback_percent,
            points=member.points_balance,
        )
    ]
    full = bool(needed) and member.stamps >= needed
    if needed:
        key = "staff-view-stamps-full" if full else "staff-view-stamps"
        lines.append(i18n(key, stamps=member.stamps, needed=needed))
    usable = await coupons.active_at_lookup(session, member.id, lookup_id)
    lines += [
        i18n(
            "staff-view-coupon",
            percent=coupon.percent,
            kind=i18n.plain(f"coupon-kind-{coupon.kind}"),
            until=coupons.last_day(coupon, settings.tz).strftime("%d.%m.%Y"),
        )
        for coupon in usable
    ]
    recent = await operations.recent(session, member_id=member.id, limit=3)
    if recent:
        lines += ["", i18n("staff-view-recent")]
        lines += [op_line(i18n, program, settings, operation) for operation in recent]
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("staff-btn-purchase"),
        callback_data=StaffCD(action=StaffAction.PURCHASE, member=member.id, lookup=lookup_id),
    )
    builder.button(
        text=i18n.plain("staff-btn-redeem"),
        callback_data=StaffCD(action=StaffAction.REDEEM, member=member.id, lookup=lookup_id),
    )
    if full:
        builder.button(
            text=i18n.plain("staff-btn-reward", reward=text(program.stamps.reward, i18n.locale)),
            callback_data=StaffCD(action=StaffAction.REWARD, member=member.id, lookup=lookup_id),
        )
    for coupon in usable:
        builder.button(
            text=i18n.plain("staff-btn-coupon", percent=coupon.percent),
            callback_data=CouponCD(coupon=coupon.id, member=member.id),
        )
    builder.adjust(2, 1)
    return "\n".join(lines), builder.as_markup()


def staff_result(i18n: I18n, program: Program, outcome: Outcome) -> str:
    operation = outcome.operation
    if outcome.status is OpStatus.HELD:
        return i18n("staff-held", reason=i18n.plain(f"hold-{operation.hold_reason}"))
    if outcome.status is OpStatus.AWAITING_MEMBER:
        return i18n("staff-awaiting-member")
    if outcome.status is OpStatus.CANCELLED:
        return i18n("staff-cancelled", id=operation.id, balance=outcome.balance)
    tier_up = (
        i18n("staff-tier-up", tier=text(program.tier(outcome.tier_after).name, i18n.locale))
        if outcome.tier_up
        else ""
    )
    if operation.kind == OpKind.REWARD:
        return i18n(
            "staff-done-reward",
            reward=text(program.stamps.reward, i18n.locale),
            stamps=outcome.stamps,
        )
    amount = money(i18n, program, operation.amount)
    if operation.kind == OpKind.REDEEM:
        return i18n(
            "staff-done-redeem",
            amount=amount,
            redeemed=operation.points_redeemed,
            points=operation.points_earned,
            to_pay=money(
                i18n, program, operation.amount - operation.points_redeemed * program.point_value
            ),
            balance=outcome.balance,
            tier_up=tier_up,
        )
    return i18n(
        "staff-done-purchase",
        amount=amount,
        points=operation.points_earned,
        balance=outcome.balance,
        stamps=outcome.stamps,
        tier_up=tier_up,
    )


def cancel_button(i18n: I18n, operation: Operation) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("staff-btn-cancel-op", id=operation.id),
        callback_data=CancelOpCD(op=operation.id),
    )
    return builder.as_markup()


class Messenger:
    """Sends to people other than the one who tapped: members, owners, staff. A person who
    blocked the bot must not break the operation that is being recorded."""

    def __init__(
        self,
        bot: Bot,
        session: AsyncSession,
        translator: Translator,
        settings: Settings,
        program: Program,
    ) -> None:
        self.bot = bot
        self.session = session
        self.translator = translator
        self.settings = settings
        self.program = program

    async def i18n_for(self, telegram_id: int) -> I18n:
        """The person's language: as a member, else as staff or owner, else the default."""
        member = await members.get_by_telegram_id(self.session, telegram_id)
        if member is not None:
            return self.translator.bind(self.translator.resolve(member.language))
        language = await team.language_of(self.session, telegram_id)
        return self.translator.bind(self.translator.resolve(language))

    async def send(
        self, chat_id: int, body: str, markup: InlineKeyboardMarkup | None = None
    ) -> bool:
        try:
            await self.bot.send_message(chat_id, body, reply_markup=markup)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            log.info("could not message %s: %s", chat_id, exc.message)
            return False
        return True

    async def receipt(self, member: Member, outcome: Outcome) -> None:
        """The member's receipt in their language, with a "Not me" button."""
        i18n = self.translator.bind(self.translator.resolve(member.language))
        program, operation = self.program, outcome.operation
        amount = money(i18n, program, operation.amount)
        stamp = i18n("receipt-stamp") if operation.stamps_delta > 0 else ""
        if outcome.status is OpStatus.CANCELLED:
            head = i18n("receipt-cancelled", id=operation.id, balance=outcome.balance)
        elif operation.kind == OpKind.REWARD:
            head = i18n("receipt-reward", reward=text(program.stamps.reward, i18n.locale))
        elif operation.kind == OpKind.REDEEM:
            head = (
                i18n(
                    "receipt-redeem",
                    amount=amount,
                    redeemed=operation.points_redeemed,
                    to_pay=money(
                        i18n,
                        program,
                        operation.amount - operation.points_redeemed * program.point_value,
                    ),
                    points=operation.points_earned,
                )
                + stamp
            )
        else:
            head = i18n(
                "receipt-purchase", amount=amount, points=operation.points_earned, stamp=stamp
            )
        tier = program.tier(outcome.tier_after)
        lines = [
            head,
            i18n(
                "receipt-footer",
                balance=outcome.balance,
                stamps=outcome.stamps,
                needed=program.stamps.visits_needed,
                tier=text(tier.name, i18n.locale),
            ),
        ]
        if outcome.tier_up and outcome.status is OpStatus.DONE:
            lines.append(
                i18n(
                    "receipt-tier-up",
                    tier=text(tier.name, i18n.locale),
                    cashback=tier.cashback_percent,
                )
            )
        builder = InlineKeyboardBuilder()
        if outcome.status is OpStatus.DONE:
            builder.button(
                text=i18n.plain("receipt-not-me-button"), callback_data=NotMeCD(op=operation.id)
            )
        await self.send(
            member.telegram_id, join_lines(lines), builder.as_markup() if builder.buttons else None
        )

    async def ask_member(self, member: Member, outcome: Outcome) -> None:
        i18n = self.translator.bind(self.translator.resolve(member.language))
        operation = outcome.operation
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n.plain("member-confirm-yes"),
            callback_data=MemberReplyCD(op=operation.id, yes=True),
        )
        builder.button(
            text=i18n.plain("member-confirm-no"),
            callback_data=MemberReplyCD(op=operation.id, yes=False),
        )
        await self.send(
            member.telegram_id,
            i18n(
                "member-confirm-ask",
                points=operation.points_redeemed,
                amount=money(i18n, self.program, operation.amount),
                to_pay=money(
                    i18n,
                    self.program,
                    operation.amount - operation.points_redeemed * self.program.point_value,
                ),
            ),
            builder.as_markup(),
        )

    async def staff_name(self, telegram_id: int) -> str:
        person = await self.session.scalar(
            select(TeamMember).where(TeamMember.telegram_id == telegram_id)
        )
        return person.name if person and person.name else str(telegram_id)

    async def held(self, member: Member, outcome: Outcome) -> None:
        operation = outcome.operation

        def buttons(i18n: I18n) -> InlineKeyboardMarkup:
            builder = InlineKeyboardBuilder()
            builder.button(
                text=i18n.plain("owner-btn-approve"),
                callback_data=DecideCD(op=operation.id, approve=True),
            )
            builder.button(
                text=i18n.plain("owner-btn-decline"),
                callback_data=DecideCD(op=operation.id, approve=False),
            )
            return builder.as_markup()

        staff = await self.staff_name(operation.staff_id)
        place = await locations.name_of(self.session, operation.location_id)
        for owner_id in sorted(self.settings.owner_ids):
            i18n = await self.i18n_for(owner_id)
            body = i18n(
                "owner-held",
                id=operation.id,
                reason=i18n.plain(f"hold-{operation.hold_reason}"),
                kind=i18n.plain(f"op-kind-{operation.kind}"),
                amount=money(i18n, self.program, operation.amount),
                member=member.display_name,
                staff=staff,
            )
            if place is not None:
                body = join_lines([body, i18n("locations-held-at", location=place)])
            await self.send(owner_id, body, buttons(i18n))

    async def referral_paid(self, payout: referrals.Payout) -> None:
        """The inviter learns that their friend's first purchase earned them the reward."""
        referrer = await self.session.get(Member, payout.referrer_id)
        if referrer is None:
            return
        i18n = self.translator.bind(self.translator.resolve(referrer.language))
        await self.send(
            referrer.telegram_id,
            i18n("referral-friend-bought-paid", name=payout.friend_name, points=payout.points),
        )

    async def after(self, member: Member, outcome: Outcome) -> None:
        """Tell whoever needs to know about an operation's new state."""
        if outcome.replayed:
            return
        if outcome.status in (OpStatus.DONE, OpStatus.CANCELLED):
            await self.receipt(member, outcome)
            if outcome.referral is not None:
                await self.referral_paid(outcome.referral)
        elif outcome.status is OpStatus.HELD:
            await self.held(member, outcome)
        elif outcome.status is OpStatus.AWAITING_MEMBER:
            await self.ask_member(member, outcome)


def local_time(settings: Settings, moment: datetime) -> str:
    return moment.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
