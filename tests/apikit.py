"""The HTTP API under test: the real aiohttp application on a real port (aiohttp's TestServer),
over the same database and fake Telegram as the bot's harness."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.api.app import ApiContext, build_api, context_for
from bot.services import api_keys
from db.models import Location, Member
from tests.harness import OWNER_ID, Harness, button_data

_keys = itertools.count(1)


@dataclass
class Api:
    client: TestClient
    ctx: ApiContext
    harness: Harness

    async def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None,
        body: Any = None,
        idem: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, dict[str, Any], Any]:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        if idem is not None:
            sent["Idempotency-Key"] = idem
        if body is not None:
            kwargs["json"] = body
        response = await self.client.request(method, path, headers=sent, **kwargs)
        data = await response.json(content_type=None)
        return response.status, data, response

    async def write(
        self, path: str, body: Any, *, key: str, idem: str | None = None
    ) -> tuple[int, dict[str, Any], Any]:
        return await self.request(
            "POST", path, key=key, body=body, idem=idem or f"idem-{next(_keys)}"
        )

    async def get(self, path: str, *, key: str, **params: Any) -> tuple[int, dict[str, Any], Any]:
        return await self.request("GET", path, key=key, params=params or None)

    async def settle(self) -> None:
        """Wait until the receipts of the requests made so far reached Telegram."""
        await self.ctx.notifier.drain()


async def start_api(harness: Harness, **settings: Any) -> Api:
    config = harness.settings.model_copy(update=settings) if settings else harness.settings
    ctx = context_for(
        settings=config,
        pool=harness.app.pool,
        program=harness.app.program,
        translator=harness.app.translator,
        clock=harness.clock,
        bot=harness.bot,
    )
    client = TestClient(TestServer(build_api(ctx)))
    await client.start_server()
    return Api(client=client, ctx=ctx, harness=harness)


async def make_key(
    harness: Harness, name: str = "Till 1", *, location: str | None = None, by: int = OWNER_ID
) -> tuple[str, int]:
    """A key as an owner makes it in the bot: the token and the key's id."""
    async with harness.app.pool() as session, session.begin():
        location_id = None
        if location is not None:
            place = Location(name=location, created_by=by, created_at=harness.clock.now())
            session.add(place)
            await session.flush()
            location_id = place.id
        new = await api_keys.create(
            session, name=name, location_id=location_id, created_by=by, now=harness.clock.now()
        )
        return new.token, new.key.id


async def join(harness: Harness, user: Any) -> Member:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == user.id))
        assert member is not None
        return member
