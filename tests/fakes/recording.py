"""`RecordingSession`: an aiogram session that talks to a `FakeTelegram` in process.

It serialises each method exactly as aiogram's HTTP session does (the same `prepare_value`, the
same form fields and `attach://` uploads), reads the form back the way Telegram reads it, and
turns the fake's answers into aiogram's own results and exceptions through `check_response`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from tests.fakes.botapi import FakeTelegram, TelegramError, Upload, decode_params


class RecordingSession(BaseSession):
    def __init__(self, telegram: FakeTelegram | None = None) -> None:
        super().__init__()
        self.telegram = telegram or FakeTelegram()

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        form: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue
            form[key] = prepared
        uploads = {}
        for key, value in files.items():
            data = b"".join([chunk async for chunk in value.read(bot)])
            uploads[key] = Upload(data, value.filename or key)
        name = method.__api_method__
        try:
            params = decode_params(name, form, uploads)
            result = await self.telegram.handle(name, params)
            status, body = 200, {"ok": True, "result": result}
        except TelegramError as exc:
            status, body = exc.code, exc.response()
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(body)
        )
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        path = url.split("/file/bot", 1)[-1].split("/", 1)[-1]
        yield self.telegram.download(path)

    async def close(self) -> None:
        return None
