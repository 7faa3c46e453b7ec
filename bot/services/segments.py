"""Who a broadcast goes to: filters on members that combine with AND, as one SQL condition.

An empty segment is everyone. Erased members (see `privacy`) are never anyone's audience.
Who of them actually receives a broadcast (promotional messages on, reachable, under the weekly
cap) is decided by `broadcasts`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.operations import PURCHASE_KINDS, OpStatus
from db.models import Member, Operation, PointLot

MAX_DAYS = 3650
NUMBER_FILTERS = ("inactive_days", "joined_days", "expiring_days")


@dataclass(frozen=True, slots=True)
class Segment:
    """Filters a member must all pass. `None`, `()` and `False` mean "no filter"."""

    tiers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    inactive_days: int | None = None  # no purchase for this many days (and joined before)
    birthday_this_month: bool = False  # in the business's time zone
    never_purchased: bool = False
    joined_days: int | None = None  # joined within the last N days
    expiring_days: int | None = None  # has points expiring within N days

    @property
    def is_everyone(self) -> bool:
        return self == Segment()

    def to_json(self) -> dict[str, Any]:
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
            if value not in (None, (), False)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        data = data or {}
        return cls(
            tiers=tuple(data.get("tiers", ())),
            languages=tuple(data.get("languages", ())),
            inactive_days=data.get("inactive_days"),
            birthday_this_month=bool(data.get("birthday_this_month", False)),
            never_purchased=bool(data.get("never_purchased", False)),
            joined_days=data.get("joined_days"),
            expiring_days=data.get("expiring_days"),
        )

    def toggle(self, field: str, value: str) -> Segment:
        """Add or remove one tier or language."""
        current: tuple[str, ...] = getattr(self, field)
        chosen = tuple(v for v in current if v != value) if value in current else (*current, value)
        return replace(self, **{field: chosen})

    def flip(self, field: str) -> Segment:
        return replace(self, **{field: not getattr(self, field)})

    def with_days(self, field: str, days: int | None) -> Segment:
        if field not in NUMBER_FILTERS:
            raise ValueError(field)
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        return replace(self, **{field: days})


def parse_days(text: str) -> int | None | bool:
    """A number of days typed by a marketer: the number, `None` for "remove the filter" (0 or
    a dash), or False if it isn't one."""
    cleaned = text.strip()
    if cleaned in ("0", "-", "—"):
        return None
    if cleaned.isdigit() and 1 <= int(cleaned) <= MAX_DAYS:
        return int(cleaned)
    return False


def _purchases(member_id: Any) -> Any:
    return select(Operation.id).where(
        Operation.member_id == member_id,
        Operation.status == OpStatus.DONE.value,
        Operation.kind.in_(PURCHASE_KINDS),
    )


def condition(segment: Segment, *, now: datetime, tz: tzinfo) -> ColumnElement[bool]:
    """The segment as a WHERE clause on `members`."""
    clauses: list[ColumnElement[bool]] = [Member.telegram_id > 0]
    if segment.tiers:
        clauses.append(Member.tier.in_(segment.tiers))
    if segment.languages:
        clauses.append(Member.language.in_(segment.languages))
    if segment.inactive_days:
        since = now - timedelta(days=segment.inactive_days)
        clauses.append(Member.created_at <= since)
        clauses.append(~exists(_purchases(Member.id).where(Operation.created_at > since)))
    if segment.birthday_this_month:
        month = now.astimezone(tz).month
        clauses.append(extract("month", Member.birthday) == month)
    if segment.never_purchased:
        clauses.append(~exists(_purchases(Member.id)))
    if segment.joined_days:
        clauses.append(Member.created_at > now - timedelta(days=segment.joined_days))
    if segment.expiring_days:
        clauses.append(
            exists(
                select(PointLot.id).where(
                    PointLot.member_id == Member.id,
                    PointLot.remaining > 0,
                    PointLot.expires_at > now,
                    PointLot.expires_at <= now + timedelta(days=segment.expiring_days),
                )
            )
        )
    return and_(*clauses)


async def count(session: AsyncSession, segment: Segment, *, now: datetime, tz: tzinfo) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Member).where(condition(segment, now=now, tz=tz))
    )
    return int(found or 0)
