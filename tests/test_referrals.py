"""Bring a friend: links, linking at consent, the rewards paid exactly once, every abuse path,
and the screens through the real Dispatcher in both languages."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot.services import ledger, members, operations, referrals, wallet
from bot.services.card_tokens import CardTokens, looks_like_card_token
from bot.services.program import Program, Referral
from bot.services.referrals import Refusal
from bot.services.team import looks_like_invite
from db.models import LedgerEntry, Member
from tests.harness import SECRET, button_data, buttons, make_harness, texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PROGRAM = Program(referral=Referral(welcome_bonus=50, reward=100, monthly_cap=3))
TOKENS = CardTokens(SECRET.encode(), 600)


def applicant(telegram_id: int, name: str = "Friend") -> members.Applicant:
    return members.Applicant(telegram_id, name, "", None, "ru")


async def new_member(
    pool, telegram_id: int, name: str = "Anna", *, code: str = "", program=PROGRAM
):
    async with pool() as session, session.begin():
        return await wallet.welcome(
            session, applicant(telegram_id, name), program=program, now=NOW, referral_code=code
        )


async def code_of(pool, member_id: int) -> str:
    async with pool() as session, session.begin():
        return await referrals.personal_code(session, member_id, now=NOW)


async def buy(pool, member_id: int, key: str, *, amount: int = 50_000, program=PROGRAM):
    async with pool() as session, session.begin():
        return await operations.record_purchase(
            session,
            program,
            member_id=member_id,
            staff_id=777,
            amount=amount,
            idempotency_key=key,
            now=NOW,
            tz=UTC,
        )


async def balance(pool, member_id: int) -> int:
    async with pool() as session:
        return await ledger.balance(session, member_id)


async def reward_entries(pool, friend_id: int) -> int:
    async with pool() as session:
        return await session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.idempotency_key == referrals.reward_key(friend_id))
        )


# ---- the service -------------------------------------------------------------------------------


def test_codes_never_pass_for_card_tokens_or_team_invites():
    for _ in range(200):
        code = referrals.new_code()
        assert referrals.looks_like_code(code)
        assert len(code) == 13 and code.startswith("r")
        assert not looks_like_card_token(code) and not looks_like_invite(code)
    assert not referrals.looks_like_code(TOKENS.issue(1, 1, NOW))
    assert not referrals.looks_like_code("i" + "a" * 24)
    assert not referrals.looks_like_code("r short")
    assert not referrals.looks_like_code(None)


def test_share_url_is_telegrams_share_dialog():
    url = referrals.share_url("https://t.me/bot?start=rABC", "Join & get 50 points")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", "/share/url")
    query = parse_qs(parts.query)
    assert query == {"url": ["https://t.me/bot?start=rABC"], "text": ["Join & get 50 points"]}


async def test_a_member_keeps_one_code_until_they_ask_for_a_new_one(pool):
    anna = (await new_member(pool, 1)).member
    first = await code_of(pool, anna.id)
    assert await code_of(pool, anna.id) == first
    async with pool() as session, session.begin():
        second = await referrals.renew_code(session, anna.id, now=NOW)
    assert second != first and await code_of(pool, anna.id) == second
    async with pool() as session:
        old = await referrals.check(
            session, first, telegram_id=2, is_member=False, program=PROGRAM, now=NOW
        )
        new = await referrals.check(
            session, second, telegram_id=2, is_member=False, program=PROGRAM, now=NOW
        )
    assert old.refusal is Refusal.REVOKED and new.refusal is None and new.referrer.id == anna.id


async def test_joining_through_a_link_links_pays_the_friend_and_waits_for_a_purchase(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    code = await code_of(pool, anna.id)
    joined = await new_member(pool, 2, "Boris", code=code)
    assert joined.created and joined.referral.referrer.id == anna.id
    assert joined.referral.friend_bonus == 50 and joined.referral.referrer_reward == 0
    assert joined.member.referrer_id == anna.id
    assert await balance(pool, joined.member.id) == 50
    assert await balance(pool, anna.id) == 0
    async with pool() as session:
        entry = await session.scalar(
            select(LedgerEntry).where(LedgerEntry.member_id == joined.member.id)
        )
    assert entry.kind == "bonus" and entry.reason == "👥 Anna"


async def test_the_referrer_is_paid_once_at_the_first_purchase(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    boris = (await new_member(pool, 2, "Boris", code=await code_of(pool, anna.id))).member
    await buy(pool, boris.id, "p1")
    assert await balance(pool, anna.id) == 100
    await buy(pool, boris.id, "p1")  # the same purchase delivered again
    await buy(pool, boris.id, "p2")  # and a second purchase
    assert await balance(pool, anna.id) == 100
    assert await reward_entries(pool, boris.id) == 1
    async with pool() as session:
        entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.member_id == anna.id))
        assert entry.reason == "👥 Boris" and entry.kind == "bonus"
        assert (await ledger.audit(session, anna.id)).consistent
        stats = await referrals.stats(session, anna.id)
    assert stats == referrals.Stats(joined=1, bought=1, points=100)


async def test_concurrent_first_purchases_pay_the_referrer_once(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    boris = (await new_member(pool, 2, "Boris", code=await code_of(pool, anna.id))).member
    await asyncio.gather(
        buy(pool, boris.id, "a"), buy(pool, boris.id, "b"), buy(pool, boris.id, "a")
    )
    assert await balance(pool, anna.id) == 100
    assert await reward_entries(pool, boris.id) == 1


async def test_two_consents_at_once_link_and_pay_once(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    code = await code_of(pool, anna.id)
    results = await asyncio.gather(*(new_member(pool, 2, "Boris", code=code) for _ in range(3)))
    assert sum(result.created for result in results) == 1
    async with pool() as session:
        boris = await members.get_by_telegram_id(session, 2)
        assert await session.scalar(select(func.count()).select_from(Member)) == 2
    assert boris.referrer_id == anna.id
    assert await balance(pool, boris.id) == 50


async def test_pay_on_join_pays_the_referrer_at_once(pool):
    program = Program(referral=Referral(welcome_bonus=0, reward=70, pay_on="join"))
    anna = (await new_member(pool, 1, "Anna", program=program)).member
    code = await code_of(pool, anna.id)
    joined = await new_member(pool, 2, "Boris", code=code, program=program)
    assert joined.referral.referrer_reward == 70 and joined.referral.friend_bonus == 0
    assert await balance(pool, anna.id) == 70 and await balance(pool, joined.member.id) == 0
    await buy(pool, joined.member.id, "p1", program=program)
    assert await balance(pool, anna.id) == 70


async def test_a_purchase_below_the_minimum_does_not_pay(pool):
    program = Program(referral=Referral(reward=100, min_purchase=100_000))
    anna = (await new_member(pool, 1, "Anna", program=program)).member
    boris = (await new_member(pool, 2, code=await code_of(pool, anna.id), program=program)).member
    await buy(pool, boris.id, "small", amount=99_999, program=program)
    assert await balance(pool, anna.id) == 0
    await buy(pool, boris.id, "big", amount=100_000, program=program)
    assert await balance(pool, anna.id) == 100


async def test_a_later_change_of_the_reward_does_not_break_purchases(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    boris = (await new_member(pool, 2, code=await code_of(pool, anna.id))).member
    await buy(pool, boris.id, "p1")
    richer = Program(referral=Referral(reward=500))
    outcome = await buy(pool, boris.id, "p2", program=richer)
    assert outcome.operation.status == "done"
    assert await balance(pool, anna.id) == 100


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("unknown", Refusal.UNKNOWN),
        ("revoked", Refusal.REVOKED),
        ("self", Refusal.SELF),
        ("member", Refusal.ALREADY_MEMBER),
        ("cap", Refusal.CAP),
    ],
)
async def test_abuse_is_refused_and_pays_nothing(pool, case, refusal):
    anna = (await new_member(pool, 1, "Anna")).member
    code = await code_of(pool, anna.id)
    telegram_id, is_member = 50, False
    if case == "unknown":
        code = "r" + "x" * 12
    elif case == "revoked":
        async with pool() as session, session.begin():
            await referrals.renew_code(session, anna.id, now=NOW)
    elif case == "self":
        telegram_id, is_member = 1, True
    elif case == "member":
        await new_member(pool, telegram_id)
        is_member = True
    elif case == "cap":
        for friend in range(3):
            await new_member(pool, 10 + friend, code=code)
    async with pool() as session:
        verdict = await referrals.check(
            session, code, telegram_id=telegram_id, is_member=is_member, program=PROGRAM, now=NOW
        )
    assert verdict.refusal is refusal
    if is_member:
        return
    joined = await new_member(pool, telegram_id, "Mallory", code=code)
    assert joined.created and joined.referral.refusal is refusal
    assert joined.referral.referrer is None and joined.member.referrer_id is None
    assert await balance(pool, joined.member.id) == 0
    await buy(pool, joined.member.id, "p")
    async with pool() as session:
        keys = set(await session.scalars(select(LedgerEntry.idempotency_key)))
    assert referrals.reward_key(joined.member.id) not in keys


async def test_the_monthly_cap_counts_the_last_30_days(pool):
    anna = (await new_member(pool, 1, "Anna")).member
    code = await code_of(pool, anna.id)
    for friend in range(3):
        await new_member(pool, 10 + friend, code=code)
    async with pool() as session:
        later = await referrals.check(
            session,
            code,
            telegram_id=99,
            is_member=False,
            program=PROGRAM,
            now=NOW + timedelta(days=30, seconds=1),
        )
    assert later.refusal is None


# ---- through the Dispatcher --------------------------------------------------------------------


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW, program=PROGRAM)
    yield harness
    assert harness.telegram.violations == []


async def join(harness, user) -> None:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))


async def invite_screen(harness, user) -> tuple[dict, str]:
    label = "👥 Пригласить друзей" if user.language_code == "ru" else "👥 Invite friends"
    await harness.text(user, label)
    screen = harness.telegram.chat_messages(user.id)[-2]
    link = next(word for word in screen["text"].split() if word.startswith("https://t.me/"))
    return screen, link


async def open_link(harness, user, link: str) -> list:
    """The person follows a t.me deep link: Telegram sends the bot `/start <payload>`."""
    assert link.startswith("https://t.me/loyalty_test_bot?start=")
    return await harness.text(user, f"/start {link.split('start=')[1]}")


async def member_of(harness, telegram_id: int) -> Member:
    async with harness.app.pool() as session:
        return await session.scalar(select(Member).where(Member.telegram_id == telegram_id))


async def test_invite_screen_has_the_link_a_share_button_and_a_message_to_forward(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "👥 Пригласить друзей")
    sent = [call for call in calls if call.method != "getMe"]  # the bot's username, once
    assert [call.method for call in sent] == ["sendMessage", "sendMessage"]
    screen, forward = texts(sent)
    assert "Пригласить друзей" in screen
    assert "Друг, который вступит по вашей ссылке, получит 50 баллов" in screen
    assert "Вы получите 100 баллов, когда друг сделает первую покупку" in screen
    assert "Засчитывается до 3 друзей за 30 дней" in screen
    assert "Вступили: 0 · сделали покупку: 0 · получено баллов: 0" in screen
    link = next(word for word in screen.split() if word.startswith("https://t.me/"))
    assert link.startswith("https://t.me/loyalty_test_bot?start=r")
    assert referrals.looks_like_code(link.split("start=")[1])
    assert link in forward and "получи 50 баллов в подарок" in forward
    share = dict(buttons(harness.telegram.chat_messages(anna.id)[-2]))["📤 Поделиться ссылкой"]
    shared = parse_qs(urlsplit(share).query)
    assert shared["url"] == [link] and "50 баллов" in shared["text"][0]


async def test_a_friend_joins_through_the_link_and_the_referrer_hears_of_it(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    _, link = await invite_screen(harness, anna)
    boris = harness.user(2, "Boris", "en")
    calls = await open_link(harness, boris, link)
    assert "Анна invited you: join and get 50 points as a gift." in texts(calls)[0]
    greeting = harness.last(boris)
    assert "Hi, Boris!" in greeting["text"]
    assert await member_of(harness, 2) is None  # nothing stored before consent
    consent = button_data(greeting, "✅")
    assert consent == f"join:{link.split('start=')[1]}"
    await harness.press(boris, greeting, consent)
    welcome = harness.telegram.chat_messages(boris.id)[-2]["text"]
    assert "For joining through Анна's invitation: 50 points." in welcome
    told = harness.telegram.bot_messages(anna.id)[-1]["text"]
    assert told == (
        "🎉 Boris вступает по вашей ссылке! Вы получите 100 баллов после первой покупки друга."
    )
    boris_row = await member_of(harness, 2)
    anna_row = await member_of(harness, 1)
    assert boris_row.referrer_id == anna_row.id and boris_row.points_balance == 50

    async with harness.app.pool() as session, session.begin():
        await operations.record_purchase(
            session,
            PROGRAM,
            member_id=boris_row.id,
            staff_id=777,
            amount=10_000,
            idempotency_key="first",
            now=NOW,
            tz=UTC,
        )
    _, _ = await invite_screen(harness, anna)
    screen = harness.telegram.chat_messages(anna.id)[-2]["text"]
    assert "Вступили: 1 · сделали покупку: 1 · получено баллов: 100" in screen
    await harness.text(anna, "💰 Баланс и история")
    assert "🤝 Друг приглашён" in harness.last(anna)["text"]


async def test_double_consent_through_a_link_pays_once(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    _, link = await invite_screen(harness, anna)
    boris = harness.user(2, "Борис", "ru")
    await open_link(harness, boris, link)
    greeting = harness.last(boris)
    data = button_data(greeting, "✅")
    update = harness.telegram.press(boris, greeting, data)
    await asyncio.gather(
        harness.feed(update),
        harness.feed(harness.telegram.redeliver(update)),
        harness.press(boris, greeting, data),
    )
    boris_row = await member_of(harness, 2)
    assert boris_row.points_balance == 50
    notes = [m for m in harness.telegram.bot_messages(anna.id) if "вступает" in m["text"]]
    assert len(notes) == 1


async def test_refusals_are_explained_in_both_languages(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    _, link = await invite_screen(harness, anna)

    calls = await open_link(harness, anna, link)
    assert "Это ваша собственная ссылка-приглашение" in texts(calls)[0]

    boris = harness.user(2, "Boris", "en")
    await join(harness, boris)
    calls = await open_link(harness, boris, link)
    assert "You are already a member, so this invitation does not count" in texts(calls)[0]
    assert (await member_of(harness, 2)).referrer_id is None

    petr = harness.user(3, "Petr", "en")
    calls = await open_link(harness, petr, "https://t.me/loyalty_test_bot?start=r000000000000")
    assert "This invitation link does not work" in texts(calls)[0]
    assert button_data(harness.last(petr), "✅") == "join:"


async def test_a_new_link_retires_the_old_one(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    screen, old_link = await invite_screen(harness, anna)
    calls = await harness.press(anna, screen, button_data(screen, "🔄"))
    assert "Вот ваша новая ссылка" in calls[0].params["text"]
    new_link = next(
        word for word in harness.last(anna)["text"].split() if word.startswith("https://t.me/")
    )
    assert new_link != old_link
    stale = harness.user(4, "Vera", "ru")
    calls = await open_link(harness, stale, old_link)
    assert "заменили новой" in texts(calls)[0]
    await harness.press(stale, harness.last(stale), button_data(harness.last(stale), "✅"))
    assert (await member_of(harness, 4)).points_balance == 0

    # Someone holding the old consent button (opened before the link was renewed) gets no gift.
    late = harness.user(5, "Gleb", "ru")
    await open_link(harness, late, new_link)
    greeting = copy.deepcopy(harness.last(late))
    screen, _ = await invite_screen(harness, anna)
    await harness.press(anna, screen, button_data(screen, "🔄"))
    calls = await harness.press(late, greeting, button_data(greeting, "✅"))
    assert any("заменили новой" in text for text in texts(calls))
    assert (await member_of(harness, 5)).referrer_id is None


async def test_the_referrer_hears_when_the_friends_first_purchase_pays_them(harness):
    from tests.test_staff_flows import appoint_staff, purchase

    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    _, link = await invite_screen(harness, anna)
    boris = harness.user(2, "Boris", "en")
    await open_link(harness, boris, link)
    await harness.press(boris, harness.last(boris), button_data(harness.last(boris), "✅"))
    ivan = harness.user(20, "Ivan", "en")
    await appoint_staff(harness, ivan)
    told_before = len(harness.telegram.bot_messages(anna.id))

    for amount in ("250", "300"):  # the first purchase pays; the second pays nothing more
        confirm = await purchase(harness, ivan, await member_of(harness, 2), amount)
        await harness.press(ivan, confirm, button_data(confirm, "✅"))

    told = [m["text"] for m in harness.telegram.bot_messages(anna.id)[told_before:]]
    assert told == ["🎉 Boris по вашему приглашению сделал(а) первую покупку: вам 100 баллов."]
    assert (await member_of(harness, 1)).points_balance == 100
