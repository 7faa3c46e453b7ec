"""Locations: the branches of a chain. Staff and API keys belong to one, and every operation
records where it happened; the points and stamp programs are shared by all of them.

A shop that never creates a location has none, and nothing asks about them. Names are unique
(ignoring case), 1–64 characters. An archived location keeps its history (operations still
point at it) but gets no new staff or keys, and its staff are left without a location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import Select, String, case, cast, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.operations import OpStatus
from db.models import Location, Operation, TeamMember

NAME_MAX = 64
RECENT_DAYS = 30
_SPACES = re.compile(r"\s+")


class LocationError(Exception):
    pass


class NameInvalid(LocationError):
    """Empty, too long, or looks like a command."""


class NameTaken(LocationError):
    def __init__(self, name: str, *, archived: bool) -> None:
        super().__init__(f"a location named {name!r} exists")
        self.name = name
        self.archived = archived


class LocationGone(LocationError):
    """Unknown or archived: it can't take new staff or keys."""


def clean_name(raw: str) -> str:
    """The name as it will be kept: trimmed, inner runs of spaces made one space."""
    name = _SPACES.sub(" ", raw).strip()
    if not 1 <= len(name) <= NAME_MAX or name.startswith("/"):
        raise NameInvalid(name)
    return name


async def _check_free(session: AsyncSession, name: str, *, other_than: int | None = None) -> None:
    """Names compare ignoring case, archived locations included (their name is still theirs):
    SQLite's lower() knows only ASCII, so the comparison is made here, over a few rows."""
    wanted = name.casefold()
    for location in await session.scalars(select(Location)):
        if location.id != other_than and location.name.casefold() == wanted:
            raise NameTaken(location.name, archived=location.archived_at is not None)


async def create(
    session: AsyncSession, raw_name: str, *, created_by: int, now: datetime
) -> Location:
    name = clean_name(raw_name)
    await _check_free(session, name)
    location = Location(name=name, created_by=created_by, created_at=now)
    try:
        async with session.begin_nested():
            session.add(location)
            await session.flush()
    except IntegrityError:  # the same name created at the same moment by another owner
        raise NameTaken(name, archived=False) from None
    return location


async def rename(session: AsyncSession, location_id: int, raw_name: str) -> Location:
    name = clean_name(raw_name)
    location = await get(session, location_id)
    if location is None or location.archived_at is not None:
        raise LocationGone(location_id)
    await _check_free(session, name, other_than=location_id)
    try:
        async with session.begin_nested():
            location.name = name
            await session.flush()
    except IntegrityError:
        raise NameTaken(name, archived=False) from None
    return location


async def archive(session: AsyncSession, location_id: int, *, now: datetime) -> Location:
    """Idempotent. Staff working there are left without a location until an owner moves them."""
    location = await get(session, location_id)
    if location is None:
        raise LocationGone(location_id)
    if location.archived_at is None:
        location.archived_at = now
        await session.execute(
            update(TeamMember)
            .where(TeamMember.location_id == location_id)
            .values(location_id=None)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
    return location


async def get(session: AsyncSession, location_id: int) -> Location | None:
    return await session.get(Location, location_id)


async def usable(session: AsyncSession, location_id: int | None) -> int | None:
    """Check a location before giving it new staff or a key: None stays None (no location),
    an unknown or archived one raises `LocationGone`."""
    if location_id is None:
        return None
    location = await get(session, location_id)
    if location is None or location.archived_at is not None:
        raise LocationGone(location_id)
    return location.id


async def active(session: AsyncSession) -> list[Location]:
    rows = await session.scalars(
        select(Location).where(Location.archived_at.is_(None)).order_by(Location.name)
    )
    return list(rows)


async def any_active(session: AsyncSession) -> bool:
    """Does the business have branches at all? Without them nothing asks about locations."""
    found = await session.scalar(
        select(Location.id).where(Location.archived_at.is_(None)).limit(1)
    )
    return found is not None


async def names(session: AsyncSession) -> dict[int, str]:
    """Every location's name, archived ones included: history still names them."""
    return dict((await session.execute(select(Location.id, Location.name))).all())


async def name_of(session: AsyncSession, location_id: int | None) -> str | None:
    if location_id is None:
        return None
    return await session.scalar(select(Location.name).where(Location.id == location_id))


async def workplace(session: AsyncSession, telegram_id: int) -> int | None:
    """Where this staff member (or owner at the counter) works now: their location unless it
    was archived; None when they have none."""
    return await session.scalar(
        select(TeamMember.location_id)
        .join(Location, Location.id == TeamMember.location_id)
        .where(TeamMember.telegram_id == telegram_id, Location.archived_at.is_(None))
    )


class Move(StrEnum):
    MOVED = "moved"
    ALREADY_THERE = "already_there"  # a double tap, or the place they already work at
    NOT_ON_TEAM = "not_on_team"


async def assign(session: AsyncSession, telegram_id: int, location_id: int | None) -> Move:
    """Move a team member (or an owner's own row) to a location, or to none (`None`)."""
    location_id = await usable(session, location_id)
    person = await session.scalar(
        select(TeamMember)
        .where(TeamMember.telegram_id == telegram_id, TeamMember.active)
        .with_for_update()
    )
    if person is None:
        return Move.NOT_ON_TEAM
    if person.location_id == location_id:
        return Move.ALREADY_THERE
    person.location_id = location_id
    await session.flush()
    return Move.MOVED


async def people_at(session: AsyncSession, location_id: int) -> int:
    """Active team members working at a location (owners who serve there included)."""
    number = await session.scalar(
        select(func.count()).where(TeamMember.location_id == location_id, TeamMember.active)
    )
    return int(number or 0)


def operation_reference(location_id: int) -> Select[tuple[str]]:
    """The ledger references (`op:<id>`) of the operations made at a location: a subquery for
    `LedgerEntry.reference.in_(...)`, so cashback and its reversals follow their operation."""
    return select(literal("op:") + cast(Operation.id, String)).where(
        Operation.location_id == location_id
    )


@dataclass(frozen=True, slots=True)
class Summary:
    location_id: int | None  # None: operations recorded without a location
    name: str
    people: int  # active team members working there
    today: int  # done operations since local midnight
    recent: int  # done operations in the last 30 days


async def summaries(session: AsyncSession, *, now: datetime, tz: tzinfo) -> list[Summary]:
    """The active locations with their people and operations, then a row for operations
    without a location when there were any in the last 30 days."""
    local_midnight = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    since = now - timedelta(days=RECENT_DAYS)
    counts = {
        location_id: (int(today), int(recent))
        for location_id, today, recent in await session.execute(
            select(
                Operation.location_id,
                func.coalesce(
                    func.sum(case((Operation.created_at >= local_midnight, 1), else_=0)), 0
                ),
                func.count(),
            )
            .where(Operation.status == OpStatus.DONE.value, Operation.created_at >= since)
            .group_by(Operation.location_id)
        )
    }
    people = {
        location_id: int(number)
        for location_id, number in await session.execute(
            select(TeamMember.location_id, func.count())
            .where(TeamMember.active, TeamMember.location_id.is_not(None))
            .group_by(TeamMember.location_id)
        )
    }
    rows = [
        Summary(
            location.id,
            location.name,
            people.get(location.id, 0),
            *counts.get(location.id, (0, 0)),
        )
        for location in await active(session)
    ]
    if counts.get(None, (0, 0))[1]:
        rows.append(Summary(None, "", 0, *counts[None]))
    return rows
