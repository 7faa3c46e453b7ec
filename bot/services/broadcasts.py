"""Broadcasts: promotional messages to a segment of members, delivered exactly once each.

**The outbox.** When a broadcast starts, one `broadcast_deliveries` row per member of its segment
is inserted in the same transaction that marks it sending (unique per broadcast and member, so a
second start inserts nothing). Members with promotional messages off, who blocked the bot, or
who already had `[marketing] max_per_week` broadcasts in 7 days are `skipped` with the reason.
Senders then *claim* pending rows in small batches (`sending`, committed), send them, and record
each outcome (`sent`, `blocked`, `failed`, or back to `pending` for a retry) in one transaction
per batch. A sender stopped gracefully lets the messages in flight finish and records them
before it exits, so a restart resumes exactly where it stopped. A process killed outright
leaves its last batch `sending`: after `LEASE` those rows go back to `pending`, so nobody is
lost; only a message sent in the last instant before the kill can then arrive twice.

**Several instances** share one broadcast: claims use `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite, single-instance, serialises transactions instead), so no row is claimed
twice. They also share one rate: `SendPacer` keeps the next free sending moment in the database;
each batch reserves its slots from it (one short transaction), so all instances together stay
under the configured rate, and a 429 moves that moment past `retry_after` for everyone.

Nothing here imports aiogram: the runner is handed `deliver` (send one message, say how it went)
and `show_progress` (send or edit the author's progress message) by the bot (`bot.broadcasting`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Interval,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services import quizzes
from bot.services.operations import PURCHASE_KINDS, OpStatus
from bot.services.program import Program, QuietHours
from bot.services.segments import Segment, condition
from db.models import Broadcast, BroadcastDelivery, Member, Operation, Quiz, QuizQuestion
from db.models import SendPacer as PacerRow
from db.session import insert_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # sends of one message that failed for a reason worth retrying
LEASE = timedelta(minutes=2)  # a claimed row not recorded by then was claimed by a dead sender
CAP_WINDOW = timedelta(days=7)
PROGRESS_EVERY = 3.0  # seconds between edits of the progress message (Telegram's flood rules)
LATE_LIMIT = 1.0  # seconds a send may run behind its reserved slot before the batch gives up
SUMMARY_MAX = 200


class BroadcastKind(StrEnum):
    MESSAGE = "message"  # a copy of the author's message
    QUIZ = "quiz"  # the announcement of a published quiz


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


ACTIVE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.PAUSED)
FINAL = (BroadcastStatus.CANCELLED, BroadcastStatus.DONE)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the member blocked the bot or deleted their account
    FAILED = "failed"
    SKIPPED = "skipped"  # see `SkipReason`


class SkipReason(StrEnum):
    OPTED_OUT = "opted_out"
    UNREACHABLE = "unreachable"
    WEEKLY_CAP = "weekly_cap"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """How one attempt to send went, as the bot saw Telegram's answer."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403
    REJECTED = "rejected"  # 400: sending again would not help
    ERROR = "error"  # network or server trouble: worth another try
    FLOOD = "flood"  # 429: everybody waits `retry_after`


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    error: str = ""
    retry_after: float = 0.0


class BroadcastError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---- creating ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """What a marketer composed: their message (copied as it is), an optional link button and
    the segment."""

    source_chat_id: int
    source_message_id: int
    summary: str
    segment: Segment
    button_text: str | None = None
    button_url: str | None = None


