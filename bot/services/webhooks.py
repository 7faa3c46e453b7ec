"""Outbound webhooks: owners register URLs that hear about what happens in the program.

A change and the news of it are one transaction: `publish` inserts one `webhook_deliveries` row
per active endpoint subscribed to the event, next to the change itself (a transactional outbox),
unique per endpoint and event id, so a replayed operation announces nothing new. `Worker` claims
due rows under a lease (two instances never send the same row at once), POSTs them signed with
the endpoint's secret, and records the answer: delivered, or tried again with backoff until
`max_attempts`, then failed. Owners see the figures and retry the failed ones (`endpoints`,
`retry_failed`).

No aiogram and no HTTP client here: the worker is handed a `Post` callable
(`bot.webhook_sender` gives it aiohttp).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from db.models import Member, Operation, WebhookDelivery, WebhookEndpoint
from db.session import insert_for

log = logging.getLogger(__name__)

URL_MAX = 512
ENDPOINTS_MAX = 10  # the owner's list stays one readable message
SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Loyalty-Signature"
TOLERANCE = timedelta(minutes=5)  # what receivers should accept between `t` and their clock
LEASE = timedelta(minutes=2)  # a claimed row not recorded by then was claimed by a dead worker
# The wait after the 1st, 2nd, ... failed attempt; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
ERROR_MAX = 200


class Event(StrEnum):
    MEMBER_JOINED = "member.joined"
    PURCHASE_RECORDED = "purchase.recorded"
    POINTS_REDEEMED = "points.redeemed"
    TIER_CHANGED = "tier.changed"
    POINTS_EXPIRED = "points.expired"
    OPERATION_CANCELLED = "operation.cancelled"
    PING = "ping"  # the owner's test event: sent to one endpoint, whatever it subscribed to


EVENTS: tuple[Event, ...] = tuple(event for event in Event if event is not Event.PING)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its `next_attempt_at`, or claimed (`claimed_at`)
    DELIVERED = "delivered"
    FAILED = "failed"  # `max_attempts` failed; the owner may retry


class WebhookError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "url", "events", "too_many", "unknown"


# ---- publishing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """One event to announce. `member_id` adds the member's code (and, but for joining, the
    balance and tier as they are at that moment in the transaction) to `data`."""

    event: Event
    event_id: str
    data: dict[str, Any]
    member_id: int | None = None


async def enqueue(
    session: AsyncSession,
    event: Event,
    data: dict[str, Any],
    *,
    event_id: str,
    now: datetime,
    member_id: int | None = None,
) -> int:
    """Announce one event; how many deliveries were queued."""
    return await publish(session, [Notice(event, event_id, data, member_id)], now=now)


async def publish(session: AsyncSession, notices: Sequence[Notice], *, now: datetime) -> int:
    """Queue each notice for every active endpoint subscribed to its event, in the caller's
    transaction. With no endpoints this is one small query. An event id already queued for an
    endpoint is skipped: replays announce nothing twice."""
    if not notices:
        return 0
    endpoints = (
        await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                WebhookEndpoint.disabled_at.is_(None)
            )
        )
    ).all()
    wanted = [
        (notice, [row.id for row in endpoints if notice.event in (row.events or [])])
        for notice in notices
    ]
    wanted = [(notice, ids) for notice, ids in wanted if ids]
    if not wanted:
        return 0
    members = await _member_facts(session, {n.member_id for n, _ in wanted if n.member_id})
    rows = []
    for notice, endpoint_ids in wanted:
        payload = envelope(notice, members.get(notice.member_id or 0), now)
        rows += [
            {
                "endpoint_id": endpoint_id,
                "event": notice.event.value,
                "event_id": notice.event_id,
                "payload": payload,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in endpoint_ids
        ]
    inserted = await session.execute(
        insert_for(session)(WebhookDelivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return len(inserted.all())


def envelope(notice: Notice, member: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    data = dict(member or {})
    if notice.event is Event.MEMBER_JOINED:
        data.pop("balance", None)
    data.update(notice.data)
    return {
        "id": notice.event_id,
        "type": notice.event.value,
        "created_at": iso(now),
        "data": data,
    }


async def _member_facts(session: AsyncSession, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    # Columns, not the ORM object: the ledger and the operations update members in SQL.
    rows = await session.execute(
        select(Member.id, Member.short_code, Member.points_balance, Member.tier).where(
            Member.id.in_(ids)
        )
    )
    return {
        row.id: {
            "member_id": row.id,
            "short_code": row.short_code,
            "balance": row.points_balance,
            "tier": row.tier,
        }
        for row in rows
    }


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def operation_notices(operation: Operation, *, point_value: int) -> list[Notice]:
    """What a purchase that went through tells: recorded, points paid with, a new tier."""
    reference = f"op:{operation.id}"
    facts: dict[str, Any] = {
        "operation_id": operation.id,
        "location_id": operation.location_id,
        "source": "api" if operation.api_key_id is not None else "staff",
        "receipt_id": operation.receipt_id,
        "created_at": iso(operation.created_at),
    }
    member = operation.member_id
    notices = [
        Notice(
            Event.PURCHASE_RECORDED,
            f"{Event.PURCHASE_RECORDED}:{reference}",
            {
                **facts,
                "kind": operation.kind,
                "amount": operation.amount,
                "paid_with_points": operation.points_redeemed * point_value,
                "paid_in_money": operation.amount - operation.points_redeemed * point_value,
                "points_redeemed": operation.points_redeemed,
                "points_earned": operation.points_earned,
                "stamps_earned": operation.stamps_delta,
            },
            member,
        )
    ]
    if operation.points_redeemed:
        notices.append(
            Notice(
                Event.POINTS_REDEEMED,
                f"{Event.POINTS_REDEEMED}:{reference}",
                {
                    **facts,
                    "points": operation.points_redeemed,
                    "value": operation.points_redeemed * point_value,
                    "amount": operation.amount,
                },
                member,
            )
        )
    if operation.tier_before != operation.tier_after:
        notices.append(
            tier_notice(operation, operation.tier_before, operation.tier_after, "purchase")
        )
    return notices


def tier_notice(operation: Operation, before: str, after: str, cause: str) -> Notice:
    return Notice(
        Event.TIER_CHANGED,
        f"{Event.TIER_CHANGED}:{cause}:{operation.id}",
        {"from": before, "to": after, "cause": cause, "operation_id": operation.id},
        operation.member_id,
    )


def cancellation_notices(
    operation: Operation, *, tier_before: str, tier_after: str
) -> list[Notice]:
    notices = [
        Notice(
            Event.OPERATION_CANCELLED,
            f"{Event.OPERATION_CANCELLED}:op:{operation.id}",
            {
                "operation_id": operation.id,
                "kind": operation.kind,
                "amount": operation.amount,
                "points_redeemed": operation.points_redeemed,
                "points_earned": operation.points_earned,
                "location_id": operation.location_id,
                "cancelled_at": iso(operation.cancelled_at or operation.created_at),
            },
            operation.member_id,
        )
    ]
    if tier_before != tier_after:
        notices.append(tier_notice(operation, tier_before, tier_after, "cancellation"))
    return notices


def expiry_notice(member_id: int, points: int, lot_ids: Sequence[int], now: datetime) -> Notice:
    """The member's points written off by one run of the expiry job. The write-off itself
    happens once (its ledger keys), and this is queued in its transaction."""
    return Notice(
        Event.POINTS_EXPIRED,
        f"{Event.POINTS_EXPIRED}:{member_id}:{min(lot_ids)}:{int(now.timestamp())}",
        {"points": points},
        member_id,
    )


# ---- signing ---------------------------------------------------------------------------------


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str, body: bytes, header: str, *, now: float, tolerance: timedelta = TOLERANCE
) -> bool:
    """What a receiver does: the signature matches and `t` is within the tolerance."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance.total_seconds():
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(24)


