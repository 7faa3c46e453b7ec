"""A customer's flows through the real Dispatcher: join, card, balance, settings, help,
and every kind of bad input. The fake Telegram rejects any call Telegram would reject."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from bot.services import ledger
from bot.services.card_tokens import CardTokens
from bot.services.ledger import EntryKind
from db.models import Member
from tests.harness import SECRET, button_data, buttons, make_harness, texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    assert harness.telegram.violations == []


async def members_count(harness) -> int:
    async with harness.app.pool() as session:
        return await session.scalar(select(func.count()).select_from(Member))


async def join(harness, user):
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))


async def test_start_greets_in_russian_and_stores_nothing_before_consent(harness):
    anna = harness.user(1, "Анна", "ru")
    calls = await harness.text(anna, "/start")
    [greeting] = [call for call in calls if call.method == "sendMessage"]
    assert "Здравствуйте, Анна" in greeting.params["text"]
    assert "согласие на обработку персональных данных" in greeting.params["text"]
    assert await members_count(harness) == 0
    assert [label for label, _ in buttons(harness.last(anna))] == ["✅ Согласен, вступить"]


async def test_start_speaks_english_and_falls_back_to_russian(harness):
    await harness.text(harness.user(2, "John", "en"), "/start")
    assert "Hi, John!" in harness.last(harness.user(2)).get("text")
    await harness.text(harness.user(3, "Hans", "de"), "/start")
    assert "Здравствуйте" in harness.last(harness.user(3)).get("text")


async def test_consent_then_phone_then_menu(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    assert await members_count(harness) == 1
    ask = harness.last(anna)
    keyboard = ask["reply_markup"]["keyboard"]
    assert keyboard[0][0].get("request_contact") is True
    calls = await harness.feed(harness.telegram.send_contact(anna, "+7 900 123-45-67"))
    assert "номер сохранён" in texts(calls)[-1]
    menu = harness.last(anna)["reply_markup"]["keyboard"]
    labels = [button["text"] for row in menu for button in row]
    assert labels == [
        "💳 Моя карта",
        "💰 Баланс и история",
        "👥 Пригласить друзей",
        "🎯 Викторины",
        "⚙️ Настройки",
        "❓ Помощь",
    ]
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member))
    assert member.phone == "+79001234567" and member.first_name == "Анна"


async def test_someone_elses_contact_is_refused(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.feed(harness.telegram.send_contact(anna, "+79990000000", own=False))
    assert "свой номер" in texts(calls)[-1]
    async with harness.app.pool() as session:
        assert (await session.scalar(select(Member))).phone is None


async def test_phone_can_be_skipped(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "Пропустить")
    assert "можно добавить позже" in texts(calls)[-1]


async def test_two_consents_at_once_make_one_member(harness):
    anna = harness.user(1, "Анна", "ru")
    await harness.text(anna, "/start")
    greeting = harness.last(anna)
    data = button_data(greeting, "✅")
    await asyncio.gather(harness.press(anna, greeting, data), harness.press(anna, greeting, data))
    assert await members_count(harness) == 1
    calls = await harness.press(anna, greeting, data)  # a third, stale tap
    answers = [call for call in calls if call.method == "answerCallbackQuery"]
    assert "уже участник" in answers[-1].params["text"]
    assert await members_count(harness) == 1


async def test_start_from_a_member_shows_the_menu(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "/start")
    assert "Воспользуйтесь меню" in texts(calls)[-1]
    assert await members_count(harness) == 1


async def test_card_is_a_png_whose_qr_carries_a_valid_token(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "💳 Моя карта")
    [photo_call] = [call for call in calls if call.method == "sendPhoto"]
    assert "действует до 12:10" in photo_call.params["caption"]  # 09:00 UTC + 10 min, Moscow
    message = harness.last(anna)
    png = harness.telegram.file_bytes(message["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG")
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    prefix = "https://t.me/loyalty_test_bot?start="
    assert code.text.startswith(prefix)
    token = CardTokens(SECRET.encode(), 600).verify(code.text.removeprefix(prefix), NOW)
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member))
    assert token.member_id == member.id

    harness.clock.advance(timedelta(minutes=30))
    calls = await harness.press(anna, message, button_data(message, "🔄"))
    assert [call.method for call in calls].count("editMessageMedia") == 1
    refreshed = harness.last(anna)
    png = harness.telegram.file_bytes(refreshed["photo"][-1]["file_id"])
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    token = CardTokens(SECRET.encode(), 600).verify(
        code.text.removeprefix(prefix), harness.clock.now()
    )
    assert token.issued_at == harness.clock.now()


async def test_balance_shows_points_expiry_and_paginated_history(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "/balance")
    assert "Ваш баланс: 0 баллов" in texts(calls)[-1]
    assert "Операций пока нет" in texts(calls)[-1]
    async with harness.app.pool() as session, session.begin():
        member = await session.scalar(select(Member))
        for number in range(12):
            await ledger.post(
                session,
                member_id=member.id,
                delta=10 + number,
                kind=EntryKind.EARN,
                idempotency_key=f"seed-{number}",
                now=NOW + timedelta(minutes=number),
                expires_at=datetime(2027, 3, 14, 9, tzinfo=UTC),
            )
    await harness.text(anna, "💰 Баланс и история")
    screen = harness.last(anna)
    assert "Ваш баланс: 186 баллов" in screen["text"]
    assert "186 баллов сгорят 14.03.2027" in screen["text"]
    assert "страница 1 из 2" in screen["text"]
    assert "+21" in screen["text"] and "+10" not in screen["text"]
    calls = await harness.press(anna, screen, button_data(screen, "Старше"))
    assert [call.method for call in calls] == ["answerCallbackQuery", "editMessageText"]
    page_two = harness.last(anna)
    assert "страница 2 из 2" in page_two["text"] and "+10" in page_two["text"]


async def test_settings_switch_language_and_promotions(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    await harness.text(anna, "⚙️ Настройки")
    screen = harness.last(anna)
    await harness.press(anna, screen, button_data(screen, "English"))
    english = harness.last(anna)
    assert english["text"] == "Language changed to English."
    labels = [b["text"] for row in english["reply_markup"]["keyboard"] for b in row]
    assert "💳 My card" in labels
    settings_message = harness.telegram.chat_messages(anna.id)[-2]
    await harness.press(anna, settings_message, button_data(settings_message, "Turn off"))
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member))
    assert member.language == "en" and member.promo_opt_in is False
    calls = await harness.text(anna, "💳 My card")
    assert any(call.method == "sendPhoto" for call in calls)


async def test_help_is_written_from_the_program_rules(harness):
    calls = await harness.text(harness.user(5, "Ivan", "en"), "/help")
    body = texts(calls)[-1]
    assert "1% back in points" in body and "up to 30%" in body and "180 days" in body
    assert "Silver 3%" in body and "every 5 visits" in body


async def test_bad_input_gets_a_polite_answer_and_changes_nothing(harness):
    stranger = harness.user(7, "Petr", "ru")
    calls = await harness.text(stranger, "asdf qwerty")
    assert "ещё не участник" in texts(calls)[-1]
    calls = await harness.text(stranger, "💳 Моя карта")
    assert "ещё не участник" in texts(calls)[-1]
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    for noise in ("/nonsense", "привет", "🤖", "1250"):
        calls = await harness.text(anna, noise)
        assert "Не понял вас" in texts(calls)[-1], noise
    stale = {"message_id": 999, "chat": {"id": anna.id, "type": "private"}, "date": 0}
    calls = await harness.feed(
        harness.telegram.inject_update(
            {
                "callback_query": {
                    "id": "stale-1",
                    "from": {"id": anna.id, "is_bot": False, "first_name": "Анна"},
                    "chat_instance": "x",
                    "data": "hist:abc",
                    "message": stale,
                }
            }
        )
    )
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    assert "уже не действует" in calls[0].params["text"]
    assert await members_count(harness) == 1


async def test_commands_are_registered_in_both_languages(harness):
    registered = {
        call.params.get("language_code"): [c["command"] for c in call.params["commands"]]
        for call in harness.telegram.calls
        if call.method == "setMyCommands" and call.params.get("scope", {}).get("type") == "default"
    }
    assert set(registered) == {None, "ru", "en"}
    assert registered["en"] == [
        "start",
        "card",
        "balance",
        "settings",
        "help",
        "mydata",
        "delete",
    ]


async def test_the_card_shows_an_active_coupon(harness):
    from db.models import Coupon

    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    async with harness.app.pool() as session, session.begin():
        member = await session.scalar(select(Member))
        session.add(
            Coupon(
                member_id=member.id,
                kind="birthday",
                percent=15,
                key="test-coupon",
                valid_from=NOW - timedelta(days=1),
                valid_until=datetime(2026, 12, 1, 21, tzinfo=UTC),
                created_at=NOW,
            )
        )
    studio = harness.app.dispatcher["card_studio"]
    drawn = []
    original = studio.renderer.render
    studio.renderer.render = lambda view: drawn.append(view) or original(view)
    await harness.text(anna, "💳 Моя карта")
    assert drawn[-1].labels.coupon == "Купон −15% до 01.12"  # the last local day, Moscow time
    harness.clock.advance(timedelta(days=9))
    await harness.text(anna, "💳 Моя карта")
    assert drawn[-1].labels.coupon == ""