def next_allowed(moment: datetime, quiet: QuietHours, tz: tzinfo) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in."""
    local = moment.astimezone(tz)
    if not quiet.contains(local.time()):
        return moment
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


async def create(
    session: AsyncSession, draft: Draft, *, created_by: int, send_at: datetime, now: datetime
) -> Broadcast:
    """A broadcast that starts at `send_at` (now or later). Its author follows its progress.
    The same message confirmed twice (a double tap) makes one broadcast."""
    existing = await session.scalar(
        select(Broadcast).where(
            Broadcast.source_chat_id == draft.source_chat_id,
            Broadcast.source_message_id == draft.source_message_id,
            Broadcast.created_by == created_by,
            Broadcast.status.in_([status.value for status in ACTIVE]),
        )
    )
    if existing is not None:
        return existing
    broadcast = Broadcast(
        kind=BroadcastKind.MESSAGE.value,
        status=BroadcastStatus.SCHEDULED.value,
        created_by=created_by,
        created_at=now,
        source_chat_id=draft.source_chat_id,
        source_message_id=draft.source_message_id,
        summary=draft.summary[:SUMMARY_MAX],
        button_text=draft.button_text,
        button_url=draft.button_url,
        segment=draft.segment.to_json(),
        send_at=send_at,
        total=0,
        progress_chat_id=created_by,
        progress_shown="",
        progress_final=False,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def announce_quiz(
    session: AsyncSession,
    program: Program,
    quiz_id: int,
    *,
    created_by: int,
    now: datetime,
    tz: tzinfo,
) -> Broadcast | None:
    """Announce a just-published quiz to every member who accepts promotional messages, when it
    opens (and not in quiet hours). Once per quiz; None if there is nothing to announce."""
    announcement = await quizzes.announcement(session, quiz_id)
    if announcement is None:
        return None
    already = await session.scalar(select(Broadcast.id).where(Broadcast.quiz_id == quiz_id))
    if already is not None:
        return None
    send_at = next_allowed(max(now, announcement.starts_at), program.quiet_hours, tz)
    if send_at >= announcement.ends_at:
        return None
    broadcast = Broadcast(
        kind=BroadcastKind.QUIZ.value,
        status=BroadcastStatus.SCHEDULED.value,
        created_by=created_by,
        created_at=now,
        quiz_id=quiz_id,
        summary=f"🧩 {announcement.title}"[:SUMMARY_MAX],
        segment=Segment().to_json(),
        send_at=send_at,
        total=0,
        progress_chat_id=created_by,
        progress_shown="",
        progress_final=False,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


# ---- who receives it ---------------------------------------------------------------------------


def promotional_this_week(member_id: Any, *, now: datetime) -> Any:
    """Broadcasts the member got in the last 7 days or is queued for right now."""
    return (
        select(func.count())
        .where(
            BroadcastDelivery.member_id == member_id,
            or_(
                (BroadcastDelivery.status == DeliveryStatus.SENT.value)
                & (BroadcastDelivery.sent_at > now - CAP_WINDOW),
                BroadcastDelivery.status.in_(
                    (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
                ),
            ),
        )
        .scalar_subquery()
    )


def _skip_reason(*, now: datetime, max_per_week: int) -> Any:
    whens: list[tuple[ColumnElement[bool], str]] = [
        (~Member.promo_opt_in, SkipReason.OPTED_OUT.value),
        (Member.unreachable_at.is_not(None), SkipReason.UNREACHABLE.value),
    ]
    if max_per_week:
        whens.append(
            (
                promotional_this_week(Member.id, now=now) >= max_per_week,
                SkipReason.WEEKLY_CAP.value,
            )
        )
    return case(*whens, else_=None)


@dataclass(frozen=True, slots=True)
class Audience:
    matching: int  # members the filters select
    opted_out: int  # promotional messages turned off
    unreachable: int  # blocked the bot
    capped: int  # already had `max_per_week` broadcasts in 7 days

    @property
    def recipients(self) -> int:
        return self.matching - self.opted_out - self.unreachable - self.capped


async def audience(
    session: AsyncSession, segment: Segment, *, now: datetime, tz: tzinfo, max_per_week: int
) -> Audience:
    """How many members match, and how many of them would be left out and why: one query."""
    reason = _skip_reason(now=now, max_per_week=max_per_week).label("reason")
    matched = select(reason).where(condition(segment, now=now, tz=tz)).subquery()
    rows = await session.execute(select(matched.c.reason, func.count()).group_by(matched.c.reason))
    by_reason = {row[0]: int(row[1]) for row in rows}
    return Audience(
        matching=sum(by_reason.values()),
        opted_out=by_reason.get(SkipReason.OPTED_OUT.value, 0),
        unreachable=by_reason.get(SkipReason.UNREACHABLE.value, 0),
        capped=by_reason.get(SkipReason.WEEKLY_CAP.value, 0),
    )


async def _materialize(
    session: AsyncSession, broadcast: Broadcast, program: Program, *, now: datetime, tz: tzinfo
) -> int:
    """The outbox rows, from one INSERT … SELECT. Run twice, it adds nothing."""
    segment = Segment.from_json(broadcast.segment)
    reason = _skip_reason(now=now, max_per_week=program.marketing.max_per_week)
    chosen = (
        select(Member.id.label("member_id"), reason.label("reason"))
        .where(condition(segment, now=now, tz=tz))
        .subquery()
    )
    rows = select(
        literal(broadcast.id),
        chosen.c.member_id,
        case(
            (chosen.c.reason.is_(None), DeliveryStatus.PENDING.value),
            else_=DeliveryStatus.SKIPPED.value,
        ),
        chosen.c.reason,
        literal(0),
    ).where(true())  # SQLite needs a WHERE to parse INSERT … SELECT … ON CONFLICT
    insert = insert_for(session)(BroadcastDelivery).from_select(
        ["broadcast_id", "member_id", "status", "reason", "attempts"], rows
    )
    await session.execute(insert.on_conflict_do_nothing())
    total = await session.scalar(
        select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast.id)
    )
    broadcast.total = int(total or 0)
    return broadcast.total


async def start_due(
    session: AsyncSession, program: Program, *, now: datetime, tz: tzinfo
) -> list[int]:
    """Start every scheduled broadcast whose time has come: the outbox is filled in the same
    transaction, so a broadcast is started, with its recipients, exactly once."""
    due = list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.status == BroadcastStatus.SCHEDULED.value, Broadcast.send_at <= now)
            .order_by(Broadcast.send_at, Broadcast.id)
            .with_for_update(skip_locked=True)
        )
    )
    started = []
    for broadcast in due:
        if broadcast.kind == BroadcastKind.QUIZ and not await _quiz_still_open(
            session, broadcast.quiz_id, now
        ):
            broadcast.status, broadcast.finished_at = BroadcastStatus.CANCELLED.value, now
            broadcast.progress_final = True
            continue
        broadcast.status, broadcast.started_at = BroadcastStatus.SENDING.value, now
        await _materialize(session, broadcast, program, now=now, tz=tz)
        started.append(broadcast.id)
    await session.flush()
    return started


async def _quiz_still_open(session: AsyncSession, quiz_id: int | None, now: datetime) -> bool:
    quiz = await session.get(Quiz, quiz_id) if quiz_id is not None else None
    return quiz is not None and quiz.status == quizzes.QuizStatus.PUBLISHED and quiz.ends_at > now


# ---- the marketer's controls -------------------------------------------------------------------


class Control(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


_CONTROL_FROM: dict[Control, tuple[BroadcastStatus, ...]] = {
    Control.PAUSE: (BroadcastStatus.SENDING,),
    Control.RESUME: (BroadcastStatus.PAUSED,),
    Control.CANCEL: ACTIVE,
}
_CONTROL_TO = {
    Control.PAUSE: BroadcastStatus.PAUSED,
    Control.RESUME: BroadcastStatus.SENDING,
    Control.CANCEL: BroadcastStatus.CANCELLED,
}


async def control(
    session: AsyncSession, broadcast_id: int, action: Control, *, now: datetime
) -> Broadcast:
    """Pause, resume or cancel. Messages already on their way still arrive; a cancelled
    broadcast's remaining recipients are skipped. Raises `BroadcastError` when the broadcast
    is unknown or not in a state the action applies to."""
    values: dict[str, Any] = {"status": _CONTROL_TO[action].value}
    if action is Control.CANCEL:
        values["finished_at"] = now
    changed = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_([status.value for status in _CONTROL_FROM[action]]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        raise BroadcastError("unknown")
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise BroadcastError(broadcast.status)
    if action is Control.CANCEL:
        await session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.SKIPPED.value, reason=SkipReason.CANCELLED.value)
        )
        if broadcast.progress_message_id is None:  # never started: no progress to close
            broadcast.progress_final = True
    await session.flush()
    return broadcast


async def finish_completed(session: AsyncSession, *, now: datetime) -> int:
    """Mark done every sending broadcast with nobody left to send to."""
    left = exists(
        select(BroadcastDelivery.id).where(
            BroadcastDelivery.broadcast_id == Broadcast.id,
            BroadcastDelivery.status.in_(
                (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
            ),
        )
    )
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SENDING.value, ~left)
        .values(status=BroadcastStatus.DONE.value, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- sending: claim, record, release -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    delivery_id: int
    member_id: int
    telegram_id: int
    language: str


async def next_sending(session: AsyncSession, *, now: datetime) -> int | None:
    """The oldest sending broadcast with a recipient ready to be sent to."""
    ready = exists(
        select(BroadcastDelivery.id).where(
            BroadcastDelivery.broadcast_id == Broadcast.id,
            BroadcastDelivery.status == DeliveryStatus.PENDING.value,
            or_(BroadcastDelivery.retry_at.is_(None), BroadcastDelivery.retry_at <= now),
        )
    )
    return await session.scalar(
        select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SENDING.value, ready)
        .order_by(Broadcast.id)
        .limit(1)
    )


async def claim(
    session: AsyncSession, broadcast_id: int, *, limit: int, now: datetime
) -> list[Recipient]:
    """Take up to `limit` pending recipients of a sending broadcast for this sender. Members
    who turned promotional messages off (or blocked the bot) since it started are skipped."""
    rows = (
        await session.execute(
            select(
                BroadcastDelivery.id,
                BroadcastDelivery.member_id,
                Member.telegram_id,
                Member.language,
                Member.promo_opt_in,
                Member.unreachable_at,
            )
            .join(Member, Member.id == BroadcastDelivery.member_id)
            .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == DeliveryStatus.PENDING.value,
                or_(BroadcastDelivery.retry_at.is_(None), BroadcastDelivery.retry_at <= now),
                Broadcast.status == BroadcastStatus.SENDING.value,
            )
            .order_by(BroadcastDelivery.id)
            .limit(limit)
            .with_for_update(of=BroadcastDelivery, skip_locked=True)
        )
    ).all()
    recipients: list[Recipient] = []
    skipped: dict[SkipReason, list[int]] = {}
    for row in rows:
        if not row.promo_opt_in:
            skipped.setdefault(SkipReason.OPTED_OUT, []).append(row.id)
        elif row.unreachable_at is not None or row.telegram_id <= 0:
            skipped.setdefault(SkipReason.UNREACHABLE, []).append(row.id)
        else:
            recipients.append(Recipient(row.id, row.member_id, row.telegram_id, row.language))
    for reason, ids in skipped.items():
        await _set(session, ids, status=DeliveryStatus.SKIPPED.value, reason=reason.value)
    if recipients:
        await _set(
            session,
            [recipient.delivery_id for recipient in recipients],
            status=DeliveryStatus.SENDING.value,
            claimed_at=now,
        )
    return recipients


async def _set(session: AsyncSession, ids: Sequence[int], **values: Any) -> None:
    if ids:
        await session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.id.in_(ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def record(
    session: AsyncSession,
    results: Sequence[tuple[Recipient, Attempt]],
    *,
    now: datetime,
    retry_delay: timedelta = timedelta(seconds=30),
) -> None:
    """Write down how each claimed message went. A 429 is not an attempt: the row goes back to
    pending. Members who blocked the bot are marked unreachable, for later broadcasts and jobs."""
    by_outcome: dict[Outcome, list[int]] = {}
    errors: dict[int, str] = {}
    for recipient, attempt in results:
        by_outcome.setdefault(attempt.outcome, []).append(recipient.delivery_id)
        errors[recipient.delivery_id] = attempt.error[:200]
    await _set(
        session,
        by_outcome.get(Outcome.SENT, []),
        status=DeliveryStatus.SENT.value,
        sent_at=now,
        error=None,
        attempts=BroadcastDelivery.attempts + 1,
    )
    await release(session, by_outcome.get(Outcome.FLOOD, []))
    for outcome, status in (
        (Outcome.BLOCKED, DeliveryStatus.BLOCKED),
        (Outcome.REJECTED, DeliveryStatus.FAILED),
    ):
        for delivery_id in by_outcome.get(outcome, []):
            await _set(
                session,
                [delivery_id],
                status=status.value,
                error=errors[delivery_id],
                attempts=BroadcastDelivery.attempts + 1,
            )
    for delivery_id in by_outcome.get(Outcome.ERROR, []):
        exhausted = BroadcastDelivery.attempts + 1 >= MAX_ATTEMPTS
        await _set(
            session,
            [delivery_id],
            status=case(
                (exhausted, DeliveryStatus.FAILED.value), else_=DeliveryStatus.PENDING.value
            ),
            retry_at=now + retry_delay,
            error=errors[delivery_id],
            attempts=BroadcastDelivery.attempts + 1,
        )
    blocked = [r.member_id for r, a in results if a.outcome is Outcome.BLOCKED]
    if blocked:
        await session.execute(
            update(Member)
            .where(Member.id.in_(blocked), Member.unreachable_at.is_(None))
            .values(unreachable_at=now)
            .execution_options(synchronize_session=False)
        )


async def release(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """Give claimed rows back, unsent, to whichever sender comes next."""
    await _set(
        session,
        list(delivery_ids),
        status=DeliveryStatus.PENDING.value,
        claimed_at=None,
    )


async def recover(session: AsyncSession, *, now: datetime, lease: timedelta = LEASE) -> int:
    """Rows claimed by a sender that died without recording them go back to pending."""
    result = await session.execute(
        update(BroadcastDelivery)
        .where(
            BroadcastDelivery.broadcast_id.in_(
                select(Broadcast.id).where(
                    Broadcast.status.in_(
                        (BroadcastStatus.SENDING.value, BroadcastStatus.PAUSED.value)
                    )
                )
            ),
            BroadcastDelivery.status == DeliveryStatus.SENDING.value,
            BroadcastDelivery.claimed_at < now - lease,
        )
        .values(status=DeliveryStatus.PENDING.value, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- what is sent ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuizCard:
    quiz_id: int
    title: str
    questions: int
    points_per_correct: int
    completion_bonus: int
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Content:
    """What every recipient of a broadcast gets (the bot adds the buttons in their language)."""

    broadcast_id: int
    kind: BroadcastKind
    source_chat_id: int | None = None
    source_message_id: int | None = None
    button_text: str | None = None
    button_url: str | None = None
    quiz: QuizCard | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    recipient: Recipient
    content: Content


async def content(session: AsyncSession, broadcast_id: int) -> Content:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError("unknown")
    card = None
    if broadcast.kind == BroadcastKind.QUIZ and broadcast.quiz_id is not None:
        quiz = await session.get(Quiz, broadcast.quiz_id)
        assert quiz is not None
        questions = await session.scalar(
            select(func.count()).where(QuizQuestion.quiz_id == quiz.id)
        )
        card = QuizCard(
            quiz_id=quiz.id,
            title=quiz.title,
            questions=int(questions or 0),
            points_per_correct=quiz.points_per_correct,
            completion_bonus=quiz.completion_bonus,
            ends_at=quiz.ends_at,
        )
    return Content(
        broadcast_id=broadcast.id,
        kind=BroadcastKind(broadcast.kind),
        source_chat_id=broadcast.source_chat_id,
        source_message_id=broadcast.source_message_id,
        button_text=broadcast.button_text,
        button_url=broadcast.button_url,
        quiz=card,
    )


# ---- progress and reports ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """Recipients of one broadcast by what happened to them."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    opted_out: int = 0
    unreachable: int = 0
    capped: int = 0
    cancelled: int = 0
    waiting: int = 0  # pending or being sent

    @property
    def total(self) -> int:
        return (
            self.sent
            + self.blocked
            + self.failed
            + self.opted_out
            + self.unreachable
            + self.capped
            + self.cancelled
            + self.waiting
        )

    @property
    def handled(self) -> int:
        return self.total - self.waiting

    @property
    def skipped(self) -> int:
        return self.opted_out + self.unreachable + self.capped + self.cancelled


