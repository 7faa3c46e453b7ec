"""Invite friends: the member's link with a share button, and what opening a link does."""

from __future__ import annotations

import logging
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import I18n, Translator, join_lines
from bot.services import referrals
from bot.services.card_tokens import deep_link
from bot.services.program import Program, text
from bot.services.wallet import Welcome
from db.models import Member
from handlers import keyboards
from handlers.customer import start
from handlers.filters import IsMember, MenuButton

log = logging.getLogger(__name__)


class ReferralAction(StrEnum):
    RENEW = "n"


class ReferralCD(CallbackData, prefix="rf"):
    action: ReferralAction


def router() -> Router:
    router = Router(name="customer.referrals")
    router.message.register(
        open_link, CommandStart(deep_link=True, magic=F.args.func(referrals.looks_like_code))
    )
    router.message.register(show_invite, MenuButton("menu-invite"), IsMember())
    router.callback_query.register(renew, ReferralCD.filter(), IsMember())
    return router


async def open_link(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member | None,
    i18n: I18n,
    program: Program,
    clock: Clock,
) -> None:
    """A friend's link opened: nothing is stored until consent, which carries the code."""
    assert message.from_user is not None
    code = command.args or ""
    verdict = await referrals.check(
        session,
        code,
        telegram_id=message.from_user.id,
        is_member=member is not None,
        program=program,
        now=clock.now(),
    )
    if member is not None:
        refusal = verdict.refusal or referrals.Refusal.ALREADY_MEMBER
        await message.answer(refusal_text(i18n, refusal), reply_markup=keyboards.main_menu(i18n))
        return
    if verdict.refusal is not None or verdict.referrer is None:
        await message.answer(refusal_text(i18n, verdict.refusal))
        await start.invite_to_join(message, i18n, program)
        return
    key = "referral-invited-by-bonus" if program.referral.welcome_bonus else "referral-invited-by"
    await message.answer(
        i18n(key, name=verdict.referrer.first_name, points=program.referral.welcome_bonus)
    )
    await start.invite_to_join(message, i18n, program, ref=code)


async def show_invite(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    clock: Clock,
) -> None:
    code = await referrals.personal_code(session, member.id, now=clock.now())
    link = await _link(bot, code)
    stats = await referrals.stats(session, member.id)
    await message.answer(
        render(i18n, program, link, stats), reply_markup=_buttons(i18n, program, link)
    )
    await message.answer(forward_text(i18n, program, link))


async def renew(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    clock: Clock,
) -> None:
    code = await referrals.renew_code(session, member.id, now=clock.now())
    link = await _link(bot, code)
    stats = await referrals.stats(session, member.id)
    await query.answer(i18n.plain("invite-renewed"))
    if isinstance(query.message, Message):
        await query.message.edit_text(
            render(i18n, program, link, stats), reply_markup=_buttons(i18n, program, link)
        )
    await bot.send_message(query.from_user.id, forward_text(i18n, program, link))


def render(i18n: I18n, program: Program, link: str, stats: referrals.Stats) -> str:
    rules = program.referral
    reward = ""
    if rules.reward:
        key = "invite-you-get-join" if rules.pay_on == "join" else "invite-you-get-purchase"
        reward = i18n(key, points=rules.reward)
    return join_lines(
        [
            i18n("invite-title"),
            i18n("invite-friend-gets", points=rules.welcome_bonus) if rules.welcome_bonus else "",
            reward,
            i18n("invite-cap", cap=rules.monthly_cap) if rules.monthly_cap else "",
            "",
            i18n("invite-link", link=link),
            "",
            i18n("invite-stats", joined=stats.joined, bought=stats.bought, points=stats.points),
        ]
    )


def forward_text(i18n: I18n, program: Program, link: str) -> str:
    """A message ready to forward to a friend."""
    key = "invite-forward-bonus" if program.referral.welcome_bonus else "invite-forward"
    return i18n(
        key,
        program=text(program.name, i18n.locale),
        points=program.referral.welcome_bonus,
        link=link,
    )


def _buttons(i18n: I18n, program: Program, link: str) -> InlineKeyboardMarkup:
    key = "invite-share-text-bonus" if program.referral.welcome_bonus else "invite-share-text"
    share = i18n.plain(
        key, program=text(program.name, i18n.locale), points=program.referral.welcome_bonus
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.plain("invite-share-button"), url=referrals.share_url(link, share))
    builder.button(
        text=i18n.plain("invite-renew-button"),
        callback_data=ReferralCD(action=ReferralAction.RENEW),
    )
    builder.adjust(1)
    return builder.as_markup()


async def _link(bot: Bot, code: str) -> str:
    me = await bot.me()
    return deep_link(me.username or "", code)


async def after_join(
    bot: Bot, translator: Translator, i18n: I18n, program: Program, joined: Welcome
) -> str:
    """What joining through a link adds to the welcome: the friend's bonus or why there is
    none; and a note to whoever invited them."""
    linked = joined.referral
    if linked is None:
        return ""
    if linked.referrer is None:
        return refusal_text(i18n, linked.refusal)
    referrer = linked.referrer
    referrer_i18n = translator.bind(translator.resolve(referrer.language))
    friend = joined.member.first_name
    if linked.referrer_reward:
        note = referrer_i18n(
            "referral-friend-joined-paid", name=friend, points=linked.referrer_reward
        )
    elif program.referral.reward and program.referral.pay_on == "first_purchase":
        note = referrer_i18n("referral-friend-joined", name=friend, points=program.referral.reward)
    else:
        note = referrer_i18n("referral-friend-joined-plain", name=friend)
    await _tell(bot, referrer.telegram_id, note)
    if not linked.friend_bonus:
        return ""
    return i18n("referral-joined-bonus", name=referrer.first_name, points=linked.friend_bonus)


def refusal_text(i18n: I18n, refusal: referrals.Refusal | None) -> str:
    return i18n(f"referral-refused-{(refusal or referrals.Refusal.UNKNOWN).value}")


async def _tell(bot: Bot, chat_id: int, body: str) -> None:
    try:
        await bot.send_message(chat_id, body)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        # The inviter blocked the bot: the friend's joining must not fail over it.
        log.info("could not tell referrer %s: %s", chat_id, exc.message)
