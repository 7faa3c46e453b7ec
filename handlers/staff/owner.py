"""Owners: invite staff and marketers, see and revoke the team, decide held operations."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Translator, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import members, operations, team
from bot.services.card_tokens import deep_link
from bot.services.ledger import InsufficientPoints
from bot.services.operations import NotPending, PointsOutOfRange
from bot.services.program import Program
from bot.services.team import InviteOutcome, Person, Role
from handlers.callbacks import DecideCD, TeamAction, TeamCD
from handlers.staff.common import Messenger, op_line, staff_result


def router() -> Router:
    router = Router(name="owner")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(invite, Command("invite"))
    router.message.register(show_team, Command("team"))
    router.callback_query.register(team_action, TeamCD.filter())
    router.callback_query.register(decide, DecideCD.filter())
    return router


def invites_router() -> Router:
    """Opening an invitation link: open to anyone, the invite itself is the permission."""
    router = Router(name="invites")
    router.message.register(
        accept, CommandStart(deep_link=True, magic=F.args.func(team.looks_like_invite))
    )
    return router


async def invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    wanted = (command.args or "").strip().lower()
    if wanted not in (Role.STAFF, Role.MARKETER):
        await message.answer(i18n("invite-usage"))
        return
    created = await team.create_invite(
        session, Role(wanted), created_by=person.telegram_id, now=clock.now()
    )
    me = await bot.me()
    await message.answer(
        i18n(
            "invite-created",
            role=i18n.plain(f"role-name-{wanted}"),
            link=deep_link(me.username or "", created.code),
        )
    )


async def accept(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    translator: Translator,
    settings: Settings,
    program: Program,
) -> None:
    user = message.from_user
    assert user is not None
    if person.is_owner:
        await message.answer(i18n("invite-owner-self"))
        return
    result = await team.accept_invite(
        session,
        command.args or "",
        telegram_id=user.id,
        name=user.full_name,
        now=clock.now(),
        language=i18n.locale,
    )
    if result.outcome is not InviteOutcome.APPOINTED or result.role is None:
        await message.answer(i18n(f"invite-{result.outcome.value}"))
        return
    role_name = i18n.plain(f"role-name-{result.role.value}")
    hint = i18n(f"invite-accepted-{result.role.value}-hint")
    await message.answer(i18n("invite-accepted", role=role_name, hint=hint))
    await commands.announce_for(bot, translator, user.id, result.role, i18n.locale)
    if result.invited_by is not None:
        messenger = Messenger(bot, session, translator, settings, program)
        owner_i18n = await messenger.i18n_for(result.invited_by)
        await messenger.send(
            result.invited_by,
            owner_i18n(
                "invite-owner-told",
                name=user.full_name,
                role=owner_i18n.plain(f"role-name-{result.role.value}"),
            ),
        )


async def show_team(
    message: Message, session: AsyncSession, i18n: I18n, settings: Settings
) -> None:
    people = await team.team(session)
    if not people:
        await message.answer(i18n("team-empty"))
        return
    builder = InlineKeyboardBuilder()
    lines = [i18n("team-title")]
    for person in people:
        name = person.name or str(person.telegram_id)
        lines.append(
            i18n(
                "team-line",
                name=name,
                role=i18n.plain(f"role-name-{person.role}"),
                date=person.appointed_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
            )
        )
        builder.button(
            text=i18n.plain("team-ops-button", name=name[:40]),
            callback_data=TeamCD(action=TeamAction.OPERATIONS, user=person.telegram_id),
        )
        builder.button(
            text=i18n.plain("team-revoke-button", name=name[:40]),
            callback_data=TeamCD(action=TeamAction.REVOKE, user=person.telegram_id),
        )
    builder.adjust(2)
    await message.answer(join_lines(lines), reply_markup=builder.as_markup())


async def team_action(
    query: CallbackQuery,
    callback_data: TeamCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    program: Program,
    settings: Settings,
    translator: Translator,
) -> None:
    messenger = Messenger(bot, session, translator, settings, program)
    name = await messenger.staff_name(callback_data.user)
    if callback_data.action is TeamAction.OPERATIONS:
        recent = await operations.recent(session, staff_id=callback_data.user, limit=10)
        await query.answer()
        body = join_lines(
            [i18n("team-ops-title", name=name)]
            + ([op_line(i18n, program, settings, op) for op in recent] or [i18n("team-ops-empty")])
        )
        await query.message.answer(body)  # type: ignore[union-attr]
        return
    revoked = await team.revoke(
        session, callback_data.user, by=person.telegram_id, now=clock.now()
    )
    if not revoked:
        await query.answer(i18n.plain("team-not-found"), show_alert=True)
        return
    await query.answer()
    await query.message.answer(i18n("team-revoked", name=name))  # type: ignore[union-attr]
    target_i18n = await messenger.i18n_for(callback_data.user)
    await messenger.send(callback_data.user, target_i18n("team-revoked-notice"))
    await commands.announce_for(bot, translator, callback_data.user, None, target_i18n.locale)


async def decide(
    query: CallbackQuery,
    callback_data: DecideCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    program: Program,
    settings: Settings,
    translator: Translator,
) -> None:
    messenger = Messenger(bot, session, translator, settings, program)
    try:
        if callback_data.approve:
            outcome = await operations.approve(
                session,
                program,
                operation_id=callback_data.op,
                owner_id=person.telegram_id,
                now=clock.now(),
            )
            operation = outcome.operation
        else:
            outcome = None
            operation = await operations.decline(
                session,
                operation_id=callback_data.op,
                owner_id=person.telegram_id,
                now=clock.now(),
            )
    except NotPending:
        await query.answer(i18n.plain("owner-decided-already"), show_alert=True)
        return
    except (InsufficientPoints, PointsOutOfRange):
        await query.answer(i18n.plain("staff-error-points"), show_alert=True)
        return
    await query.answer()
    key = "owner-approved" if callback_data.approve else "owner-declined"
    await query.message.edit_text(  # type: ignore[union-attr]
        join_lines([getattr(query.message, "html_text", "") or "", i18n(key, id=operation.id)])
    )
    if outcome is not None and outcome.replayed:
        return
    staff_i18n = await messenger.i18n_for(operation.staff_id)
    if outcome is not None:
        await messenger.send(
            operation.staff_id,
            join_lines(
                [
                    staff_i18n("staff-decided-approved", id=operation.id),
                    staff_result(staff_i18n, program, outcome),
                ]
            ),
        )
        member = await members.get(session, operation.member_id)
        if member is not None:
            await messenger.after(member, outcome)
    else:
        await messenger.send(
            operation.staff_id, staff_i18n("staff-decided-declined", id=operation.id)
        )