_TALLY_FIELD = {
    (DeliveryStatus.SENT.value, None): "sent",
    (DeliveryStatus.BLOCKED.value, None): "blocked",
    (DeliveryStatus.FAILED.value, None): "failed",
    (DeliveryStatus.PENDING.value, None): "waiting",
    (DeliveryStatus.SENDING.value, None): "waiting",
    (DeliveryStatus.SKIPPED.value, SkipReason.OPTED_OUT.value): "opted_out",
    (DeliveryStatus.SKIPPED.value, SkipReason.UNREACHABLE.value): "unreachable",
    (DeliveryStatus.SKIPPED.value, SkipReason.WEEKLY_CAP.value): "capped",
    (DeliveryStatus.SKIPPED.value, SkipReason.CANCELLED.value): "cancelled",
}


async def tallies(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, Tally]:
    rows = await session.execute(
        select(
            BroadcastDelivery.broadcast_id,
            BroadcastDelivery.status,
            BroadcastDelivery.reason,
            func.count(),
        )
        .where(BroadcastDelivery.broadcast_id.in_(broadcast_ids))
        .group_by(
            BroadcastDelivery.broadcast_id, BroadcastDelivery.status, BroadcastDelivery.reason
        )
    )
    counts: dict[int, dict[str, int]] = {broadcast_id: {} for broadcast_id in broadcast_ids}
    for broadcast_id, status, reason, number in rows:
        key = (status, reason if status == DeliveryStatus.SKIPPED else None)
        name = _TALLY_FIELD.get(key, "failed")
        counts[broadcast_id][name] = counts[broadcast_id].get(name, 0) + int(number)
    return {broadcast_id: Tally(**fields) for broadcast_id, fields in counts.items()}


