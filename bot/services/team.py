"""Roles: owners (from OWNER_IDS), staff and marketers appointed by one-time invite links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Location, TeamInvite, TeamMember

INVITE_PREFIX = "i"
INVITE_LIFETIME = timedelta(hours=24)


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    MARKETER = "marketer"


APPOINTABLE = (Role.STAFF, Role.MARKETER)


@dataclass(frozen=True, slots=True)
class Person:
    """Who is acting, as far as permissions go."""

    telegram_id: int
    role: Role | None
    staff_mode: bool = False

    @property
    def can_serve(self) -> bool:
        return self.role in (Role.OWNER, Role.STAFF)

    @property
    def can_market(self) -> bool:
        return self.role in (Role.OWNER, Role.MARKETER)

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


async def identify(session: AsyncSession, telegram_id: int, owner_ids: frozenset[int]) -> Person:
    appointed = await session.scalar(
        select(TeamMember).where(TeamMember.telegram_id == telegram_id, TeamMember.active)
    )
    staff_mode = bool(appointed and appointed.staff_mode)
    if telegram_id in owner_ids:
        return Person(telegram_id, Role.OWNER, staff_mode)
    if appointed is None or appointed.role == Role.OWNER:  # an owner no longer in OWNER_IDS
        return Person(telegram_id, None)
    return Person(telegram_id, Role(appointed.role), staff_mode)


async def create_invite(
    session: AsyncSession,
    role: Role,
    *,
    created_by: int,
    now: datetime,
    location_id: int | None = None,
) -> TeamInvite:
    """`location_id`: where the new person will work (check it with `locations.usable`)."""
    if role not in APPOINTABLE:
        raise ValueError(f"can't invite a {role}")
    invite = TeamInvite(
        code=INVITE_PREFIX + secrets.token_urlsafe(18),
        role=role.value,
        created_by=created_by,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
        location_id=location_id,
    )
    session.add(invite)
    await session.flush()
    return invite


def looks_like_invite(payload: str) -> bool:
    return payload.startswith(INVITE_PREFIX) and len(payload) == 1 + 24


class InviteOutcome(StrEnum):
    APPOINTED = "appointed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class InviteResult:
    outcome: InviteOutcome
    role: Role | None = None
    invited_by: int | None = None
    location_id: int | None = None


async def accept_invite(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    name: str,
    now: datetime,
    language: str | None = None,
) -> InviteResult:
    """Appoint the person; the link then stops working. Two people racing: one wins."""
    invite = await session.scalar(select(TeamInvite).where(TeamInvite.code == code))
    if invite is None:
        return InviteResult(InviteOutcome.UNKNOWN)
    if invite.used_by is not None:
        if invite.used_by == telegram_id:  # a repeated tap by the same person: already done
            return InviteResult(InviteOutcome.APPOINTED, Role(invite.role), invite.created_by)
        return InviteResult(InviteOutcome.USED)
    if invite.expires_at <= now:
        return InviteResult(InviteOutcome.EXPIRED)
    claimed = await session.execute(
        update(TeamInvite)
        .where(TeamInvite.id == invite.id, TeamInvite.used_by.is_(None))
        .values(used_by=telegram_id, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return InviteResult(InviteOutcome.USED)
    role = Role(invite.role)
    # A location archived since the invitation was made takes no new staff: no location then.
    location_id = await session.scalar(
        select(Location.id).where(
            Location.id == invite.location_id, Location.archived_at.is_(None)
        )
    )
    person = await session.scalar(select(TeamMember).where(TeamMember.telegram_id == telegram_id))
    if person is None:
        session.add(
            TeamMember(
                telegram_id=telegram_id,
                role=role.value,
                name=name[:256],
                language=language,
                active=True,
                staff_mode=False,
                appointed_by=invite.created_by,
                appointed_at=now,
                location_id=location_id,
            )
        )
    else:
        person.role, person.name, person.active = role.value, name[:256], True
        person.language = language
        person.appointed_by, person.appointed_at = invite.created_by, now
        person.revoked_by = person.revoked_at = None
        person.staff_mode = False
        person.location_id = location_id
    await session.flush()
    return InviteResult(InviteOutcome.APPOINTED, role, invite.created_by, location_id)


async def team(session: AsyncSession) -> list[TeamMember]:
    rows = await session.scalars(
        select(TeamMember)
        .where(TeamMember.active, TeamMember.role != Role.OWNER.value)
        .order_by(TeamMember.role, TeamMember.name)
    )
    return list(rows)


async def revoke(session: AsyncSession, telegram_id: int, *, by: int, now: datetime) -> bool:
    result = await session.execute(
        update(TeamMember)
        .where(TeamMember.telegram_id == telegram_id, TeamMember.active)
        .values(active=False, staff_mode=False, revoked_by=by, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def set_staff_mode(session: AsyncSession, telegram_id: int, on: bool) -> bool:
    """Owners serving at the counter get a row of their own the first time."""
    result = await session.execute(
        update(TeamMember)
        .where(TeamMember.telegram_id == telegram_id, TeamMember.active)
        .values(staff_mode=on)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def remember_language(session: AsyncSession, telegram_id: int, language: str) -> None:
    """Messages to staff and owners outside their own updates go out in this language."""
    await session.execute(
        update(TeamMember)
        .where(
            TeamMember.telegram_id == telegram_id,
            TeamMember.language.is_distinct_from(language),
        )
        .values(language=language)
        .execution_options(synchronize_session=False)
    )


async def language_of(session: AsyncSession, telegram_id: int) -> str | None:
    return await session.scalar(
        select(TeamMember.language).where(TeamMember.telegram_id == telegram_id)
    )


async def ensure_owner_row(
    session: AsyncSession, telegram_id: int, *, name: str, now: datetime
) -> None:
    exists = await session.scalar(
        select(TeamMember.id).where(TeamMember.telegram_id == telegram_id, TeamMember.active)
    )
    if exists is None:
        await session.execute(
            update(TeamMember)
            .where(TeamMember.telegram_id == telegram_id)
            .values(active=True, role=Role.OWNER.value, revoked_at=None, revoked_by=None)
            .execution_options(synchronize_session=False)
        )
        if not await session.scalar(
            select(TeamMember.id).where(TeamMember.telegram_id == telegram_id)
        ):
            session.add(
                TeamMember(
                    telegram_id=telegram_id,
                    role=Role.OWNER.value,
                    name=name[:256],
                    active=True,
                    staff_mode=False,
                    appointed_by=telegram_id,
                    appointed_at=now,
                )
            )
        await session.flush()
