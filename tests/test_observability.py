"""Logs, metrics, alerts and flood control, through the real Dispatcher."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest
from aiogram import F
from aiogram.exceptions import TelegramForbiddenError
from prometheus_client import REGISTRY

from bot import observability
from bot.middlewares.flood import FloodControlMiddleware
from bot.observability import (
    QUIET_LOGGERS,
    RedactingFilter,
    configure_logging,
    log_handler,
    redact,
)
from bot.scheduler import build_scheduler
from bot.services import ledger, members
from bot.services.ledger import EntryKind
from tests.harness import OWNER_ID, button_data, make_harness, texts

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PHONE = "+7 900 123-45-67"
PHONE_FORMS = ("+7 900 123-45-67", "+79001234567", "79001234567", "900 123-45-67", "1234567")
PRIVATE_TEXT = "my private note about the hidden door"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW, alert_chat_id=OWNER_ID)
    harness.user(OWNER_ID, "Olga", "en")
    yield harness
    assert harness.telegram.violations == []


@pytest.fixture
def captured(harness):
    """Everything logged while the test runs, configured as `python -m bot` does with
    LOG_FORMAT=json, and at the most talkative level, DEBUG."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    configure_logging("DEBUG", "json", (harness.settings.bot_token.get_secret_value(),), stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


def explode_with_secrets(token: str):
    async def explode(message) -> None:
        raise RuntimeError(f"boom: {PHONE} {token}")

    return explode


async def join(harness, user) -> None:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))


async def test_logs_of_a_full_flow_hold_no_token_no_phone_and_no_message_text(harness, captured):
    token = harness.settings.bot_token.get_secret_value()
    harness.app.dispatcher.message.register(explode_with_secrets(token), F.text == "explode")
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    await harness.feed(harness.telegram.send_contact(anna, PHONE))
    await harness.text(anna, PRIVATE_TEXT)
    await harness.text(anna, "/mydata")
    await harness.text(anna, "explode")

    output = captured.getvalue()
    assert token not in output and "TEST" not in output
    for form in PHONE_FORMS:
        assert form not in output
    assert PRIVATE_TEXT not in output and "Анна" not in output
    lines = [json.loads(line) for line in output.splitlines()]
    updates = [line for line in lines if line["logger"] == "bot.updates"]
    assert [line["outcome"] for line in updates] == ["handled"] * 5 + ["error"]
    assert updates[0]["handler"] == "customer.start.start"
    assert updates[2]["handler"] == "customer.start.contact"
    assert {"update_id", "update_type", "latency_ms"} <= set(updates[0])
    [error] = [line for line in lines if line["logger"] == "bot.errors"]
    assert "RuntimeError: boom: [phone] [token]" in error["exception"]