@dataclass(frozen=True, slots=True)
class Progress:
    broadcast_id: int
    kind: BroadcastKind
    status: BroadcastStatus
    summary: str
    tally: Tally
    started_at: datetime | None
    chat_id: int
    message_id: int | None
    quiet_until: datetime | None = None  # sending waits for the end of quiet hours

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def rate(self, now: datetime) -> float | None:
        """Messages a second since it started, once there is something to measure."""
        if self.started_at is None:
            return None
        elapsed = (now - self.started_at).total_seconds()
        return self.tally.sent / elapsed if elapsed >= 1 and self.tally.sent else None


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.progress_chat_id is None:
        raise BroadcastError("unknown")
    tally = (await tallies(session, [broadcast_id]))[broadcast_id]
    return Progress(
        broadcast_id=broadcast.id,
        kind=BroadcastKind(broadcast.kind),
        status=BroadcastStatus(broadcast.status),
        summary=broadcast.summary,
        tally=tally,
        started_at=broadcast.started_at,
        chat_id=broadcast.progress_chat_id,
        message_id=broadcast.progress_message_id,
    )


@dataclass(frozen=True, slots=True)
class Report:
    broadcast: Broadcast
    tally: Tally
    purchased: int  # recipients who bought within the attribution window after receiving it


def _plus_days(session: AsyncSession, column: Any, days: int) -> Any:
    if session.bind.dialect.name == "postgresql":
        return column + literal(timedelta(days=days), Interval())
    return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{days} days")


