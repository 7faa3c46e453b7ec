"""Data rights through the real Dispatcher: /mydata sends everything kept about a member as
JSON; /delete (after a confirmation) erases the person and keeps the accounts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.services import ledger, lookup, members, operations, privacy
from bot.services.card_tokens import CardTokens
from bot.services.ledger import EntryKind
from db.models import BirthdayGift, LedgerEntry, Member, Operation, ReferralLink
from tests.harness import OWNER_ID, SECRET, button_data, buttons, make_harness, texts

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PHONE = "+7 900 123-45-67"


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
        return await members.get_by_telegram_id(session, user.id)


async def with_history(harness, user) -> Member:
    """A member with a phone, a birthday, two purchases, one paid partly with points."""
    member = await join(harness, user)
    await harness.feed(harness.telegram.send_contact(user, PHONE))
    async with harness.app.pool() as session, session.begin():
        saved = await session.get(Member, member.id)
        saved.birthday, saved.birthday_set_at = date(1990, 4, 25), NOW
        await ledger.post(
            session,
            member_id=member.id,
            delta=50,
            kind=EntryKind.BONUS,
            idempotency_key="gift",
            now=NOW,
            reason="welcome",
        )
        for number, points in enumerate((0, 30)):
            await operations.record_purchase(
                session,
                harness.app.program,
                member_id=member.id,
                staff_id=OWNER_ID,
                amount=150_000,
                points=points,
                idempotency_key=f"purchase-{number}",
                now=NOW + timedelta(minutes=number),
                tz=UTC,
            )
        session.add(
            BirthdayGift(
                member_id=member.id,
                year=2026,
                celebrated_on=date(2026, 4, 25),
                points=0,
                created_at=NOW,
            )
        )
        session.add(ReferralLink(member_id=member.id, code="FRIENDS123", created_at=NOW))
    async with harness.app.pool() as session:
        return await session.get(Member, member.id)


async def ledger_totals(harness) -> tuple[int, int, int, int]:
    """Entries, their sum, the balances' sum, and operations: all of the program."""
    async with harness.app.pool() as session:
        return (
            await session.scalar(select(func.count()).select_from(LedgerEntry)),
            await session.scalar(select(func.coalesce(func.sum(LedgerEntry.delta), 0))),
            await session.scalar(select(func.coalesce(func.sum(Member.points_balance), 0))),
            await session.scalar(select(func.count()).select_from(Operation)),
        )


async def test_mydata_sends_the_profile_consent_phone_ledger_and_operations(harness):
    anna = harness.user(1, "Анна", "ru", username="anna_k")
    member = await with_history(harness, anna)
    calls = await harness.text(anna, "/mydata")
    [sent] = [call for call in calls if call.method == "sendDocument"]
    assert sent.ok
    assert "время согласия, 4 записи об изменении баллов и 2 операции" in sent.params["caption"]
    document = harness.last(anna)["document"]
    assert document["file_name"] == "my-data.json"
    data = json.loads(harness.telegram.file_bytes(document["file_id"]))

    profile = data["profile"]
    assert profile["first_name"] == "Анна" and profile["username"] == "anna_k"
    assert profile["phone"] == "+79001234567" and profile["birthday"] == "1990-04-25"
    assert profile["telegram_id"] == 1 and profile["points_balance"] == member.points_balance
    assert data["consent"]["given_at"] == NOW.isoformat()
    async with harness.app.pool() as session:
        entries = (
            await session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member.id))
        ).all()
    assert [(e["id"], e["points"], e["kind"]) for e in data["ledger"]] == [
        (entry.id, entry.delta, entry.kind) for entry in entries
    ]
    assert sum(e["points"] for e in data["ledger"]) == member.points_balance
    assert [op["amount_minor_units"] for op in data["operations"]] == [150_000, 150_000]
    assert [op["points_redeemed"] for op in data["operations"]] == [0, 30]


async def test_mydata_and_delete_for_someone_who_never_joined(harness):
    boris = harness.user(2, "Boris", "en")
    for command in ("/mydata", "/delete"):
        calls = await harness.text(boris, command)
        assert texts(calls) == ["We store no data about you: you have not joined the program."]


