"""/apikeys in the bot: an owner makes a key (shown once), picks its location, lists and revokes
keys; nobody else can. Through the real Dispatcher and the fake Telegram."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.services import api_keys
from db.models import ApiKey, Location
from tests.apikit import join, start_api
from tests.harness import OWNER_ID, button_data, buttons, make_harness, texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY_RE = re.compile(r"lw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    assert harness.telegram.violations == []


async def new_key(harness, owner, name: str) -> str:
    await harness.text(owner, "/apikeys")
    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "New key"))
    assert "Send a name for the new key (up to 64 characters)" in harness.last(owner)["text"]
    await harness.text(owner, name)
    return harness.last(owner)["text"]


async def test_an_owner_makes_a_key_that_is_shown_once_and_works(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/apikeys")
    assert "none yet" in texts(calls)[-1]
    shown = await new_key(harness, owner, "  Till   1 ")
    [token] = KEY_RE.findall(shown)
    assert "Till 1" in shown and "whole shop" in shown and "only this once" in shown
    async with harness.app.pool() as session, session.begin():
        [key] = (await session.scalars(select(ApiKey))).all()
        assert key.name == "Till 1" and key.created_by == OWNER_ID and key.location_id is None
        assert token not in (key.secret_hash, key.prefix) and len(key.secret_hash) == 64
        assert token.split("_")[1] == key.prefix
        assert (await api_keys.authenticate(session, token, now=NOW)).id == key.id

    api = await start_api(harness)
    try:
        member = await join(harness, harness.user(1, "Анна", "ru"))
        assert (await api.get(f"/v1/members/{member.id}", key=token))[0] == 200
        calls = await harness.text(owner, "/apikeys")
        listing = texts(calls)[-1]
        assert "1 key" in listing and "<b>Till 1</b> · whole shop · made 23.11.2026" in listing
        assert "last used 23.11.2026 12:00" in listing  # Moscow time
        assert token not in listing
        everything = [m.get("text", "") for m in harness.telegram.chat_messages(OWNER_ID)]
        assert sum(token in text for text in everything) == 1

        # Revoking asks first; "Keep it" changes nothing.
        listing = harness.last(owner)
        await harness.press(owner, listing, button_data(listing, "Revoke Till 1"))
        ask = harness.last(owner)
        assert "Revoke the key Till 1?" in ask["text"]
        await harness.press(owner, ask, button_data(ask, "Keep it"))
        assert "Nothing changed" in harness.last(owner)["text"]
        assert (await api.get(f"/v1/members/{member.id}", key=token))[0] == 200

        await harness.press(owner, listing, button_data(listing, "Revoke Till 1"))
        ask = harness.last(owner)
        await harness.press(owner, ask, button_data(ask, "✖ Revoke"))
        assert "revoked" in harness.last(owner)["text"]
        status, body, _ = await api.get(f"/v1/members/{member.id}", key=token)
        assert (status, body["code"]) == (401, "unauthorized")
        async with harness.app.pool() as session:
            key = await session.scalar(select(ApiKey))
            assert key.revoked_by == OWNER_ID and key.revoked_at == NOW
        # The old confirmation again: already revoked, said so.
        calls = await harness.press(owner, ask, button_data(ask, "✖ Revoke"))
        assert "already been revoked" in calls[-1].params["text"]
        calls = await harness.text(owner, "/apikeys")
        assert "none yet" in texts(calls)[-1]
    finally:
        await api.client.close()


async def test_a_key_belongs_to_the_location_chosen(harness):
    owner = harness.user(OWNER_ID, "Ольга", "ru")
    async with harness.app.pool() as session, session.begin():
        session.add_all(
            [
                Location(name="Тверская", created_by=OWNER_ID, created_at=NOW),
                Location(name="Old", created_by=OWNER_ID, created_at=NOW, archived_at=NOW),
            ]
        )
    await harness.text(owner, "/apikeys")
    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "Новый ключ"))
    assert "до 64 символов" in harness.last(owner)["text"]
    await harness.text(owner, "Касса 2")
    ask = harness.last(owner)
    assert [label for label, _ in buttons(ask)] == ["Тверская", "🏬 Все точки"]
    await harness.press(owner, ask, button_data(ask, "Тверская"))
    shown = harness.last(owner)["text"]
    assert "Касса 2" in shown and "Тверская" in shown and KEY_RE.search(shown)
    async with harness.app.pool() as session:
        key = await session.scalar(select(ApiKey))
        place = await session.scalar(select(Location).where(Location.name == "Тверская"))
        assert key.location_id == place.id
    # The location button again: the key was made already.
    calls = await harness.press(owner, ask, button_data(ask, "Тверская"))
    assert calls[-1].method == "answerCallbackQuery"
    async with harness.app.pool() as session:
        assert len((await session.scalars(select(ApiKey))).all()) == 1
    calls = await harness.text(owner, "/apikeys")
    assert "1 ключ" in texts(calls)[-1] and "Тверская" in texts(calls)[-1]


async def test_names_are_checked_and_cancel_stops(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    shown = await new_key(harness, owner, "x" * 65)
    assert "1 to 64 characters" in shown
    calls = await harness.text(owner, "/cancel")
    assert "no key was made" in texts(calls)[-1]
    calls = await harness.text(owner, "Till 1")
    assert not any(KEY_RE.search(text) for text in texts(calls))
    async with harness.app.pool() as session:
        assert (await session.scalars(select(ApiKey))).all() == []


async def test_nobody_but_an_owner_manages_keys(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "/apikeys")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    async with harness.app.pool() as session, session.begin():
        new = await api_keys.create(
            session, name="Till 1", location_id=None, created_by=OWNER_ID, now=NOW
        )
        key_id = new.key.id
    forged = {
        "message_id": 1,
        "chat": {"id": anna.id, "type": "private"},
        "date": 0,
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": f"ak:c:{key_id}"}]]},
    }
    calls = await harness.feed(harness.telegram.press(anna, forged, f"ak:c:{key_id}"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    async with harness.app.pool() as session:
        assert (await session.get(ApiKey, key_id)).revoked_at is None