async def attributed(
    session: AsyncSession, broadcast_ids: Sequence[int], *, days: int
) -> dict[int, int]:
    """Recipients who made a purchase within `days` after the broadcast reached them."""
    rows = await session.execute(
        select(BroadcastDelivery.broadcast_id, func.count(func.distinct(Operation.member_id)))
        .join(Operation, Operation.member_id == BroadcastDelivery.member_id)
        .where(
            BroadcastDelivery.broadcast_id.in_(broadcast_ids),
            BroadcastDelivery.status == DeliveryStatus.SENT.value,
            Operation.status == OpStatus.DONE.value,
            Operation.kind.in_(PURCHASE_KINDS),
            Operation.created_at > BroadcastDelivery.sent_at,
            Operation.created_at <= _plus_days(session, BroadcastDelivery.sent_at, days),
        )
        .group_by(BroadcastDelivery.broadcast_id)
    )
    return {broadcast_id: int(number) for broadcast_id, number in rows}


async def reports(session: AsyncSession, *, days: int, limit: int = 10) -> list[Report]:
    """The latest broadcasts, newest first, with what happened and the purchases they led to."""
    found = list(
        await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    )
    ids = [broadcast.id for broadcast in found]
    counted = await tallies(session, ids)
    bought = await attributed(session, ids, days=days)
    return [
        Report(broadcast, counted[broadcast.id], bought.get(broadcast.id, 0))
        for broadcast in found
    ]


