"""Webhook mode over real HTTP (aiohttp's test server), the bot pointed at the fake Telegram:
the secret token, duplicate deliveries, background processing, /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiogram import F
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.config import Settings
from bot.webhook import (
    SECRET_HEADER,
    MemorySeenUpdates,
    RedisSeenUpdates,
    WebhookServer,
    healthcheck,
    metrics_app,
)
from db.models import Member
from db.session import create_engine
from tests.fakes.server import FakeBotAPIServer
from tests.harness import button_data, make_harness
from tests.test_end_to_end import start_bot, stop_bot

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SECRET = "webhook-secret_0123456789"
PUBLIC_URL = "https://bot.example.com/loyalty"


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(
        engine, tmp_path=tmp_path, start=NOW, webhook_url=PUBLIC_URL, webhook_secret=SECRET
    )
    yield harness
    assert harness.telegram.violations == []


@pytest.fixture
async def server(harness):
    server = WebhookServer(harness.app, harness.bot)
    async with TestClient(TestServer(server.web_app())) as client:
        server.client = client
        yield server


async def post(server, update, secret=SECRET, path=None):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await server.client.post(
        path or server.settings.webhook_path, json=update, headers=headers
    )


async def members_count(harness) -> int:
    async with harness.app.pool() as session:
        return await session.scalar(select(func.count()).select_from(Member))


async def settled(server) -> None:
    """Wait until every update handed to the background has been processed."""
    await server.handler.drain(timeout=10)


def test_the_path_hides_the_token_and_keeps_the_public_prefix(harness):
    settings = harness.settings
    assert settings.webhook_path.startswith("/loyalty/webhook/")
    assert "TEST" not in settings.webhook_path and "4242" not in settings.webhook_path
    assert settings.webhook_endpoint == "https://bot.example.com" + settings.webhook_path


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_happens(harness, server):
    anna = harness.user(1, "Анна", "ru")
    update = harness.telegram.send_text(anna, "/start")
    before = len(harness.telegram.calls)
    for secret in (None, "", "wrong-secret"):
        answer = await post(server, update, secret=secret)
        assert answer.status == 401
    await settled(server)
    assert len(harness.telegram.calls) == before
    assert (await post(server, update, path="/webhook/elsewhere")).status == 404

    answer = await post(server, update)
    assert answer.status == 200
    greeting = await harness.telegram.wait_for_call("sendMessage", anna.id, after=before)
    assert "Здравствуйте, Анна" in greeting.params["text"]


async def test_a_malformed_body_is_a_400(server):
    answer = await server.client.post(
        server.settings.webhook_path, data=b"not json", headers={SECRET_HEADER: SECRET}
    )
    assert answer.status == 400


async def test_an_update_delivered_twice_is_processed_once(harness, server):
    anna = harness.user(1, "Анна", "ru")
    await post(server, harness.telegram.send_text(anna, "/start"))
    await settled(server)
    greeting = harness.last(anna)
    consent = harness.telegram.press(anna, greeting, button_data(greeting, "✅"))
    answers = await asyncio.gather(*(post(server, consent) for _ in range(3)))
    assert [answer.status for answer in answers] == [200, 200, 200]
    await settled(server)
    assert await members_count(harness) == 1
    answered = [c for c in harness.telegram.calls if c.method == "answerCallbackQuery"]
    assert len(answered) == 1 and "уже" not in (answered[0].params.get("text") or "")


async def test_the_answer_does_not_wait_for_a_slow_handler(harness, server):
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(message) -> None:
        started.set()
        await release.wait()
        await message.answer("done at last")
        finished.set()

    harness.app.dispatcher.message.register(slow, F.text == "slow")
    anna = harness.user(1, "Анна", "ru")
    answer = await asyncio.wait_for(post(server, harness.telegram.send_text(anna, "slow")), 5)
    assert answer.status == 200
    await asyncio.wait_for(started.wait(), 5)
    assert not finished.is_set(), "Telegram got its answer while the handler still runs"
    release.set()
    await asyncio.wait_for(finished.wait(), 5)
    assert harness.last(anna)["text"] == "done at last"


async def test_readyz_after_the_webhook_is_set_with_the_secret_and_update_types(harness, server):
    assert (await server.client.get("/readyz")).status == 503
    await server.set_webhook()
    answer = await server.client.get("/readyz")
    assert answer.status == 200 and (await answer.json()) == {"status": "ready"}
    webhook = harness.telegram.webhook
    assert webhook["url"] == harness.settings.webhook_endpoint
    assert webhook["secret_token"] == SECRET
    assert webhook.get("drop_pending_updates") in (None, False)
    assert {"message", "callback_query"} <= set(webhook["allowed_updates"])
    assert set(webhook["allowed_updates"]) == set(
        harness.app.dispatcher.resolve_used_update_types()
    )


async def test_healthz_answers_while_the_database_does(server):
    answer = await server.client.get("/healthz")
    assert answer.status == 200 and (await answer.json())["database"] == "up"


async def test_healthz_is_503_without_the_database():
    engine = create_engine("postgresql://nobody@127.0.0.1:9/nowhere")
    try:
        async with TestClient(TestServer(metrics_app(engine))) as client:
            answer = await client.get("/healthz")
            assert answer.status == 503
            assert (await answer.json())["database"] == "down"
    finally:
        await engine.dispose()


async def test_metrics_on_the_webhook_port_count_updates(tmp_path, engine):
    harness = await make_harness(
        engine,
        tmp_path=tmp_path,
        start=NOW,
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        webhook_port=8443,
        metrics_port=8443,
    )
    server = WebhookServer(harness.app, harness.bot)
    async with TestClient(TestServer(server.web_app())) as client:
        server.client = client
        anna = harness.user(1, "Анна", "ru")
        update = harness.telegram.send_text(anna, "/start")
        await post(server, update)
        await post(server, update)
        await settled(server)
        body = await (await client.get("/metrics")).text()
    assert 'loyalty_updates_total{outcome="handled",type="message"}' in body
    assert 'loyalty_updates_total{outcome="duplicate",type="message"}' in body
    assert 'loyalty_webhook_requests_total{status="200"}' in body
    assert "loyalty_handler_seconds_bucket" in body


async def test_memory_dedup_forgets_after_its_ttl():
    now = [0.0]
    seen = MemorySeenUpdates(ttl=10, clock=lambda: now[0], max_size=3)
    assert await seen.first_time(1) and not await seen.first_time(1)
    now[0] = 11
    assert await seen.first_time(1)
    for update_id in (2, 3, 4):
        assert await seen.first_time(update_id)
    assert await seen.first_time(1), "the oldest id makes room when the record is full"


async def test_redis_dedup_is_shared_and_expires():
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        await redis.ping()
    except (RedisConnectionError, OSError):
        await redis.aclose()
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    bot_id = int(uuid.uuid4().int % 10**9)
    first, second = RedisSeenUpdates(redis, bot_id, ttl=5), RedisSeenUpdates(redis, bot_id, ttl=5)
    try:
        assert await first.first_time(7)
        assert not await second.first_time(7), "another instance sees the same record"
        assert 0 < await redis.ttl(f"{first.prefix}:7") <= 5
    finally:
        await redis.delete(f"{first.prefix}:7")
        await redis.aclose()


def test_healthcheck_command_asks_the_right_port(tmp_path):
    polling = Settings(bot_token="1:x", data_dir=tmp_path, _env_file=None)
    assert healthcheck(polling) == 0  # nothing listens in plain polling: nothing to ask
    closed = Settings(
        bot_token="1:x", data_dir=tmp_path, webhook_url=PUBLIC_URL, webhook_port=9, _env_file=None
    )
    assert healthcheck(closed) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.e2e
async def test_the_real_process_serves_a_webhook(database_url, tmp_path):
    """`python -m bot` with WEBHOOK_URL: sets the webhook, answers Telegram's requests, logs
    JSON without the token, serves /metrics on the same port, and stops cleanly on SIGTERM."""
    port = free_port()
    async with FakeBotAPIServer() as api:
        telegram = api.telegram
        anna = telegram.user(1001, "Анна", "ru")
        process = await start_bot(
            api,
            database_url,
            tmp_path,
            WEBHOOK_URL="https://bot.example.com",
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
            METRICS_PORT=str(port),
            LOG_FORMAT="json",
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"{base}/readyz") as ready:
                            if ready.status == 200:
                                break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("the webhook server never became ready")
                assert telegram.webhook["secret_token"] == SECRET
                path = urlsplit(telegram.webhook["url"]).path
                update = telegram.send_text(anna, "/start")
                async with http.post(f"{base}{path}", json=update) as refused:
                    assert refused.status == 401
                mark = len(telegram.calls)
                for _ in range(2):
                    async with http.post(
                        f"{base}{path}", json=update, headers={SECRET_HEADER: SECRET}
                    ) as accepted:
                        assert accepted.status == 200
                greeting = await telegram.wait_for_call("sendMessage", anna.id, after=mark)
                assert "Здравствуйте, Анна" in greeting.params["text"]
                async with http.get(f"{base}/healthz") as health:
                    assert health.status == 200
                async with http.get(f"{base}/metrics") as scraped:
                    body = await scraped.text()
                assert 'loyalty_updates_total{outcome="duplicate",type="message"} 1.0' in body
        finally:
            output = await stop_bot(process)
        assert process.returncode == 0, output.decode(errors="replace")[-3000:]
        sent = [call for call in telegram.calls if call.method == "sendMessage"]
        assert len(sent) == 1, "the second delivery was not processed"
        assert b"123456:E2E-token" not in output
        lines = [json.loads(line) for line in output.decode().splitlines() if line[:1] == "{"]
        assert any(line.get("handler") == "customer.start.start" for line in lines)
