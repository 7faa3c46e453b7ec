"""Outbound webhooks against a real HTTP receiver on 127.0.0.1 that checks every signature and
timestamp: events are queued in the transaction of the change, once, delivered signed, retried
with backoff, given up after the last attempt, never sent twice by two workers; owners manage
the endpoints with /webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.clock import AdjustableClock
from bot.i18n import Translator
from bot.services import engagement, ledger, members, operations, webhooks
from bot.services.engagement import Engagement, expiry
from bot.services.ledger import EntryKind
from bot.services.program import Program
from bot.services.webhooks import DeliveryStatus, Event, Worker
from bot.webhook_sender import HttpPost
from db.models import Operation, WebhookDelivery, WebhookEndpoint
from db.session import create_engine, create_pool
from tests.harness import OWNER_ID, button_data, buttons, make_harness, texts
from tests.test_staff_flows import appoint_staff, join, purchase

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOLERANCE = 300


class Receiver:
    """An HTTP endpoint that answers with the statuses it is told to (200 once they run out),
    verifies each request's signature against the test's clock, and keeps what it got."""

    def __init__(self, clock: AdjustableClock) -> None:
        self.clock = clock
        self.secret = ""
        self.answers: deque[int] = deque()
        self.delay = 0.0
        self.got: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hooks/{name}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hooks/main"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def verified(self, body: bytes, header: str) -> bool:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        fresh = abs(self.clock.now().timestamp() - timestamp) <= TOLERANCE
        return fresh and hmac.compare_digest(expected, parts["v1"])

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.verified(body, request.headers.get("X-Loyalty-Signature", "t=0,v1=")):
            self.refused.append(body.decode())
            return web.Response(status=400, text="bad signature")
        status = self.answers.popleft() if self.answers else 200
        self.got.append(
            {
                "status": status,
                "event": request.headers["X-Loyalty-Event"],
                "delivery": int(request.headers["X-Loyalty-Delivery"]),
                "content_type": request.headers["Content-Type"],
                "payload": json.loads(body),
            }
        )
        return web.Response(status=status, text="ok" if status < 300 else "receiver is broken")

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [g["payload"] for g in self.got if g["status"] < 300 and kind in (None, g["event"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker(pool, clock, **kwargs) -> Worker:  # type: ignore[no-untyped-def]
    kwargs.setdefault("max_attempts", 8)
    return Worker(pool=pool, clock=clock, post=HttpPost(kwargs.pop("timeout", 5.0)), **kwargs)


async def drain(*workers: Worker) -> int:
    """Step the workers until none of them finds anything due; how many attempts were made."""
    total = 0
    while True:
        done = sum(await asyncio.gather(*(w.step() for w in workers)))
        if not done:
            return total
        total += done


async def close(*workers: Worker) -> None:
    for one in workers:
        await one.post.close()  # type: ignore[attr-defined]


async def add_endpoint(pool, receiver: Receiver, events=webhooks.EVENTS) -> int:  # type: ignore[no-untyped-def]
    async with pool() as session, session.begin():
        created = await webhooks.add_endpoint(
            session, url=receiver.url, events=events, created_by=OWNER_ID, now=NOW
        )
    receiver.secret = created.secret
    return created.endpoint_id


async def deliveries(pool) -> list[WebhookDelivery]:  # type: ignore[no-untyped-def]
    async with pool() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def new_member(pool, telegram_id: int = 1, *, at: datetime = NOW) -> int:  # type: ignore[no-untyped-def]
    async with pool() as session, session.begin():
        joined = await members.join(
            session, members.Applicant(telegram_id, "Anna", "", None, "ru"), now=at, tier="base"
        )
        return joined.member.id


async def give_points(pool, member_id: int, points: int, *, at=NOW, expires=None) -> None:  # type: ignore[no-untyped-def]
    async with pool() as session, session.begin():
        await ledger.post(
            session,
            member_id=member_id,
            delta=points,
            kind=EntryKind.BONUS,
            idempotency_key=f"gift:{member_id}:{points}:{at.isoformat()}",
            now=at,
            expires_at=expires,
        )


async def buy(pool, member_id: int, amount: int, *, points: int = 0, key: str, at=NOW):  # type: ignore[no-untyped-def]
    async with pool() as session, session.begin():
        return await operations.record_purchase(
            session,
            Program(),
            member_id=member_id,
            staff_id=20,
            amount=amount,
            points=points,
            idempotency_key=key,
            now=at,
            tz=UTC,
        )


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock(NOW, frozen=True)


@pytest.fixture
async def receiver(clock):  # type: ignore[no-untyped-def]
    async with Receiver(clock) as receiver:
        yield receiver


# ---- signing ------------------------------------------------------------------------------------


def test_the_signature_is_stripe_style_and_rejects_tampering_and_replays():
    body = b'{"id":"x"}'
    header = webhooks.sign("whsec_abc", body, 1_800_000_000)
    expected = hmac.new(b"whsec_abc", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"
    assert webhooks.verify("whsec_abc", body, header, now=1_800_000_100)
    assert not webhooks.verify("whsec_abc", b'{"id":"y"}', header, now=1_800_000_100)
    assert not webhooks.verify("whsec_other", body, header, now=1_800_000_100)
    assert not webhooks.verify("whsec_abc", body, header, now=1_800_000_000 + 301)
    assert not webhooks.verify("whsec_abc", body, "v1=" + expected, now=1_800_000_000)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("https://crm.example.com/hooks/loyalty?x=1", True),
        ("http://10.0.0.5:8080/in", True),
        ("  https://example.com/a  ", True),
        ("ftp://example.com/", False),
        ("example.com/hook", False),
        ("https://", False),
        ("https://user:pass@example.com/", False),
        ("https://exa mple.com/", False),
        ("https://example.com:99999/", False),
        ("https://example.com/" + "a" * 500, False),
    ],
)
def test_endpoint_addresses_are_http_urls_up_to_512_characters(raw, ok):
    assert (webhooks.clean_url(raw) is not None) is ok


# ---- the outbox ---------------------------------------------------------------------------------


async def test_without_endpoints_nothing_is_queued_and_only_subscribers_get_events(pool, receiver):
    member_id = await new_member(pool, 1)
    await buy(pool, member_id, 50_000, key="a")
    assert await deliveries(pool) == []
    only_joins = await add_endpoint(pool, receiver, events=[Event.MEMBER_JOINED.value])
    async with pool() as session, session.begin():
        off = await webhooks.add_endpoint(
            session, url=receiver.url, events=["purchase.recorded"], created_by=1, now=NOW
        )
        await webhooks.set_enabled(session, off.endpoint_id, enabled=False, now=NOW)
    await buy(pool, member_id, 50_000, key="b")
    second = await new_member(pool, 2)
    rows = await deliveries(pool)
    assert [(r.endpoint_id, r.event, r.event_id) for r in rows] == [
        (only_joins, "member.joined", f"member.joined:{second}")
    ]
    data = rows[0].payload["data"]
    assert data["member_id"] == second and len(data["short_code"]) == 8
    assert "telegram_id" not in json.dumps(rows[0].payload)


async def test_a_staff_purchase_arrives_signed_once_despite_double_taps(engine, tmp_path, clock):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    pool = harness.app.pool
    async with Receiver(harness.clock) as receiver:
        await add_endpoint(pool, receiver)
        anna = harness.user(1, "Анна", "ru")
        member = await join(harness, anna)
        ivan = harness.user(20, "Ivan", "ru")
        await appoint_staff(harness, ivan)
        confirm = await purchase(harness, ivan, member, "1 250,50")
        data = button_data(confirm, "✅")
        update = harness.telegram.press(ivan, confirm, data)
        await harness.feed(update)
        await harness.feed(harness.telegram.redeliver(update))
        await harness.press(ivan, confirm, data)
        assert "+12" in harness.last(ivan)["text"]
        sender = worker(pool, harness.clock)
        try:
            assert await drain(sender) == 2  # member.joined and purchase.recorded
            assert await drain(sender) == 0
        finally:
            await close(sender)
    assert receiver.refused == []
    async with pool() as session:
        operation = await session.scalar(select(Operation))
    (event,) = receiver.events("purchase.recorded")
    assert event == {
        "id": f"purchase.recorded:op:{operation.id}",
        "type": "purchase.recorded",
        "created_at": "2026-11-23T09:00:00Z",
        "data": {
            "member_id": member.id,
            "short_code": member.short_code,
            "balance": 12,
            "tier": "base",
            "operation_id": operation.id,
            "location_id": None,
            "source": "staff",
            "receipt_id": None,
            "created_at": "2026-11-23T09:00:00Z",
            "kind": "purchase",
            "amount": 125_050,
            "paid_with_points": 0,
            "paid_in_money": 125_050,
            "points_redeemed": 0,
            "points_earned": 12,
            "stamps_earned": 1,
        },
    }
    (joined,) = receiver.events("member.joined")
    assert joined["data"]["member_id"] == member.id and "balance" not in joined["data"]
    got = {g["event"]: g for g in receiver.got}
    assert got["purchase.recorded"]["content_type"] == "application/json"
    rows = await deliveries(pool)
    assert [(r.event, r.status, r.attempts, r.last_status) for r in rows] == [
        ("member.joined", "delivered", 1, 200),
        ("purchase.recorded", "delivered", 1, 200),
    ]
    assert got["purchase.recorded"]["delivery"] == rows[1].id
    assert harness.telegram.violations == []


async def test_paying_with_points_and_a_new_tier_are_announced_and_so_is_a_cancel(pool, receiver):
    await add_endpoint(pool, receiver)
    member_id = await new_member(pool)
    await give_points(pool, member_id, 100)
    # 10 000 ₽ (silver's spend), 30 of it paid with 30 points: redeemed, recorded, silver.
    outcome = await buy(pool, member_id, 1_000_000, points=30, key="big")
    assert outcome.tier_after == "silver"
    await buy(pool, member_id, 1_000_000, points=30, key="big")  # the same operation again
    async with pool() as session, session.begin():
        await operations.cancel(
            session,
            Program(),
            operation_id=outcome.operation.id,
            by=OWNER_ID,
            is_owner=True,
            now=NOW + timedelta(minutes=1),
        )
    rows = await deliveries(pool)
    op = outcome.operation.id
    assert [r.event_id for r in rows] == [
        f"member.joined:{member_id}",
        f"purchase.recorded:op:{op}",
        f"points.redeemed:op:{op}",
        f"tier.changed:purchase:{op}",
        f"operation.cancelled:op:{op}",
        f"tier.changed:cancellation:{op}",
    ]
    by_id = {r.event_id: r.payload["data"] for r in rows}
    assert (
        by_id[f"points.redeemed:op:{op}"] | {"points": 30, "value": 3000}
        == by_id[f"points.redeemed:op:{op}"]
    )
    assert by_id[f"purchase.recorded:op:{op}"]["kind"] == "redeem"
    assert by_id[f"purchase.recorded:op:{op}"]["paid_in_money"] == 997_000
    assert (
        by_id[f"tier.changed:purchase:{op}"] | {"from": "base", "to": "silver"}
        == by_id[f"tier.changed:purchase:{op}"]
    )
    assert by_id[f"tier.changed:cancellation:{op}"]["to"] == "base"
    assert by_id[f"operation.cancelled:op:{op}"]["balance"] == 100
    sender = worker(pool, AdjustableClock(NOW + timedelta(minutes=2), frozen=True))
    try:
        assert await drain(sender) == 6
    finally:
        await close(sender)
    receiver.clock.advance(timedelta(minutes=2))
    assert receiver.refused == [] and len(receiver.events()) == 6


async def test_a_held_purchase_is_announced_when_the_owner_approves_it(pool, receiver):
    await add_endpoint(pool, receiver, events=["purchase.recorded"])
    member_id = await new_member(pool)
    held = await buy(pool, member_id, 5_000_000, key="huge")  # above 30 000 ₽: held
    assert held.operation.status == "held" and await deliveries(pool) == []
    async with pool() as session, session.begin():
        await operations.approve(
            session, Program(), operation_id=held.operation.id, owner_id=OWNER_ID, now=NOW
        )
    (row,) = await deliveries(pool)
    assert row.event_id == f"purchase.recorded:op:{held.operation.id}"
    assert row.payload["data"]["amount"] == 5_000_000


@pytest.mark.parametrize("one_by_one", [False, True])
async def test_expired_points_are_announced_by_the_expiry_job(
    pool, receiver, monkeypatch, one_by_one
):
    if one_by_one:  # the path the job falls back to when a batch can't be written off at once

        async def no_batch(*_args: object) -> None:
            return None

        monkeypatch.setattr(expiry, "_expire_batch", no_batch)
    await add_endpoint(pool, receiver, events=["points.expired"])
    member_id = await new_member(pool, at=NOW - timedelta(days=200))
    await give_points(pool, member_id, 40, at=NOW - timedelta(days=200), expires=NOW)
    await give_points(pool, member_id, 15, at=NOW - timedelta(days=199), expires=NOW)
    await give_points(pool, member_id, 7, at=NOW - timedelta(days=1), expires=None)
    later = AdjustableClock(NOW + timedelta(days=2), frozen=True)
    receiver.clock = later

    async def send(_chat: int, _text: str) -> bool:
        return True

    ctx = Engagement(
        pool=pool, program=Program(), translator=Translator(), tz=UTC, clock=later, send=send
    )
    await engagement.run(ctx, "expire")
    await engagement.run(ctx, "expire")  # a rerun writes off and announces nothing more
    (row,) = await deliveries(pool)
    assert row.event == "points.expired"
    assert row.payload["data"] == {
        "member_id": member_id,
        "short_code": row.payload["data"]["short_code"],
        "balance": 7,
        "tier": "base",
        "points": 55,
    }
    sender = worker(pool, later)
    try:
        assert await drain(sender) == 1
    finally:
        await close(sender)
    assert receiver.events("points.expired")[0]["data"]["points"] == 55


# ---- delivery -----------------------------------------------------------------------------------


async def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(pool, receiver, clock):
    await add_endpoint(pool, receiver)
    await new_member(pool)
    receiver.answers.extend([500, 503])
    sender = worker(pool, clock)
    try:
        assert await sender.step() == 1
        (row,) = await deliveries(pool)
        assert (row.status, row.attempts, row.last_status) == ("pending", 1, 500)
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert "HTTP 500 receiver is broken" in row.last_error
        assert await sender.step() == 0  # not before its time
        clock.advance(timedelta(seconds=59))
        assert await sender.step() == 0
        clock.advance(timedelta(seconds=1))
        assert await sender.step() == 1
        (row,) = await deliveries(pool)
        assert (row.attempts, row.last_status) == (2, 503)
        assert row.next_attempt_at == clock.now() + timedelta(minutes=5)
        clock.advance(timedelta(minutes=5))
        assert await sender.step() == 1
    finally:
        await close(sender)
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "delivered",
        3,
        200,
        None,
    )
    assert row.delivered_at == clock.now()
    assert [g["status"] for g in receiver.got] == [500, 503, 200]
    assert len({g["delivery"] for g in receiver.got}) == 1
    assert len({g["payload"]["id"] for g in receiver.got}) == 1


async def test_a_receiver_that_is_down_fails_after_the_last_attempt(pool, clock, receiver):
    endpoint_id = await add_endpoint(pool, receiver)
    async with pool() as session, session.begin():
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        endpoint.url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    await new_member(pool)
    sender = worker(pool, clock, max_attempts=4)
    try:
        waits = []
        for _ in range(4):
            assert await sender.step() == 1
            (row,) = await deliveries(pool)
            waits.append(row.next_attempt_at - clock.now())
            clock.advance(row.next_attempt_at - clock.now())
        assert await sender.step() == 0
    finally:
        await close(sender)
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)]
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts, row.last_status) == ("failed", 4, None)
    assert "ClientConnectorError" in row.last_error or "Connect" in row.last_error
    async with pool() as session:
        (view,) = await webhooks.endpoints(session)
    assert (view.delivered, view.pending, view.failed) == (0, 0, 1)
    assert view.last_error == row.last_error

    # The owner fixes the address and retries: a full set of attempts, delivered.
    async with pool() as session, session.begin():
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        endpoint.url = receiver.url
        assert await webhooks.retry_failed(session, endpoint_id, now=clock.now()) == 1
    receiver.clock = clock
    sender = worker(pool, clock)
    try:
        assert await sender.step() == 1
    finally:
        await close(sender)
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts) == ("delivered", 1)


async def test_a_slow_receiver_times_out_and_is_tried_again(pool, clock, receiver):
    await add_endpoint(pool, receiver)
    await new_member(pool)
    receiver.delay = 1.0
    sender = worker(pool, clock, timeout=0.2)
    try:
        assert await sender.step() == 1
    finally:
        await close(sender)
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "timeout after 0.2 s")


async def test_two_workers_at_once_send_every_delivery_once(pool, database_url, clock, receiver):
    await add_endpoint(pool, receiver)
    for telegram_id in range(1, 41):
        await new_member(pool, telegram_id)
    receiver.delay = 0.02
    other_engine = create_engine(database_url)
    first = worker(pool, clock, batch=7)
    second = worker(create_pool(other_engine), clock, batch=7)
    try:
        assert await drain(first, second) == 40
    finally:
        await close(first, second)
        await other_engine.dispose()
    counts: dict[int, int] = {}
    for got in receiver.got:
        counts[got["delivery"]] = counts.get(got["delivery"], 0) + 1
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert {row.status for row in await deliveries(pool)} == {"delivered"}


async def test_a_claim_is_held_for_its_lease_then_taken_over(pool, clock, receiver):
    await add_endpoint(pool, receiver)
    await new_member(pool)
    async with pool() as session, session.begin():
        (stuck,) = await webhooks.claim(session, now=clock.now(), limit=10)  # then it died
    sender = worker(pool, clock)
    try:
        assert await sender.step() == 0
        clock.advance(webhooks.LEASE - timedelta(seconds=1))
        assert await sender.step() == 0
        clock.advance(timedelta(seconds=2))
        assert await sender.step() == 1
    finally:
        await close(sender)
    async with pool() as session, session.begin():
        # The dead worker's late answer does not overwrite what the live one recorded.
        late = webhooks.Answer(500, "late")
        assert await webhooks.record(session, stuck, late, now=clock.now(), max_attempts=8) is None
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts) == ("delivered", 1)


async def test_stopping_the_sender_finishes_what_is_in_flight(pool, clock, receiver):
    await add_endpoint(pool, receiver)
    for telegram_id in range(1, 4):
        await new_member(pool, telegram_id)
    receiver.delay = 0.3
    sender = worker(pool, clock, concurrency=1)
    task = asyncio.create_task(sender.run())
    while not receiver.got and not any(r.claimed_at for r in await deliveries(pool)):
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await close(sender)
    rows = await deliveries(pool)
    assert [r.status for r in rows].count("delivered") == len(receiver.got) >= 1
    assert all(r.claimed_at is None for r in rows)  # the rest went back to the queue


# ---- owners -------------------------------------------------------------------------------------


@pytest.fixture
async def harness(engine, tmp_path):  # type: ignore[no-untyped-def]
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    await harness.app.webhook_sender.stop()
    assert harness.telegram.violations == []


async def test_an_owner_adds_an_endpoint_sees_its_status_tests_and_disables_it(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/webhooks")
    assert "No endpoints yet" in texts(calls)[0]
    await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "➕"))
    assert "Send the endpoint's address" in harness.last(owner)["text"]
    calls = await harness.text(owner, "ftp://example.com/in")
    assert "not an http:// or https:// address" in texts(calls)[0]
    async with Receiver(harness.clock) as receiver:
        await harness.text(owner, receiver.url)
        picker = harness.last(owner)
        assert "Which events should go to" in picker["text"]
        await harness.press(owner, picker, button_data(picker, "Save"))
        assert await _count(harness, WebhookEndpoint) == 0  # nothing chosen: refused
        await harness.press(owner, picker, button_data(picker, "A purchase recorded"))
        picker = harness.last(owner)
        assert ("✅ A purchase recorded", button_data(picker, "purchase")) in buttons(picker)
        await harness.press(owner, picker, button_data(picker, "Points paid with"))
        await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "Save"))
        created = harness.last(owner)["text"]
        assert "Endpoint #1 added" in created and "Signing secret" in created
        async with harness.app.pool() as session:
            endpoint = await session.scalar(select(WebhookEndpoint))
        assert endpoint.secret.startswith("whsec_") and endpoint.secret in created
        assert endpoint.events == ["purchase.recorded", "points.redeemed"]
        receiver.secret = endpoint.secret

        calls = await harness.text(owner, "/webhooks")
        listing = texts(calls)[0]
        assert receiver.url in listing and "✅ active" in listing
        assert "Delivered 0 · waiting 0 · failed 0" in listing
        assert endpoint.secret not in listing
        await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "#1"))
        card = harness.last(owner)
        assert endpoint.secret not in card["text"]

        # The test event goes out at once through the running sender.
        await harness.app.webhook_sender.start()
        await harness.press(owner, card, button_data(card, "test event"))
        for _ in range(200):
            if receiver.got:
                break
            await asyncio.sleep(0.02)
        assert [g["event"] for g in receiver.got] == ["ping"] and receiver.refused == []
        assert receiver.got[0]["payload"]["data"] == {"endpoint_id": endpoint.id}
        await harness.app.webhook_sender.stop()

    await harness.press(owner, card, button_data(card, "Disable"))
    confirm = harness.last(owner)
    assert "Disable endpoint #1?" in confirm["text"]
    await harness.press(owner, confirm, button_data(confirm, "Yes, disable"))
    card = harness.last(owner)
    assert "⏸ disabled" in card["text"] and "Delivered 1" in card["text"]
    async with harness.app.pool() as session:
        assert (await session.get(WebhookEndpoint, endpoint.id)).disabled_at == NOW
    await harness.press(owner, card, button_data(card, "Delete"))
    confirm = harness.last(owner)
    await harness.press(owner, confirm, button_data(confirm, "Yes, delete"))
    assert "No endpoints yet" in harness.last(owner)["text"]
    assert await _count(harness, WebhookEndpoint) == 0
    assert await _count(harness, WebhookDelivery) == 0


async def test_russian_owner_sees_russian_and_cancel_stops_adding(harness):
    owner = harness.user(OWNER_ID, "Ольга", "ru")
    calls = await harness.text(owner, "/webhooks")
    assert "Исходящие вебхуки" in texts(calls)[0]
    await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "➕"))
    calls = await harness.text(owner, "/cancel")
    assert texts(calls) == ["Добавление адреса отменено."]
    calls = await harness.text(owner, "https://example.com/hook")
    assert not any("Какие события" in text for text in texts(calls))


async def test_people_other_than_owners_are_refused(harness):
    anna = harness.user(1, "Anna", "en")
    await join(harness, anna)
    calls = await harness.text(anna, "/webhooks")
    assert texts(calls) == ["Sorry, this is for the staff only."]
    ivan = harness.user(20, "Ivan", "en")
    await appoint_staff(harness, ivan)
    calls = await harness.text(ivan, "/webhooks")
    assert texts(calls)[-1] == "Sorry, this is for the staff only."
    forged = {
        "message_id": 1,
        "chat": {"id": ivan.id, "type": "private"},
        "date": 0,
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "wh:a:0:0:0"}]]},
    }
    calls = await harness.feed(harness.telegram.press(ivan, forged, "wh:a:0:0:0"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert await _count(harness, WebhookEndpoint) == 0


async def _count(harness, model) -> int:  # type: ignore[no-untyped-def]
    async with harness.app.pool() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def test_delivery_statuses_are_what_owners_see():
    assert [s.value for s in DeliveryStatus] == ["pending", "delivered", "failed"]


async def test_an_owner_sees_the_last_error_and_retries_the_failed(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    pool = harness.app.pool
    async with pool() as session, session.begin():
        created = await webhooks.add_endpoint(
            session,
            url="https://crm.example.com/in",
            events=["tier.changed"],
            created_by=1,
            now=NOW,
        )
        session.add(
            WebhookDelivery(
                endpoint_id=created.endpoint_id,
                event="member.joined",
                event_id="member.joined:1",
                payload={},
                status="failed",
                attempts=8,
                next_attempt_at=NOW,
                last_status=502,
                last_error="HTTP 502 Bad Gateway",
                created_at=NOW,
            )
        )
    assert created.endpoint_id == 1
    calls = await harness.text(owner, "/webhooks")
    assert "Last error: <code>HTTP 502 Bad Gateway</code>" in calls[0].params["text"]
    await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "#1"))
    card = harness.last(owner)
    calls = await harness.press(owner, card, button_data(card, "Retry failed (1)"))
    alert = next(c for c in calls if c.method == "answerCallbackQuery")
    assert alert.params["text"] == "1 failed delivery is queued again."
    card = harness.last(owner)
    assert (
        "Delivered 0 · waiting 1 · failed 0" in card["text"]
        and "Next attempt: 23.11 12:00" in card["text"]
    )
    assert "Retry failed" not in str(buttons(card))
    (row,) = await deliveries(pool)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)