def test_redaction_is_a_last_line_of_defence():
    record = logging.makeLogRecord(
        {"msg": "calling %s for %s", "args": ("bot123456:" + "A" * 35 + "/getMe", "+79001234567")}
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "calling bot[token]/getMe for [phone]"
    kept = "update 812345678 of user 1234567890 at 2026-05-04 09:00:00 took 12.5 ms"
    assert redact(kept) == kept


def test_text_logs_are_one_line_per_record():
    stream = io.StringIO()
    handler = log_handler("text", ("42:SECRET",), stream)
    logger = logging.getLogger("test.text")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("token %s phone %s", "42:SECRET", "8 (912) 345-67-89")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().endswith("INFO test.text: token [token] phone [phone]\n")


async def test_an_error_reaches_the_user_politely_and_the_owners_with_details(harness):
    token = harness.settings.bot_token.get_secret_value()
    harness.app.dispatcher.message.register(explode_with_secrets(token), F.text == "explode")
    anna = harness.user(1, "Анна", "ru")
    calls = await harness.text(anna, "explode")
    to_anna = [call for call in calls if call.chat_id == anna.id]
    [apology] = texts(to_anna)
    assert apology.startswith("Извините, у нас что-то пошло не так")
    error_id = apology.rsplit(" ", 1)[-1].rstrip(".")
    [alert] = [call for call in calls if call.chat_id == OWNER_ID]
    text = alert.params["text"]
    assert f"Error {error_id}</b>" in text and "(message)" in text
    assert "RuntimeError: boom: [phone] [token]" in text
    assert "tests/test_observability.py:" in text and "in explode" in text
    assert token not in text and "123-45-67" not in text


async def test_an_alert_that_fails_does_not_hide_the_apology(harness):
    harness.app.dispatcher.message.register(explode_with_secrets("x"), F.text == "explode")
    harness.telegram.block(OWNER_ID)
    anna = harness.user(1, "Анна", "ru")
    calls = await harness.text(anna, "explode")
    assert "Код ошибки" in texts([call for call in calls if call.chat_id == anna.id])[0]


async def test_flood_control_asks_once_then_drops_until_the_pace_falls(engine, tmp_path):
    harness = await make_harness(
        engine, tmp_path=tmp_path, start=NOW, flood_limit=3, flood_window=10
    )
    [flood] = [
        m
        for m in harness.app.dispatcher.update.outer_middleware
        if isinstance(m, FloodControlMiddleware)
    ]
    now = [1000.0]
    flood.clock = lambda: now[0]
    john = harness.user(2, "John", "en")
    throttled = sample("loyalty_updates_total", type="message", outcome="throttled")

    answered = [texts(await harness.text(john, "/help")) for _ in range(3)]
    assert all(answer for answer in answered)
    slow_down = texts(await harness.text(john, "/help"))
    assert slow_down == [
        "You are sending messages very fast. Please wait a few seconds: messages sent "
        "meanwhile are not processed."
    ]
    for _ in range(5):
        now[0] += 1
        assert await harness.text(john, "/help") == []
    assert sample("loyalty_updates_total", type="message", outcome="throttled") == throttled + 6

    anna = harness.user(1, "Анна", "ru")
    assert texts(await harness.text(anna, "/help")), "others are not affected"

    now[0] += 11  # a quiet window: back to normal, and a new burst gets a new warning
    assert texts(await harness.text(john, "/help"))
    assert harness.telegram.violations == []


async def test_flood_control_answers_a_button_without_a_message():
    flood = FloodControlMiddleware(limit=1, window=10, clock=lambda: 0.0)
    assert flood.allow(1) and not flood.allow(1) and flood.allow(2)
    assert FloodControlMiddleware(limit=0, window=10).limit == 0


async def test_ledger_entries_are_counted_by_kind_when_committed(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    async with harness.app.pool() as session:
        member = await members.get_by_telegram_id(session, anna.id)
    bonus = sample("loyalty_ledger_entries_total", kind="bonus")
    async with harness.app.pool() as session, session.begin():
        await ledger.post(
            session,
            member_id=member.id,
            delta=5,
            kind=EntryKind.BONUS,
            idempotency_key="kept",
            now=NOW,
        )
    async with harness.app.pool() as session, session.begin():
        await ledger.post(
            session,
            member_id=member.id,
            delta=7,
            kind=EntryKind.BONUS,
            idempotency_key="rolled-back",
            now=NOW,
        )
        await session.rollback()
    assert sample("loyalty_ledger_entries_total", kind="bonus") == bonus + 1


async def test_telegram_api_errors_are_counted_by_method_and_code(harness):
    anna = harness.user(1, "Анна", "ru")
    before = sample("loyalty_telegram_api_errors_total", method="sendMessage", code="403")
    harness.telegram.block(anna.id)
    with pytest.raises(TelegramForbiddenError):
        await harness.bot.send_message(anna.id, "hello")
    after = sample("loyalty_telegram_api_errors_total", method="sendMessage", code="403")
    assert after == before + 1


async def test_job_runs_are_counted_by_status(harness):
    scheduler = build_scheduler(harness.app, harness.bot)
    runs = sample("loyalty_job_runs_total", job="expire", status="ok")
    await scheduler._run("expire")  # noqa: SLF001 - the runner the scheduler calls
    assert sample("loyalty_job_runs_total", job="expire", status="ok") == runs + 1
    assert sample("loyalty_job_seconds_count", job="expire") >= 1
    failures = sample("loyalty_job_failures_total", job="expire")
    observability.record_job("expire", "failed", 0.5)
    assert sample("loyalty_job_failures_total", job="expire") == failures + 1


def test_broadcast_metrics_are_defined():
    sent = sample("loyalty_broadcast_messages_total", outcome="sent")
    observability.record_broadcast(sent=True)
    assert sample("loyalty_broadcast_messages_total", outcome="sent") == sent + 1
    observability.BROADCAST_RATE.set(25)
    assert sample("loyalty_broadcast_rate") == 25
