"""Marketers in the chat, through the real Dispatcher and the fake Telegram: composing,
previewing, sending and scheduling a broadcast, members unsubscribing, the report, and the
statistics with their chart and exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from bot.i18n import Translator
from bot.services import quizzes
from bot.services.broadcasts import BroadcastStatus
from bot.services.quizzes import QuestionDraft, QuizDraft
from bot.services.segments import NUMBER_FILTERS
from db.models import Broadcast, BroadcastDelivery, Member
from handlers.marketer.broadcasts import _DONE
from tests.harness import OWNER_ID, button_data, buttons, make_harness, texts
from tests.marketing import NOW, add_operation, statuses, wait_until_final

DAY = timedelta(days=1)


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    sender = harness.app.broadcaster
    sender.runner.progress_every, sender.runner.idle = 0.2, 0.2
    yield harness
    await sender.stop()
    assert harness.telegram.violations == []


async def join(harness, user) -> Member:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))
    async with harness.app.pool() as session:
        return await session.scalar(select(Member).where(Member.telegram_id == user.id))


async def appoint_marketer(harness, user) -> None:
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/invite marketer")
    payload = texts(calls)[-1].split()[-1].split("start=")[1]
    calls = await harness.text(user, f"/start {payload}")
    menu = [c for c in calls if c.method == "setMyCommands"][-1]
    assert {"broadcast", "broadcasts", "stats"} <= {c["command"] for c in menu.params["commands"]}


async def compose(harness, marketer, message_update: dict | None = None) -> dict:
    """/broadcast, the message, no button: returns the audience panel."""
    calls = await harness.text(marketer, "/broadcast")
    assert "New broadcast" in texts(calls)[-1]
    await harness.feed(message_update or harness.telegram.send_text(marketer, "Hello!"))
    ask = harness.last(marketer)
    assert "Add a button" in ask["text"]
    await harness.press(marketer, ask, button_data(ask, "No button"))
    return harness.last(marketer)


async def test_a_marketer_composes_previews_and_sends_a_broadcast(harness):
    anna = harness.user(1, "Anna", "ru")
    bob = harness.user(2, "Bob", "en")
    carl = harness.user(3, "Carl", "ru")
    for person in (anna, bob, carl):
        await join(harness, person)
    async with harness.app.pool() as session, session.begin():
        await session.execute(update(Member).where(Member.telegram_id == 2).values(tier="silver"))
        await session.execute(
            update(Member).where(Member.telegram_id == 3).values(promo_opt_in=False)
        )
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)

    await harness.text(mila, "/broadcast")
    photo = Image.new("RGB", (64, 64), "orange")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    await harness.feed(harness.telegram.send_photo(mila, buffer.getvalue(), "Autumn: −20%"))
    source = harness.telegram.chat_messages(mila.id)[-2]
    assert "photo" in source
    calls = await harness.text(mila, "just words")
    assert "That's not a button" in texts(calls)[-1]
    await harness.text(mila, "Menu | https://example.com/menu")
    panel = harness.last(mila)
    assert "All members" in panel["text"]
    assert (
        "Members matching: 3 · will receive it: <b>2</b>"
        in harness.telegram.calls[-1].params["text"]
        or "will receive it: 2" in panel["text"]
    )
    assert "promotional messages off 1" in panel["text"]

    await harness.press(mila, panel, button_data(panel, "Silver"))
    panel = harness.telegram.message(mila.id, panel["message_id"])
    assert "Tier: Silver" in panel["text"] and "will receive it: 1" in panel["text"]
    await harness.press(mila, panel, button_data(panel, "All members"))
    panel = harness.telegram.message(mila.id, panel["message_id"])
    assert "will receive it: 2" in panel["text"]

    calls = await harness.press(mila, panel, button_data(panel, "Preview"))
    preview = next(c for c in calls if c.method == "copyMessage")
    shown = harness.telegram.message(mila.id, preview.result["message_id"])
    assert shown["caption"] == "Autumn: −20%" and "photo" in shown
    assert buttons(shown) == [("Menu", "https://example.com/menu"), ("🔕 Unsubscribe", "uns")]
    confirm = harness.last(mila)
    assert (
        "It will go to <b>2</b> members" in confirm["text"]
        or "It will go to 2 members" in (confirm["text"])
    )
    calls = await harness.press(mila, confirm, button_data(confirm, "Send now"))
    assert "Broadcast #1 is starting" in texts(calls)[-1]
    calls = await harness.press(mila, confirm, button_data(confirm, "Send now"))  # stale tap
    assert [c.method for c in calls] == ["answerCallbackQuery"]

    await harness.app.broadcaster.start(harness.bot)
    finished = await wait_until_final(harness.app.pool, 1)
    assert finished.total == 3
    for person in (anna, bob):
        got = harness.telegram.last_bot_message(person.id)
        assert got["caption"] == "Autumn: −20%" and "photo" in got
    assert buttons(harness.telegram.last_bot_message(bob.id))[-1] == ("🔕 Unsubscribe", "uns")
    assert buttons(harness.telegram.last_bot_message(anna.id))[-1] == ("🔕 Отписаться", "uns")
    assert not any(m.get("caption") for m in harness.telegram.bot_messages(carl.id))
    report = harness.last(mila)
    assert "Broadcast #1" in report["text"] and "finished" in report["text"]
    assert "Delivered 2" in report["text"] and "opted out 1" in report["text"]


async def test_formatting_survives_the_copy(harness):
    anna = harness.user(1, "Anna", "ru")
    await join(harness, anna)
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    await harness.text(mila, "/broadcast")
    update_ = harness.telegram.send_text(mila, "Big sale today")
    stored = harness.telegram.message(mila.id, update_["message"]["message_id"])
    stored["entities"] = [{"type": "bold", "offset": 0, "length": 8}]
    update_["message"]["entities"] = stored["entities"]
    await harness.feed(update_)
    ask = harness.last(mila)
    await harness.press(mila, ask, button_data(ask, "No button"))
    panel = harness.last(mila)
    await harness.press(mila, panel, button_data(panel, "Preview"))
    confirm = harness.last(mila)
    await harness.press(mila, confirm, button_data(confirm, "Send now"))
    await harness.app.broadcaster.start(harness.bot)
    await wait_until_final(harness.app.pool, 1)
    got = next(
        m for m in harness.telegram.bot_messages(anna.id) if m.get("text") == "Big sale today"
    )
    assert got["entities"] == [{"type": "bold", "offset": 0, "length": 8}]


async def test_members_unsubscribe_with_one_tap(harness):
    anna = harness.user(1, "Anna", "ru")
    member = await join(harness, anna)
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    panel = await compose(harness, mila)
    await harness.press(mila, panel, button_data(panel, "Preview"))
    preview = [m for m in harness.telegram.bot_messages(mila.id) if m.get("text") == "Hello!"][-1]
    calls = await harness.press(mila, preview, "uns")  # the author is not a member
    assert calls[0].params["show_alert"] is True
    confirm = harness.last(mila)
    await harness.press(mila, confirm, button_data(confirm, "Send now"))
    await harness.app.broadcaster.start(harness.bot)
    await wait_until_final(harness.app.pool, 1)

    received = harness.telegram.last_bot_message(anna.id)
    calls = await harness.press(anna, received, "uns")
    assert calls[0].params["text"] == "Вы отписались"
    assert "Рекламные сообщения больше не придут" in texts(calls)[-1]
    async with harness.app.pool() as session:
        again = await session.get(Member, member.id)
        assert again is not None and again.promo_opt_in is False
    calls = await harness.press(anna, received, "uns")
    assert "уже выключены" in calls[0].params["text"]
    calls = await harness.text(anna, "/settings")
    assert "выкл" in texts(calls)[-1].lower()

    panel = await compose(harness, mila)
    assert "will receive it: <b>0</b>" in panel["text"] or "will receive it: 0" in panel["text"]
    await harness.press(mila, panel, button_data(panel, "Preview"))
    confirm = harness.last(mila)
    assert "Nobody would receive it" in confirm["text"]
    assert [label for label, _ in buttons(confirm)] == ["👥 Change the audience", "✖️ Discard"]


async def test_typed_filters_and_discarding(harness):
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    panel = await compose(harness, mila)
    await harness.press(mila, panel, button_data(panel, "Inactive for N days"))
    assert "no purchase for how many days" in harness.last(mila)["text"]
    calls = await harness.text(mila, "many")
    assert "whole number of days" in texts(calls)[-1]
    calls = await harness.text(mila, "/stats")  # another command mid-way: its own answer
    assert "Statistics" in texts(calls)[-1]
    calls = await harness.text(mila, "60")
    panel = harness.last(mila)
    assert "No purchase for 60 days or more" in panel["text"]
    assert "😴 Inactive 60+ d ✅" in [label for label, _ in buttons(panel)]
    await harness.press(mila, panel, button_data(panel, "Inactive 60+"))
    await harness.text(mila, "0")
    assert "All members" in harness.last(mila)["text"]
    panel = harness.last(mila)
    await harness.press(mila, panel, button_data(panel, "Discard"))
    assert "Broadcast discarded" in harness.last(mila)["text"]
    calls = await harness.press(mila, panel, button_data(panel, "Preview"))
    assert "This step is over" in calls[0].params["text"]
    async with harness.app.pool() as session:
        assert await session.scalar(select(Broadcast.id)) is None


async def test_scheduling_checks_the_time_and_can_be_cancelled(harness):
    anna = harness.user(1, "Anna", "ru")
    await join(harness, anna)
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    panel = await compose(harness, mila)
    await harness.press(mila, panel, button_data(panel, "Preview"))
    confirm = harness.last(mila)
    await harness.press(mila, confirm, button_data(confirm, "Schedule"))
    assert "Europe/Moscow" in harness.last(mila)["text"]
    for typed, expected in [
        ("tomorrow", "Send the date and time like"),
        ("31.02.2027 12:00", "Send the date and time like"),
        ("23.11.2026 11:00", "in the future"),
        ("24.11.2026 22:30", "quiet hours (21:00–10:00)"),
    ]:
        calls = await harness.text(mila, typed)
        assert expected in texts(calls)[-1], typed
    calls = await harness.text(mila, "25.11 15:30")
    assert "Broadcast #1 is scheduled for 25.11.2026 15:30" in texts(calls)[-1]
    async with harness.app.pool() as session:
        broadcast = await session.get(Broadcast, 1)
        assert broadcast.status == "scheduled"
        assert broadcast.send_at == NOW + 2 * DAY + timedelta(hours=3, minutes=30)
    calls = await harness.text(mila, "/broadcasts")
    assert "#1</b> · 25.11.2026 15:30 · scheduled" in texts(calls)[-1]
    scheduled = harness.last(mila)
    calls = await harness.press(mila, scheduled, button_data(scheduled, "Cancel broadcast #1"))
    assert calls[0].params["text"] == "Broadcast #1 cancelled"
    assert "is cancelled" in harness.last(mila)["text"]
    calls = await harness.press(mila, scheduled, button_data(scheduled, "Cancel broadcast #1"))
    assert "the broadcast is cancelled" in calls[0].params["text"]
    async with harness.app.pool() as session:
        assert (await session.get(Broadcast, 1, populate_existing=True)).status == "cancelled"


async def test_customers_and_staff_cannot_broadcast_or_see_stats(harness):
    anna = harness.user(1, "Anna", "ru")
    await join(harness, anna)
    for command in ("/broadcast", "/broadcasts", "/stats"):
        calls = await harness.text(anna, command)
        assert texts(calls) == ["Извините, это только для сотрудников."], command
    forged = {
        "message_id": 1,
        "chat": {"id": anna.id, "type": "private"},
        "date": 0,
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "bx:x:1"}]]},
    }
    calls = await harness.feed(harness.telegram.press(anna, forged, "bx:x:1"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params["show_alert"] is True


async def test_the_report_counts_purchases_after_a_broadcast(harness):
    anna, bob = harness.user(1, "Anna", "ru"), harness.user(2, "Bob", "en")
    members = [await join(harness, person) for person in (anna, bob)]
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    panel = await compose(harness, mila)
    await harness.press(mila, panel, button_data(panel, "Preview"))
    confirm = harness.last(mila)
    await harness.press(mila, confirm, button_data(confirm, "Send now"))
    await harness.app.broadcaster.start(harness.bot)
    await wait_until_final(harness.app.pool, 1)
    assert {s for s, _, _ in (await statuses(harness.app.pool, 1)).values()} == {"sent"}
    async with harness.app.pool() as session, session.begin():
        await add_operation(session, members[0].id, at=NOW + 3 * DAY)
        await add_operation(session, members[1].id, at=NOW + 8 * DAY)  # too late to count
        await add_operation(session, members[1].id, at=NOW - DAY)  # before it
        await add_operation(session, members[0].id, at=NOW + 2 * DAY, status="cancelled")
    calls = await harness.text(mila, "/broadcasts")
    report = texts(calls)[-1]
    assert "Recipients: 2" in report and "Delivered 2" in report
    assert "🛒 Bought within 7 days: 1" in report
    async with harness.app.pool() as session:
        rows = await session.scalars(select(BroadcastDelivery.sent_at))
        assert all(at == NOW for at in rows)


async def test_publishing_a_quiz_schedules_its_announcement(harness):
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    draft = QuizDraft(
        title="Beans",
        points_per_correct=5,
        completion_bonus=0,
        starts_on=NOW.date(),
        ends_on=(NOW + 3 * DAY).date(),
        questions=(QuestionDraft("Arabica?", ("yes", "no"), 0),),
    )
    async with harness.app.pool() as session, session.begin():
        quiz = await quizzes.create(
            session, draft, created_by=mila.id, tz=harness.settings.tz, now=NOW
        )
    await harness.text(mila, "/quizzes")
    listing = harness.last(mila)
    await harness.press(mila, listing, button_data(listing, "Beans"))
    preview = harness.last(mila)
    await harness.press(mila, preview, button_data(preview, "Publish"))
    async with harness.app.pool() as session:
        announced = await session.scalar(select(Broadcast).where(Broadcast.quiz_id == quiz.id))
    assert announced is not None and announced.kind == "quiz" and announced.send_at == NOW


async def test_statistics_periods_chart_and_exports(harness):
    anna = harness.user(1, "Anna", "ru")
    member = await join(harness, anna)
    async with harness.app.pool() as session, session.begin():
        await add_operation(session, member.id, at=NOW - 3 * DAY, amount=450_00)
        await add_operation(session, member.id, at=NOW - 40 * DAY, amount=150_00)
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/stats")
    stats = harness.last(owner)
    assert "Statistics</b> · the last 30 days" in texts(calls)[-1]
    assert "Purchases</b>: 1 by 1 member" in texts(calls)[-1]
    assert "Average check 450\xa0₽" in stats["text"]
    labels = [label for label, _ in buttons(stats)]
    assert labels[:4] == ["7 days", "• 30 days •", "90 days", "All time"]

    calls = await harness.press(owner, stats, button_data(stats, "All time"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    stats = harness.telegram.message(owner.id, stats["message_id"])
    assert "all time" in stats["text"] and "Purchases: 2 by 1 member" in stats["text"]
    calls = await harness.press(owner, stats, button_data(stats, "• All time •"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]  # nothing new: no edit

    calls = await harness.press(owner, stats, button_data(stats, "Chart"))
    photo = next(c for c in calls if c.method == "sendPhoto")
    [upload] = photo.files.values()
    assert upload.data.startswith(b"\x89PNG") and Image.open(io.BytesIO(upload.data)).size
    assert upload.filename == "stats-2026-11-23.png"

    calls = await harness.press(owner, stats, button_data(stats, "Members (CSV)"))
    document = next(c for c in calls if c.method == "sendDocument")
    [upload] = document.files.values()
    rows = list(csv.DictReader(io.StringIO(upload.data.decode("utf-8-sig"))))
    assert [row["first_name"] for row in rows] == ["Anna"]
    assert upload.filename == "members-2026-11-23.csv"

    calls = await harness.press(owner, stats, button_data(stats, "Operations (CSV)"))
    [upload] = next(c for c in calls if c.method == "sendDocument").files.values()
    rows = list(csv.DictReader(io.StringIO(upload.data.decode("utf-8-sig"))))
    assert [row["amount"] for row in rows] == ["450.00", "150.00"]  # in the order recorded
    assert upload.filename == "operations-all-2026-11-23.csv"


def test_composed_marketing_messages_exist_in_both_languages():
    translator = Translator()
    keys = [f"broadcast-status-{status.value}" for status in BroadcastStatus]
    keys += [f"broadcast-filter-{field.replace('_', '-')}" for field in NUMBER_FILTERS]
    keys += [f"broadcast-ask-{field.replace('_', '-')}" for field in NUMBER_FILTERS]
    keys += [f"broadcast-language-{locale}" for locale in translator.locales]
    keys += list(_DONE.values())
    for locale in translator.locales:
        missing = [key for key in keys if not translator.has(locale, key)]
        assert missing == [], locale


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, "1</b> участник."), (2, "2</b> участника."), (5, "5</b> участников."),
     (11, "11</b> участников."), (21, "21</b> участник."), (24, "24</b> участника.")],
)  # fmt: skip
def test_russian_plurals_in_marketing(number, expected):
    text = Translator().get("ru", "broadcast-recipients", recipients=number)
    assert text.endswith(expected), text
    days = Translator().get("ru", "broadcast-segment-inactive", days=number)
    assert (
        days.split()[3]
        == {1: "день", 2: "дня", 5: "дней", 11: "дней", 21: "день", 24: "дня"}[number]
    )


async def test_send_now_in_quiet_hours_waits_for_their_end(harness):
    anna = harness.user(1, "Anna", "ru")
    await join(harness, anna)
    mila = harness.user(30, "Mila", "en")
    await appoint_marketer(harness, mila)
    harness.clock.advance(timedelta(hours=10))  # 22:00 in Moscow
    panel = await compose(harness, mila)
    await harness.press(mila, panel, button_data(panel, "Preview"))
    confirm = harness.last(mila)
    assert "quiet hours now: sending will start at 24.11.2026 10:00" in confirm["text"]
    calls = await harness.press(mila, confirm, button_data(confirm, "Send now"))
    assert "Broadcast #1 will start at 24.11.2026 10:00" in texts(calls)[-1]
    async with harness.app.pool() as session:
        broadcast = await session.get(Broadcast, 1)
    assert broadcast.status == "scheduled"
    assert broadcast.send_at == NOW + timedelta(days=1, hours=-2)  # 07:00 UTC