async def test_delete_erases_the_person_and_keeps_the_accounts(harness):
    anna = harness.user(1, "Анна", "ru", username="anna_k")
    member = await with_history(harness, anna)
    old_code, old_balance = member.short_code, member.points_balance
    qr = CardTokens(SECRET.encode(), 600).issue(member.id, member.card_version, NOW)
    before = await ledger_totals(harness)

    calls = await harness.text(anna, "/delete")
    prompt = harness.last(anna)
    assert f"{old_balance} баллов на счёте сгорят" in texts(calls)[-1]
    assert [label for label, _ in buttons(prompt)] == ["🗑 Да, удалить мои данные", "Отмена"]
    calls = await harness.press(anna, prompt, button_data(prompt, "Да, удалить"))
    assert "Ваши данные удалены" in harness.telegram.message(anna.id, prompt["message_id"])["text"]
    goodbye = [call for call in calls if call.method == "sendMessage"][-1]
    assert goodbye.params["reply_markup"] == {"remove_keyboard": True}

    async with harness.app.pool() as session:
        erased = await session.get(Member, member.id)
        assert (erased.first_name, erased.last_name, erased.username) == ("", "", None)
        assert erased.phone is None and erased.birthday is None
        assert erased.telegram_id == -member.id and privacy.is_erased(erased)
        assert erased.unreachable_at is not None and erased.promo_opt_in is False
        assert erased.points_balance == old_balance
        assert await members.get_by_telegram_id(session, anna.id) is None
        assert (await ledger.audit(session, member.id)).consistent
        [gift] = (await session.scalars(select(BirthdayGift))).all()
        assert gift.celebrated_on == date(2026, 1, 1)
        [link] = (await session.scalars(select(ReferralLink))).all()
        assert link.revoked_at is not None
    async with harness.app.pool() as session, session.begin():
        by_code = await lookup.by_code(session, old_code, staff_id=OWNER_ID, now=NOW)
        by_qr = await lookup.by_token(
            session, harness.app.dispatcher["card_tokens"], qr, staff_id=OWNER_ID, now=NOW
        )
    assert by_code.member is None and by_qr.member is None
    assert await ledger_totals(harness) == before

    # The same Telegram account is a stranger now: /start greets a new person.
    calls = await harness.text(anna, "/start")
    assert "Здравствуйте, Анна" in texts(calls)[-1]
    newcomer = await join(harness, anna)
    assert newcomer.id != member.id and newcomer.points_balance == 0
    async with harness.app.pool() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 2

    # The old confirmation, tapped again, never touches the new membership.
    calls = await harness.press(anna, prompt, button_data(prompt, "Да, удалить"))
    [answer] = [call for call in calls if call.method == "answerCallbackQuery"]
    assert answer.params["text"] == "Эти данные уже удалены."
    async with harness.app.pool() as session:
        assert not privacy.is_erased(await session.get(Member, newcomer.id))


async def test_cancel_keeps_everything(harness):
    john = harness.user(3, "John", "en")
    member = await join(harness, john)
    calls = await harness.text(john, "/delete")
    assert "Your balance is empty." in texts(calls)[-1]
    prompt = harness.last(john)
    await harness.press(john, prompt, button_data(prompt, "Cancel"))
    assert harness.telegram.message(john.id, prompt["message_id"])["text"] == (
        "Nothing was deleted."
    )
    async with harness.app.pool() as session:
        kept = await session.get(Member, member.id)
    assert kept.telegram_id == john.id and kept.first_name == "John"


def test_erased_codes_are_unique_and_cannot_be_typed():
    codes = {privacy.erased_short_code(member_id) for member_id in range(1, 5000)}
    assert len(codes) == 4999
    assert all(len(code) == 8 and code.startswith("0") for code in codes)
    from bot.services.card_tokens import normalize_short_code

    assert all(normalize_short_code(code) is None for code in list(codes)[:50])