# ---- the owner's endpoints -------------------------------------------------------------------


def clean_url(raw: str) -> str | None:
    """An http(s) URL with a host, at most 512 characters; None if it isn't one."""
    url = raw.strip()
    if not url or len(url) > URL_MAX or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None
    return url


@dataclass(frozen=True, slots=True)
class Created:
    endpoint_id: int
    secret: str  # shown to the owner once


async def add_endpoint(
    session: AsyncSession, *, url: str, events: Iterable[str], created_by: int, now: datetime
) -> Created:
    cleaned = clean_url(url)
    if cleaned is None:
        raise WebhookError("url")
    chosen = [event.value for event in EVENTS if event.value in set(events)]
    if not chosen:
        raise WebhookError("events")
    count = await session.scalar(select(func.count()).select_from(WebhookEndpoint))
    if (count or 0) >= ENDPOINTS_MAX:
        raise WebhookError("too_many")
    endpoint = WebhookEndpoint(
        url=cleaned, events=chosen, secret=new_secret(), created_by=created_by, created_at=now
    )
    session.add(endpoint)
    await session.flush()
    return Created(endpoint.id, endpoint.secret)


async def set_enabled(
    session: AsyncSession, endpoint_id: int, *, enabled: bool, now: datetime
) -> bool:
    """Disabled endpoints get no new events; what was queued waits for them to be enabled."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        return False
    if enabled:
        endpoint.disabled_at = None
    elif endpoint.disabled_at is None:
        endpoint.disabled_at = now
    await session.flush()
    return True


async def delete_endpoint(session: AsyncSession, endpoint_id: int) -> bool:
    """The endpoint and its delivery history go; nothing more is sent to it."""
    await session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    )
    result = await session.execute(
        delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def ping(session: AsyncSession, endpoint_id: int, *, now: datetime) -> int | None:
    """Queue a test event for one active endpoint, whatever events it subscribed to."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.disabled_at is not None:
        return None
    event_id = f"{Event.PING}:{endpoint_id}:{secrets.token_hex(6)}"
    delivery = WebhookDelivery(
        endpoint_id=endpoint_id,
        event=Event.PING.value,
        event_id=event_id,
        payload={
            "id": event_id,
            "type": Event.PING.value,
            "created_at": iso(now),
            "data": {"endpoint_id": endpoint_id},
        },
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    return delivery.id


async def retry_failed(session: AsyncSession, endpoint_id: int, *, now: datetime) -> int:
    """Failed deliveries of the endpoint start over, with a full set of attempts."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.FAILED.value,
        )
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class EndpointView:
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    last_error: str | None = None
    last_status: int | None = None
    next_attempt_at: datetime | None = None


async def endpoints(session: AsyncSession) -> list[EndpointView]:
    """Every endpoint with its delivery figures and the latest error, oldest endpoint first."""
    rows = list(await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    if not rows:
        return []
    counts: dict[tuple[int, str], int] = {
        (row.endpoint_id, row.status): row.n
        for row in await session.execute(
            select(
                WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count().label("n")
            ).group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
        )
    }
    latest = (
        select(
            WebhookDelivery.endpoint_id,
            func.max(WebhookDelivery.id).label("id"),
        )
        .where(
            WebhookDelivery.last_error.is_not(None),
            WebhookDelivery.status != DeliveryStatus.DELIVERED.value,
        )
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    errors = {
        row.endpoint_id: row
        for row in await session.execute(
            select(
                WebhookDelivery.endpoint_id,
                WebhookDelivery.last_error,
                WebhookDelivery.last_status,
            ).join(latest, latest.c.id == WebhookDelivery.id)
        )
    }
    upcoming = {
        row.endpoint_id: row.next_at
        for row in await session.execute(
            select(
                WebhookDelivery.endpoint_id,
                func.min(WebhookDelivery.next_attempt_at).label("next_at"),
            )
            .where(WebhookDelivery.status == DeliveryStatus.PENDING.value)
            .group_by(WebhookDelivery.endpoint_id)
        )
    }
    views = []
    for endpoint in rows:
        error = errors.get(endpoint.id)
        views.append(
            EndpointView(
                id=endpoint.id,
                url=endpoint.url,
                events=list(endpoint.events or []),
                active=endpoint.disabled_at is None,
                created_at=endpoint.created_at,
                delivered=counts.get((endpoint.id, DeliveryStatus.DELIVERED.value), 0),
                pending=counts.get((endpoint.id, DeliveryStatus.PENDING.value), 0),
                failed=counts.get((endpoint.id, DeliveryStatus.FAILED.value), 0),
                last_error=error.last_error if error is not None else None,
                last_status=error.last_status if error is not None else None,
                next_attempt_at=upcoming.get(endpoint.id),
            )
        )
    return views


# ---- delivering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: what to send where."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    event: str
    payload: dict[str, Any]
    attempts: int
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Answer:
    """How one POST went: `status` is the HTTP status, None when there was no answer."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Post = Callable[[str, bytes, dict[str, str]], Awaitable[Answer]]
"""POST the body with the headers to the URL and say how it went (never raises for HTTP)."""


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[Job]:
    """Take up to `limit` due deliveries of active endpoints for this worker until `lease` has
    passed. Rows another worker holds (locked, or claimed within the lease) are left alone."""
    due = and_(
        WebhookDelivery.status == DeliveryStatus.PENDING.value,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < now - lease),
    )
    candidates = list(
        await session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(due, WebhookEndpoint.disabled_at.is_(None))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    )
    if not candidates:
        return []
    # The condition again: on SQLite (no row locks) or a row taken meanwhile, only one wins.
    claimed = list(
        await session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(candidates), due)
            .values(claimed_at=now)
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return []
    rows = await session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.event,
            WebhookDelivery.payload,
            WebhookDelivery.attempts,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(claimed))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )
    return [
        Job(
            delivery_id=row.id,
            endpoint_id=row.endpoint_id,
            url=row.url,
            secret=row.secret,
            event=row.event,
            payload=row.payload,
            attempts=row.attempts,
            claimed_at=now,
        )
        for row in rows
    ]