# ---- the shared rate ---------------------------------------------------------------------------


class SendPacer:
    """Telegram's global limit, shared by every sender of every instance through one database
    row: the next free moment to send. Reserving n slots moves it n intervals on (from now at
    the earliest); `pause` moves it past a 429's `retry_after`. The engagement jobs' sender
    (`bot.delivery.Sender`) draws from the same pacer, so jobs and broadcasts add up to the
    limit, not to twice it. Wall-clock time: instances on one host, or NTP-synchronised hosts."""

    NAME = "bot"

    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        rate: float,
        *,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pool = pool
        self.rate = rate
        self.interval = 1 / rate
        self.wall = wall
        self.sleep = sleep

    async def reserve(self, count: int) -> float:
        """Reserve `count` consecutive slots; the first one's moment (Unix seconds)."""
        async with self.pool() as session, session.begin():
            next_at = await self._lock(session)
            start = max(next_at, self.wall())
            await session.execute(
                update(PacerRow)
                .where(PacerRow.name == self.NAME)
                .values(next_at=start + count * self.interval)
            )
        return start

    async def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` from now (a 429 applies to the whole bot)."""
        until = self.wall() + seconds
        async with self.pool() as session, session.begin():
            await self._lock(session)
            await session.execute(
                update(PacerRow)
                .where(PacerRow.name == self.NAME, PacerRow.next_at < until)
                .values(next_at=until)
            )

    async def wait_turn(self) -> None:
        """Wait for one slot: for senders that send one message at a time."""
        await self.sleep_until(await self.reserve(1))

    async def sleep_until(self, moment: float) -> None:
        delay = moment - self.wall()
        if delay > 0:
            await self.sleep(delay)

    async def _lock(self, session: AsyncSession) -> float:
        query = select(PacerRow.next_at).where(PacerRow.name == self.NAME).with_for_update()
        next_at = await session.scalar(query)
        if next_at is None:
            await session.execute(
                insert_for(session)(PacerRow)
                .values(name=self.NAME, next_at=0.0)
                .on_conflict_do_nothing()
            )
            next_at = await session.scalar(query)
        return float(next_at or 0.0)


# ---- the sender loop ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    message_id: int
    signature: str  # of what the message shows now: an identical edit is never sent


Deliver = Callable[[Envelope], Awaitable[Attempt]]
ShowProgress = Callable[[Progress, str], Awaitable[Shown | None]]


@dataclass
class Runner:
    """One sender: starts due broadcasts, sends their messages batch by batch within the shared
    rate, keeps the authors' progress messages current, and stops cleanly when cancelled.
    Run one per bot instance; several instances share the work."""

    pool: async_sessionmaker[AsyncSession]
    clock: Clock
    program: Program
    tz: tzinfo
    pacer: SendPacer
    deliver: Deliver
    show_progress: ShowProgress
    batch: int = 50
    concurrency: int = 16
    idle: float = 5.0  # seconds between looks at the database when there is nothing to do
    retry_delay: timedelta = timedelta(seconds=30)
    progress_every: float = PROGRESS_EVERY
    chat_gap: float = 1.0  # Telegram: at most one message a second to one chat
    wall: Callable[[], float] = time.time
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _recent: dict[int, float] = field(default_factory=dict, init=False)
    _contents: dict[int, Content] = field(default_factory=dict, init=False)
    _recovered_at: float = field(default=0.0, init=False)
    _last_launch: float = field(default=0.0, init=False)

    def wake(self) -> None:
        """Look at the database now (a broadcast was created, paused, resumed or cancelled)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                busy = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast sender: step failed; retrying shortly")
                busy = False
                await asyncio.sleep(self.idle)
            if not busy:
                pause = await self._idle_for()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
                self._wake.clear()

    async def step(self) -> bool:
        """One turn of the loop: True if it sent (or tried to send) something."""
        now = self.clock.now()
        if self.wall() - self._recovered_at > LEASE.total_seconds() / 2:
            async with self.pool() as session, session.begin():
                if await recover(session, now=now):
                    log.warning("broadcast sender: took back rows of a sender that stopped")
            self._recovered_at = self.wall()
        quiet = self.quiet_until(now)
        busy = False
        if quiet is None:
            async with self.pool() as session, session.begin():
                await start_due(session, self.program, now=now, tz=self.tz)
            async with self.pool() as session:
                broadcast_id = await next_sending(session, now=now)
            if broadcast_id is not None:
                await self.send_batch(broadcast_id)
                busy = True
        async with self.pool() as session, session.begin():
            await finish_completed(session, now=self.clock.now())
        await self.refresh_progress(quiet)
        return busy

    def quiet_until(self, now: datetime) -> datetime | None:
        resume = next_allowed(now, self.program.quiet_hours, self.tz)
        return resume if resume != now else None

    async def send_batch(self, broadcast_id: int) -> None:
        # About a second's worth, at most: fast (paid) rates take bigger batches.
        size = max(1, min(int(self.pacer.rate), max(self.batch, int(self.pacer.rate) // 4)))
        async with self.pool() as session, session.begin():
            recipients = await claim(session, broadcast_id, limit=size, now=self.clock.now())
            if broadcast_id not in self._contents:
                self._contents[broadcast_id] = await content(session, broadcast_id)
        if not recipients:
            return
        what = self._contents[broadcast_id]
        results: dict[int, Attempt] = {}
        in_flight: set[asyncio.Task[None]] = set()
        limit = asyncio.Semaphore(self.concurrency)
        flood: list[float] = []

        async def attempt(recipient: Recipient) -> None:
            try:
                outcome = await self.deliver(Envelope(recipient, what))
            except Exception as exc:  # a bug or an unexpected answer: counted, retried
                log.exception("broadcast %s: sending to member %s", broadcast_id, recipient)
                outcome = Attempt(Outcome.ERROR, f"{type(exc).__name__}: {exc}")
            finally:
                limit.release()
                # Telegram counts from when a message arrives, which is after it was launched:
                # the next message to this chat waits a full gap from the answer instead.
                self._recent[recipient.telegram_id] = self.wall()
            if outcome.outcome is Outcome.FLOOD:
                flood.append(outcome.retry_after)
            results[recipient.delivery_id] = outcome

        try:
            first = await self.pacer.reserve(len(recipients))
            for index, recipient in enumerate(recipients):
                slot = first + index * self.pacer.interval
                # Never faster than the rate, even catching up after the loop was held up...
                await self.pacer.sleep_until(max(slot, self._last_launch + self.pacer.interval))
                await limit.acquire()
                await self._one_a_second(recipient.telegram_id)
                # ...and never long after the slot, which would crowd other instances' slots.
                if flood or self.wall() - slot > LATE_LIMIT:
                    limit.release()
                    break
                self._last_launch = self.wall()
                task = asyncio.create_task(attempt(recipient))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        finally:
            # Even when the sender is being stopped: what is in flight finishes and is written
            # down, what was not started goes back to the queue.
            if in_flight:
                await asyncio.wait(set(in_flight))
            await asyncio.shield(self._settle(recipients, results))
        if flood:
            log.warning("broadcast %s: flood control, pausing %s s", broadcast_id, max(flood))
            await self.pacer.pause(max(flood))

    async def _settle(self, recipients: list[Recipient], results: dict[int, Attempt]) -> None:
        done = [(r, results[r.delivery_id]) for r in recipients if r.delivery_id in results]
        untouched = [r.delivery_id for r in recipients if r.delivery_id not in results]
        async with self.pool() as session, session.begin():
            await record(session, done, now=self.clock.now(), retry_delay=self.retry_delay)
            await release(session, untouched)

    async def _one_a_second(self, telegram_id: int) -> None:
        now = self.wall()
        last = self._recent.get(telegram_id)
        if last is not None and now - last < self.chat_gap:
            await asyncio.sleep(self.chat_gap - (now - last))
        self._recent[telegram_id] = self.wall()
        if len(self._recent) > 10_000:
            horizon = self.wall() - self.chat_gap
            self._recent = {chat: at for chat, at in self._recent.items() if at > horizon}

    async def refresh_progress(self, quiet_until: datetime | None = None) -> None:
        """Edit each author's progress message when it would show something new, at most every
        `progress_every` seconds (whichever instance gets there first does it)."""
        wall_now = datetime.fromtimestamp(self.wall(), UTC)
        async with self.pool() as session:
            candidates = (
                await session.execute(
                    select(Broadcast.id, Broadcast.progress_chat_id).where(
                        Broadcast.progress_chat_id.is_not(None),
                        ~Broadcast.progress_final,
                        Broadcast.status != BroadcastStatus.SCHEDULED.value,
                    )
                )
            ).all()
        for broadcast_id, chat_id in candidates:
            if self.wall() - self._recent.get(chat_id, 0.0) < self.chat_gap:
                continue  # the author's chat has Telegram's one-a-second limit too: next turn
            async with self.pool() as session, session.begin():
                claimed = await session.execute(
                    update(Broadcast)
                    .where(
                        Broadcast.id == broadcast_id,
                        ~Broadcast.progress_final,
                        or_(
                            Broadcast.progress_at.is_(None),
                            Broadcast.progress_at
                            <= wall_now - timedelta(seconds=self.progress_every),
                        ),
                    )
                    .values(progress_at=wall_now)
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                view = await progress(session, broadcast_id)
                shown_before = await session.scalar(
                    select(Broadcast.progress_shown).where(Broadcast.id == broadcast_id)
                )
            if quiet_until is not None and view.status is BroadcastStatus.SENDING:
                view = replace(view, quiet_until=quiet_until)
            if view.message_id is None:
                # A new message counts against Telegram's limit like the copies do: it takes a
                # slot, or at the limit it would be the 31st message of a second.
                await self.pacer.wait_turn()
            self._recent[view.chat_id] = self.wall()
            shown = await self.show_progress(view, shown_before or "")
            values: dict[str, Any] = {"progress_final": view.final}
            if shown is not None:
                values.update(progress_message_id=shown.message_id, progress_shown=shown.signature)
            if shown is not None or view.final:
                async with self.pool() as session, session.begin():
                    await session.execute(
                        update(Broadcast).where(Broadcast.id == broadcast_id).values(**values)
                    )
            if view.final:
                self._contents.pop(broadcast_id, None)

    async def _idle_for(self) -> float:
        """Come back sooner while a progress message still has something to show."""
        async with self.pool() as session:
            showing = await session.scalar(
                select(func.count()).where(
                    Broadcast.progress_chat_id.is_not(None),
                    ~Broadcast.progress_final,
                    Broadcast.status != BroadcastStatus.SCHEDULED.value,
                )
            )
        return min(self.idle, 1.0) if showing else self.idle
