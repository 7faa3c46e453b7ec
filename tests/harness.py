"""Drive the real Dispatcher with real updates, against the in-process fake Telegram.

Every call the bot makes passes through `FakeTelegram`, which checks it against the Bot API
schema the way Telegram would; a harness refuses to close while any call was invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import AdjustableClock
from bot.config import Settings
from bot.factory import App, build_app, build_bot
from bot.services.program import Program
from tests.fakes.session import RecordingSession
from tests.fakes.telegram import FakeTelegram

OWNER_ID = 9001
SECRET = "test-secret-key-that-is-long-enough"


@dataclass
class Harness:
    app: App
    bot: Bot
    telegram: FakeTelegram
    clock: AdjustableClock
    settings: Settings
    seen: int = 0
    users: dict[int, Any] = field(default_factory=dict)

    def user(
        self,
        user_id: int,
        first_name: str = "Anna",
        language_code: str | None = "ru",
        **extra: Any,
    ) -> Any:
        if user_id not in self.users:
            self.users[user_id] = self.telegram.user(
                user_id, first_name=first_name, language_code=language_code, **extra
            )
        return self.users[user_id]

    async def feed(self, update: dict[str, Any]) -> list[Any]:
        """Process one update as polling would; return the Bot API calls it caused."""
        start = len(self.telegram.calls)
        await self.app.dispatcher.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        return self.telegram.calls[start:]

    async def text(self, user: Any, text: str) -> list[Any]:
        return await self.feed(self.telegram.send_text(user, text))

    async def press(self, user: Any, message: dict[str, Any], data: str) -> list[Any]:
        return await self.feed(self.telegram.press(user, message, data))

    def last(self, user: Any, method: str | None = None) -> dict[str, Any]:
        """The last message the bot has in this person's chat (as Telegram stores it)."""
        messages = self.telegram.chat_messages(user.id)
        bot_messages = [m for m in messages if m.get("from", {}).get("is_bot")]
        assert bot_messages, "the bot sent nothing to this chat"
        return bot_messages[-1]


def texts(calls: list[Any]) -> list[str]:
    return [call.params.get("text") or call.params.get("caption") or "" for call in calls]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (button["text"], button.get("callback_data") or button.get("url") or "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def button_data(message: dict[str, Any], label_part: str) -> str:
    for label, data in buttons(message):
        if label_part in label:
            return data
    raise AssertionError(f"no button with {label_part!r} in {buttons(message)}")


async def make_harness(
    engine: AsyncEngine,
    *,
    tmp_path: Any,
    start: datetime,
    program: Program | None = None,
    owner_ids: frozenset[int] = frozenset({OWNER_ID}),
    storage: BaseStorage | None = None,
    **settings: Any,
) -> Harness:
    telegram = FakeTelegram()
    # Tests send updates at machine speed: flood control is tested on its own.
    settings.setdefault("flood_limit", 0)
    config = Settings(
        bot_token="4242:TEST",
        data_dir=tmp_path,
        secret_key=SECRET,
        owner_ids=owner_ids,
        _env_file=None,
        **settings,
    )
    clock = AdjustableClock(start, frozen=True)
    app = build_app(config, clock=clock, engine=engine, program=program, storage=storage)
    bot = build_bot(config, session=RecordingSession(telegram=telegram))
    await app.dispatcher.emit_startup(
        bot=bot, dispatcher=app.dispatcher, **app.dispatcher.workflow_data
    )
    return Harness(app=app, bot=bot, telegram=telegram, clock=clock, settings=config)
