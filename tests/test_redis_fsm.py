"""With REDIS_URL, a conversation survives a restart: the Dispatcher that continues it is a new
one (as after a deploy, or another instance behind the webhook) reading the same Redis."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.app import build_storage
from bot.config import Settings
from bot.factory import build_app
from bot.services import members
from tests.harness import Harness, button_data, make_harness, texts

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError):
        await redis.aclose()
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    prefix = f"test-loyalty-{uuid.uuid4().hex}"
    yield prefix
    keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def redis_storage(tmp_path, prefix: str):
    settings = Settings(
        bot_token="4242:TEST", redis_url=REDIS_URL, data_dir=tmp_path, _env_file=None
    )
    return build_storage(settings, prefix=prefix)


async def restart(harness: Harness, prefix: str | None) -> Harness:
    """The same chat and database, a brand-new App and Dispatcher (and storage client)."""
    await harness.app.dispatcher.storage.close()
    storage = build_storage(harness.settings, prefix=prefix) if prefix else None
    app = build_app(
        harness.settings, clock=harness.clock, engine=harness.app.engine, storage=storage
    )
    await app.dispatcher.emit_startup(
        bot=harness.bot, dispatcher=app.dispatcher, **app.dispatcher.workflow_data
    )
    return replace(harness, app=app)


async def start_typing_a_birthday(harness: Harness):
    anna = harness.user(1, "Анна", "ru")
    await harness.text(anna, "/start")
    greeting = harness.last(anna)
    await harness.press(anna, greeting, button_data(greeting, "✅"))
    await harness.text(anna, "⚙️ Настройки")
    screen = harness.last(anna)
    await harness.press(anna, screen, button_data(screen, "День рождения"))
    assert "Когда у вас день рождения?" in harness.last(anna)["text"]
    return anna


async def test_a_conversation_continues_after_a_restart(engine, tmp_path, prefix):
    first = await make_harness(
        engine,
        tmp_path=tmp_path,
        start=NOW,
        storage=redis_storage(tmp_path, prefix),
        redis_url=REDIS_URL,
    )
    anna = await start_typing_a_birthday(first)

    second = await restart(first, prefix)
    calls = await second.text(anna, "25.04.1990")
    assert "Ваш день рождения — <b>25.04.1990</b>?" in calls[-1].params["text"]
    confirm = second.last(anna)

    third = await restart(second, prefix)  # the typed date is in Redis too
    await third.press(anna, confirm, button_data(confirm, "Да, сохранить"))
    async with third.app.pool() as session:
        member = await members.get_by_telegram_id(session, anna.id)
    assert member.birthday == date(1990, 4, 25)
    await third.app.dispatcher.storage.close()
    assert first.telegram.violations == []


async def test_without_redis_a_restart_forgets_the_conversation(engine, tmp_path):
    first = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    anna = await start_typing_a_birthday(first)
    second = await restart(first, None)
    calls = await second.text(anna, "25.04.1990")
    assert "день рождения" not in " ".join(texts(calls))
    async with second.app.pool() as session:
        assert (await members.get_by_telegram_id(session, anna.id)).birthday is None
