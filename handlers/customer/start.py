"""Joining: greeting, consent, optional phone, then the main menu."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import I18n, Translator, join_lines
from bot.services import members, wallet
from bot.services.card_tokens import looks_like_card_token
from bot.services.program import Program, text
from db.models import Member
from handlers import keyboards
from handlers.callbacks import ConsentCD
from handlers.customer import referrals as referral_views
from handlers.filters import IsMember, MenuButton


def router() -> Router:
    router = Router(name="customer.start")
    router.message.register(start, CommandStart())
    router.callback_query.register(agree, ConsentCD.filter())
    router.message.register(contact, F.contact, IsMember())
    router.message.register(skip_phone, MenuButton("phone-skip-button"), IsMember())
    return router


async def start(
    message: Message,
    command: CommandObject,
    member: Member | None,
    i18n: I18n,
    program: Program,
) -> None:
    payload = command.args or ""
    if looks_like_card_token(payload):
        await message.answer(i18n("card-is-member-card"))
    if member is not None:
        await show_menu(message, i18n)
        return
    await invite_to_join(message, i18n, program)


async def invite_to_join(message: Message, i18n: I18n, program: Program, ref: str = "") -> None:
    user = message.from_user
    name = user.first_name if user else ""
    await message.answer(
        "\n\n".join(
            (
                i18n("start-greeting", name=name, program=text(program.name, i18n.locale)),
                i18n("start-explain"),
                i18n("consent-prompt"),
            )
        ),
        reply_markup=keyboards.consent(i18n, ref),
    )


async def show_menu(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("menu-shown"), reply_markup=keyboards.main_menu(i18n))


async def agree(
    query: CallbackQuery,
    callback_data: ConsentCD,
    bot: Bot,
    session: AsyncSession,
    member: Member | None,
    i18n: I18n,
    program: Program,
    clock: Clock,
    translator: Translator,
) -> None:
    user = query.from_user
    if member is not None:
        await query.answer(i18n.plain("consent-already"))
        return
    joined = await wallet.welcome(
        session,
        members.Applicant(
            telegram_id=user.id,
            first_name=user.first_name,
            last_name=user.last_name or "",
            username=user.username,
            language=i18n.locale,
        ),
        program=program,
        now=clock.now(),
        referral_code=callback_data.ref,
    )
    if not joined.created:
        # A second tap that raced the first: the member exists, say so once.
        await query.answer(i18n.plain("consent-already"))
        return
    await query.answer()
    done = i18n("consent-done", program=text(program.name, i18n.locale))
    if joined.bonus:
        done += "\n" + i18n("welcome-bonus", points=joined.bonus)
    referral = await referral_views.after_join(bot, translator, i18n, program, joined)
    done = join_lines([done, referral])
    if query.message is not None:
        await query.message.edit_text(done)  # type: ignore[union-attr]
    await query.bot.send_message(
        user.id, i18n("phone-ask"), reply_markup=keyboards.phone_request(i18n)
    )  # type: ignore[union-attr]


async def contact(message: Message, session: AsyncSession, member: Member, i18n: I18n) -> None:
    shared = message.contact
    assert shared is not None and message.from_user is not None
    if shared.user_id != message.from_user.id or not await members.set_phone(
        session, member, shared.phone_number
    ):
        await message.answer(i18n("phone-not-own"), reply_markup=keyboards.phone_request(i18n))
        return
    await message.answer(i18n("phone-saved"), reply_markup=keyboards.main_menu(i18n))


async def skip_phone(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("phone-skipped"), reply_markup=keyboards.main_menu(i18n))
