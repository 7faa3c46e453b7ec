"""Staff mode end to end through the Dispatcher: roles, finding the member three ways,
purchases, paying with points, rewards, cancellation, holds and receipts in both languages."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageFilter
from sqlalchemy import func, select

from bot.services import ledger
from bot.services.card_tokens import CardTokens, format_short_code
from db.models import LedgerEntry, LookupLog, Member, Operation
from tests.harness import OWNER_ID, SECRET, button_data, buttons, make_harness, texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOKENS = CardTokens(SECRET.encode(), 600)


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    assert harness.telegram.violations == []


async def join(harness, user) -> Member:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))
    async with harness.app.pool() as session:
        return await session.scalar(select(Member).where(Member.telegram_id == user.id))


async def appoint_staff(harness, user) -> None:
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/invite staff")
    link = texts(calls)[-1].split()[-1]
    payload = link.split("start=")[1]
    calls = await harness.text(user, f"/start {payload}")
    assert (
        "Welcome to the team" in texts(calls)[0] or "Добро пожаловать в команду" in texts(calls)[0]
    )
    await harness.text(user, "/staff")


async def member_row(harness, member_id: int) -> Member:
    async with harness.app.pool() as session:
        return await session.get(Member, member_id)


async def open_view(harness, staff, member: Member) -> dict:
    token = TOKENS.issue(member.id, member.card_version, harness.clock.now())
    await harness.text(staff, f"/start {token}")
    return harness.last(staff)


async def purchase(harness, staff, member: Member, amount: str, label: str = "🛒") -> dict:
    view = await open_view(harness, staff, member)
    await harness.press(staff, view, button_data(view, label))
    await harness.text(staff, amount)
    return harness.last(staff)


async def test_invitation_appoints_once_and_tells_the_owner(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/invite staff")
    link = texts(calls)[-1].split()[-1]
    assert link.startswith("https://t.me/loyalty_test_bot?start=i")
    ivan = harness.user(20, "Ivan", "ru")
    calls = await harness.text(ivan, f"/start {link.split('start=')[1]}")
    assert "Ваша роль: сотрудник" in texts(calls)[0]
    told = harness.telegram.bot_messages(OWNER_ID)[-1]
    assert "Ivan accepted your invitation" in told["text"]
    staff_menu = [c for c in calls if c.method == "setMyCommands"][-1]
    assert "staff" in [c["command"] for c in staff_menu.params["commands"]]
    petr = harness.user(21, "Petr", "ru")
    calls = await harness.text(petr, f"/start {link.split('start=')[1]}")
    assert "уже использовано" in texts(calls)[0]
    calls = await harness.text(owner, "/invite boss")
    assert "/invite staff" in texts(calls)[0]


async def test_customers_are_refused_staff_commands_and_buttons(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    calls = await harness.text(anna, "/staff")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    calls = await harness.text(anna, "/team")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    forged = {
        "message_id": 1,
        "chat": {"id": anna.id, "type": "private"},
        "date": 0,
        "reply_markup": {
            "inline_keyboard": [[{"text": "x", "callback_data": f"sv:p:{member.id}:0"}]]
        },
    }
    calls = await harness.feed(harness.telegram.press(anna, forged, f"sv:p:{member.id}:0"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert "только для сотрудников" in calls[0].params["text"]
    token = TOKENS.issue(member.id, 1, NOW)
    calls = await harness.text(harness.user(2, "Boris", "ru"), f"/start {token}")
    assert "Это карта участника" in texts(calls)[0]
    async with harness.app.pool() as session:
        assert await session.scalar(select(func.count()).select_from(Operation)) == 0


async def test_staff_find_the_member_by_link_photo_and_code(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    assert "Режим сотрудника включён" in harness.last(ivan)["text"]

    view = await open_view(harness, ivan, member)
    assert "Анна" in view["text"] and "Баланс: 0" in view["text"]
    assert [label for label, _ in buttons(view)] == ["🛒 Покупка", "💳 Оплата баллами"]

    await harness.text(anna, "💳 Моя карта")
    card = harness.telegram.file_bytes(harness.last(anna)["photo"][-1]["file_id"])
    photo = Image.open(io.BytesIO(card)).convert("RGB")
    photo = photo.rotate(9, expand=True, fillcolor="white").filter(ImageFilter.GaussianBlur(1.2))
    photo = photo.resize((photo.width * 45 // 100, photo.height * 45 // 100))
    frame = Image.new("RGB", (1280, 960), (120, 120, 110))
    frame.paste(photo, (random.Random(3).randint(0, 700), 200))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=80)
    calls = await harness.feed(harness.telegram.send_photo(ivan, buffer.getvalue()))
    assert "Анна" in texts(calls)[-1]

    blank = io.BytesIO()
    Image.new("RGB", (640, 480), "grey").save(blank, "PNG")
    calls = await harness.feed(harness.telegram.send_photo(ivan, blank.getvalue()))
    assert "Не удалось прочитать QR-код" in texts(calls)[-1]

    calls = await harness.text(ivan, format_short_code(member.short_code).lower())
    assert "Анна" in texts(calls)[-1]
    await harness.text(ivan, "⌨️ Ввести код")
    calls = await harness.text(ivan, "нет такого")
    assert "Это не код участника" in texts(calls)[-1]
    calls = await harness.text(ivan, "AAAA-AAAA")
    assert "Участника с таким кодом нет" in texts(calls)[-1]

    old = TOKENS.issue(member.id, 1, NOW - timedelta(minutes=11))
    calls = await harness.text(ivan, f"/start {old}")
    assert "Срок действия QR-кода истёк" in texts(calls)[-1]
    forged = CardTokens(b"another-key-entirely-000000", 600).issue(member.id, 1, NOW)
    calls = await harness.text(ivan, f"/start {forged}")
    assert "Это не карта участника" in texts(calls)[-1]
    async with harness.app.pool() as session:
        outcomes = (await session.scalars(select(LookupLog.outcome).order_by(LookupLog.id))).all()
    assert outcomes == [
        "found",
        "found",
        "unreadable",
        "found",
        "malformed",
        "unknown",
        "expired",
        "forged",
    ]


async def test_purchase_with_bad_amounts_then_confirm_once(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    view = await open_view(harness, ivan, member)
    await harness.press(ivan, view, button_data(view, "🛒"))
    for bad, answer in (
        ("тысяча", "Это не сумма"),
        ("0", "от 0,01"),
        ("-5", "Это не сумма"),
        ("99999999", "от 0,01 до 1\u00a0000\u00a0000\u00a0₽"),
    ):
        calls = await harness.text(ivan, bad)
        assert answer in texts(calls)[-1], bad
    calls = await harness.text(ivan, "1 250,50")
    confirm = harness.last(ivan)
    assert "Покупка 1\u00a0250,50\u00a0₽" in confirm["text"] and "+12" in confirm["text"]
    data = button_data(confirm, "✅")
    update = harness.telegram.press(ivan, confirm, data)
    await harness.feed(update)
    await harness.feed(harness.telegram.redeliver(update))  # the same update again
    await harness.press(ivan, confirm, data)  # and a double tap
    result = harness.last(ivan)
    assert "записана: +12 баллов" in result["text"]
    receipt = harness.telegram.bot_messages(anna.id)[-1]
    assert "Покупка 1\u00a0250,50\u00a0₽" in receipt["text"] and "Баланс: 12" in receipt["text"]
    assert [label for label, _ in buttons(receipt)] == ["⚠️ Это не я"]
    async with harness.app.pool() as session:
        assert await session.scalar(select(func.count()).select_from(Operation)) == 1
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert (await member_row(harness, member.id)).stamps == 1


async def test_pay_with_points_present_or_confirmed_by_the_member(harness):
    anna = harness.user(1, "Anna", "en")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    confirm = await purchase(harness, ivan, member, "10000")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))  # 100 points, base 1%
    harness.clock.advance(timedelta(minutes=1))

    confirm = await purchase(harness, ivan, member, "200", label="💳")
    assert "−60" in confirm["text"] and "140\u00a0₽" in confirm["text"]  # 30% of 200 ₽
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    assert "−60 баллов" in harness.last(ivan)["text"]
    receipt = harness.telegram.bot_messages(anna.id)[-1]
    # The first purchase (10 000 ₽) earned 1% and reached Silver by spend; now 3% on 140 ₽.
    assert "Paid with points: −60" in receipt["text"] and "Balance: 44" in receipt["text"]

    harness.clock.advance(timedelta(minutes=1))
    await harness.text(ivan, member.short_code)  # found by code: the member must confirm
    view = harness.last(ivan)
    await harness.press(ivan, view, button_data(view, "💳"))
    await harness.text(ivan, "100")
    confirm = harness.last(ivan)
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    assert "Покупателя попросили подтвердить" in harness.last(ivan)["text"]
    assert (await member_row(harness, member.id)).points_balance == 44
    ask = harness.telegram.bot_messages(anna.id)[-1]
    assert "Pay <b>30</b> points" not in ask["text"] and "Pay 30 points" in ask["text"]
    await harness.press(anna, ask, button_data(ask, "Yes"))
    assert (await member_row(harness, member.id)).points_balance == 44 - 30 + 2
    assert "Покупатель подтвердил операцию" in harness.telegram.bot_messages(ivan.id)[-1]["text"]
    await harness.press(anna, ask, button_data(ask, "Yes"))  # a second tap on the old buttons
    assert (await member_row(harness, member.id)).points_balance == 16
    async with harness.app.pool() as session:
        assert (await ledger.audit(session, member.id)).consistent


async def test_reward_when_the_card_is_full_and_receipts_in_english(harness):
    anna = harness.user(1, "Anna", "en")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    for _ in range(5):
        harness.clock.advance(timedelta(hours=5))
        confirm = await purchase(harness, ivan, member, "100")
        await harness.press(ivan, confirm, button_data(confirm, "✅"))
    view = await open_view(harness, ivan, member)
    assert "положен подарок" in view["text"]
    await harness.press(ivan, view, button_data(view, "🎁"))
    confirm = harness.last(ivan)
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    assert (await member_row(harness, member.id)).stamps == 0
    assert "Enjoy a free coffee" in harness.telegram.bot_messages(anna.id)[-1]["text"]


async def test_cancel_within_the_window_and_not_after(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    confirm = await purchase(harness, ivan, member, "5000")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    done = harness.last(ivan)
    harness.clock.advance(timedelta(minutes=16))
    calls = await harness.press(ivan, done, button_data(done, "↩️"))
    assert "окно отмены — 15 мин" in calls[0].params["text"]
    confirm = await purchase(harness, ivan, member, "3000")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    done = harness.last(ivan)
    await harness.press(ivan, done, button_data(done, "↩️"))
    assert "отменена. Баланс 50" in harness.last(ivan)["text"]
    assert "Операция №2 отменена" in harness.telegram.bot_messages(anna.id)[-1]["text"]
    async with harness.app.pool() as session:
        kinds = (await session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id))).all()
    assert kinds == ["earn", "earn", "reversal"]


async def test_big_purchase_is_held_for_the_owner(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    confirm = await purchase(harness, ivan, member, "40000")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    assert "ждёт подтверждения владельца (крупная сумма)" in harness.last(ivan)["text"]
    assert (await member_row(harness, member.id)).points_balance == 0
    alert = harness.telegram.bot_messages(OWNER_ID)[-1]
    assert "Operation #1 is held" in alert["text"]
    owner = harness.user(OWNER_ID)
    await harness.press(owner, alert, button_data(alert, "Approve"))
    assert (await member_row(harness, member.id)).points_balance == 400
    assert "Владелец одобрил операцию №1" in harness.telegram.bot_messages(ivan.id)[-1]["text"]
    await harness.press(owner, alert, button_data(alert, "Approve"))  # a second tap
    assert (await member_row(harness, member.id)).points_balance == 400


async def test_not_me_alerts_the_owner_and_revoked_staff_lose_access(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    confirm = await purchase(harness, ivan, member, "500")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    receipt = harness.telegram.bot_messages(anna.id)[-1]
    await harness.press(anna, receipt, button_data(receipt, "не я"))
    assert "says operation #1 was not them" in harness.telegram.bot_messages(OWNER_ID)[-1]["text"]
    assert "Владелец уже знает" in harness.last(anna)["text"]

    owner = harness.user(OWNER_ID)
    await harness.text(owner, "/team")
    team = harness.last(owner)
    assert "Ivan" in team["text"]
    await harness.press(owner, team, button_data(team, "🧾"))
    assert "№1" not in harness.last(owner)["text"] and "#1" in harness.last(owner)["text"]
    await harness.press(owner, team, button_data(team, "✖"))
    assert "отозвал ваш доступ" in harness.telegram.bot_messages(ivan.id)[-1]["text"]
    token = TOKENS.issue(member.id, member.card_version, harness.clock.now())
    calls = await harness.text(ivan, f"/start {token}")  # now just someone scanning a card
    assert "Это карта участника" in texts(calls)[0]
    calls = await harness.press(ivan, confirm, button_data(confirm, "✅"))
    assert "только для сотрудников" in calls[0].params["text"]


async def test_recent_operations_and_leaving_staff_mode(harness):
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    ivan = harness.user(20, "Ivan", "ru")
    await appoint_staff(harness, ivan)
    calls = await harness.text(ivan, "🧾 Последние операции")
    assert texts(calls) == ["Операций пока нет."]
    confirm = await purchase(harness, ivan, member, "700")
    await harness.press(ivan, confirm, button_data(confirm, "✅"))
    await harness.text(ivan, "🧾 Последние операции")
    recent = harness.last(ivan)
    assert "№1" in recent["text"] and "покупка" in recent["text"] and "проведена" in recent["text"]
    await harness.press(ivan, recent, button_data(recent, "↩️"))
    assert (await member_row(harness, member.id)).points_balance == 0
    calls = await harness.text(ivan, "🚪 Выйти из режима сотрудника")
    assert texts(calls) == ["Режим сотрудника выключен."]
    calls = await harness.text(ivan, member.short_code)  # a code typed outside staff mode
    assert "Режим" not in texts(calls)[-1] and "Анна" not in texts(calls)[-1]