async def record(
    session: AsyncSession,
    job: Job,
    answer: Answer,
    *,
    now: datetime,
    max_attempts: int,
) -> DeliveryStatus | None:
    """Write down an attempt: delivered, pending again after the backoff, or failed for good.
    None if the row is no longer this worker's (its lease ran out and another took it)."""
    attempts = job.attempts + 1
    values: dict[str, Any] = {
        "attempts": WebhookDelivery.attempts + 1,
        "claimed_at": None,
        "last_status": answer.status,
    }
    if answer.ok:
        status = DeliveryStatus.DELIVERED
        values.update(delivered_at=now, last_error=None)
    else:
        status = DeliveryStatus.FAILED if attempts >= max_attempts else DeliveryStatus.PENDING
        values.update(
            last_error=(answer.error or f"HTTP {answer.status}")[:ERROR_MAX],
            next_attempt_at=now + backoff(attempts),
        )
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == job.delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
            WebhookDelivery.claimed_at == job.claimed_at,
        )
        .values(status=status.value, **values)
        .execution_options(synchronize_session=False)
    )
    return status if result.rowcount else None  # type: ignore[attr-defined]


async def release(session: AsyncSession, jobs: Sequence[Job]) -> None:
    """Give claimed rows back unsent (the worker is stopping)."""
    for job in jobs:
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == job.delivery_id,
                WebhookDelivery.claimed_at == job.claimed_at,
            )
            .values(claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def headers_for(job: Job, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "loyalty-wallet-webhooks/1",
        "X-Loyalty-Event": job.event,
        "X-Loyalty-Delivery": str(job.delivery_id),
        SIGNATURE_HEADER: sign(job.secret, body, timestamp),
    }


@dataclass
class Worker:
    """Sends due deliveries until cancelled. One per bot instance; instances share the queue.
    A stop lets the requests in flight finish (each within the HTTP timeout) and records them;
    rows not yet started go back to the queue at once."""

    pool: async_sessionmaker[AsyncSession]
    clock: Clock
    post: Post
    max_attempts: int = 8
    batch: int = 20
    concurrency: int = 8
    idle: float = 5.0  # seconds between looks at the queue when there is nothing to send
    lease: timedelta = LEASE
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def wake(self) -> None:
        """Look at the queue now (a test event or a retry was just queued)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                sent = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook worker: step failed; retrying shortly")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)
                self._wake.clear()

    async def step(self) -> int:
        """Claim one batch, send it, record it: how many were attempted."""
        async with self.pool() as session, session.begin():
            jobs = await claim(session, now=self.clock.now(), limit=self.batch, lease=self.lease)
        if not jobs:
            return 0
        answers: dict[int, Answer] = {}
        limit = asyncio.Semaphore(self.concurrency)
        stopping = False

        async def attempt(job: Job) -> None:
            async with limit:
                if stopping:
                    return
                answers[job.delivery_id] = await self.send(job)

        tasks = [asyncio.create_task(attempt(job)) for job in jobs]
        try:
            await asyncio.wait(tasks)
        finally:
            stopping = True
            await asyncio.shield(self._settle(jobs, answers, tasks))
        return len(answers)

    async def _settle(
        self, jobs: list[Job], answers: dict[int, Answer], tasks: list[asyncio.Task[None]]
    ) -> None:
        await asyncio.wait(tasks)
        now = self.clock.now()
        async with self.pool() as session, session.begin():
            for job in jobs:
                answer = answers.get(job.delivery_id)
                if answer is None:
                    continue
                status = await record(
                    session, job, answer, now=now, max_attempts=self.max_attempts
                )
                if status is not DeliveryStatus.DELIVERED:
                    log.info(
                        "webhook %s to endpoint %s: %s (%s)",
                        job.delivery_id,
                        job.endpoint_id,
                        answer.error or answer.status,
                        status,
                    )
            await release(session, [job for job in jobs if job.delivery_id not in answers])

    async def send(self, job: Job) -> Answer:
        body = body_of(job.payload)
        timestamp = int(self.clock.now().timestamp())
        try:
            return await self.post(job.url, body, headers_for(job, body, timestamp))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unexpected failure: counted as an attempt
            log.exception("webhook %s: sending failed", job.delivery_id)
            return Answer(None, f"{type(exc).__name__}: {exc}")
