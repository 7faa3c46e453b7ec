"""Owners: invite staff and marketers, see, move and revoke the team, decide held operations."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Translator, join_lines
from bot.middlewares.roles import RoleGate
from bot.services import locations, members, operations, team
from bot.services.card_tokens import deep_link
from bot.services.ledger import InsufficientPoints
from bot.services.locations import LocationGone, Move
from bot.services.operations import NotPending, PointsOutOfRange
from bot.services.program import Program
from bot.services.team import InviteOutcome, Person, Role
from handlers.callbacks import DecideCD, InviteCD, MoveCD, TeamAction, TeamCD
from handlers.staff.common import Messenger, op_line, staff_result
from handlers.staff.locations import place_picker


def router() -> Router:
    router = Router(name="owner")
    gate = RoleGate(Role.OWNER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.message.register(invite, Command("invite"))
    router.message.register(show_team, Command("team"))
    router.callback_query.register(invite_at, InviteCD.filter())
    router.callback_query.register(team_action, TeamCD.filter())
    router.callback_query.register(move, MoveCD.filter())
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
    # A chain says where the new staff member will work; a shop without locations is not asked.
    places = await locations.active(session) if wanted == Role.STAFF else []
    if places:
        await message.answer(
            i18n("locations-invite-ask"),
            reply_markup=place_picker(i18n, places, lambda loc: InviteCD(role=wanted, loc=loc)),
        )
        return
    await message.answer(
        await _new_invite(bot, session, person, i18n, clock, Role(wanted), location_id=None)
    )


async def invite_at(
    query: CallbackQuery,
    callback_data: InviteCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    if callback_data.role not in (Role.STAFF, Role.MARKETER):
        await query.answer()
        return
    try:
        location_id = await locations.usable(session, callback_data.loc or None)
    except LocationGone:
        await query.answer(i18n.plain("locations-gone"), show_alert=True)
        return
    body = await _new_invite(
        bot, session, person, i18n, clock, Role(callback_data.role), location_id=location_id
    )
    await query.answer()
    await query.message.edit_text(body)  # type: ignore[union-attr]


async def _new_invite(
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    role: Role,
    *,
    location_id: int | None,
) -> str:
    created = await team.create_invite(
        session, role, created_by=person.telegram_id, now=clock.now(), location_id=location_id
    )
    me = await bot.me()
    body = i18n(
        "invite-created",
        role=i18n.plain(f"role-name-{role.value}"),
        link=deep_link(me.username or "", created.code),
    )
    place = await locations.name_of(session, location_id)
    return join_lines([body, i18n("locations-invite-at", location=place) if place else ""])


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
    # Where each person works, once the business has locations at all.
    places = await locations.names(session) if await locations.any_active(session) else None
    builder = InlineKeyboardBuilder()
    lines = [i18n("team-title")]
    for person in people:
        name = person.name or str(person.telegram_id)
        line = i18n(
            "team-line",
            name=name,
            role=i18n.plain(f"role-name-{person.role}"),
            date=person.appointed_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
        )
        if places is not None:
            place = places.get(person.location_id or 0)
            where = (
                i18n("locations-team-at", location=place)
                if place
                else i18n("locations-team-nowhere")
            )
            line = f"{line} · {where}"
        lines.append(line)
        builder.row(
            InlineKeyboardButton(
                text=i18n.plain("team-ops-button", name=name[:40]),
                callback_data=TeamCD(action=TeamAction.OPERATIONS, user=person.telegram_id).pack(),
            ),
            InlineKeyboardButton(
                text=i18n.plain("team-revoke-button", name=name[:40]),
                callback_data=TeamCD(action=TeamAction.REVOKE, user=person.telegram_id).pack(),
            ),
        )
        if places is not None and person.role == Role.STAFF:
            builder.row(
                InlineKeyboardButton(
                    text=i18n.plain("locations-btn-move", name=name[:40]),
                    callback_data=TeamCD(action=TeamAction.MOVE, user=person.telegram_id).pack(),
                )
            )
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
    if callback_data.action is TeamAction.MOVE:
        await query.answer()
        await query.message.answer(  # type: ignore[union-attr]
            i18n("locations-move-ask", name=name),
            reply_markup=place_picker(
                i18n,
                await locations.active(session),
                lambda loc: MoveCD(user=callback_data.user, loc=loc),
            ),
        )
        return
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


async def move(
    query: CallbackQuery,
    callback_data: MoveCD,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    program: Program,
    settings: Settings,
    translator: Translator,
) -> None:
    """A staff member (or the owner themselves) now works at another location: their next
    operation is recorded there."""
    try:
        moved = await locations.assign(session, callback_data.user, callback_data.loc or None)
    except LocationGone:
        await query.answer(i18n.plain("locations-gone"), show_alert=True)
        return
    if moved is Move.NOT_ON_TEAM:
        await query.answer(i18n.plain("team-not-found"), show_alert=True)
        return
    if moved is Move.ALREADY_THERE:
        await query.answer(i18n.plain("locations-already-there"))
        return
    await query.answer()
    place = await locations.name_of(session, callback_data.loc or None)
    messenger = Messenger(bot, session, translator, settings, program)
    if callback_data.user == person.telegram_id:
        body = i18n("locations-mine-at", location=place) if place else i18n("locations-mine-none")
        await query.message.edit_text(body)  # type: ignore[union-attr]
        return
    name = await messenger.staff_name(callback_data.user)
    body = (
        i18n("locations-moved", name=name, location=place)
        if place
        else i18n("locations-moved-none", name=name)
    )
    await query.message.edit_text(body)  # type: ignore[union-attr]
    staff_i18n = await messenger.i18n_for(callback_data.user)
    await messenger.send(
        callback_data.user,
        staff_i18n("locations-moved-notice", location=place)
        if place
        else staff_i18n("locations-moved-notice-none"),
    )


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
