"""An aiogram session that talks to a `FakeTelegram` in-process instead of over HTTP.

    telegram = FakeTelegram()
    bot = Bot("42:TEST", session=RecordingSession(telegram=telegram))
    await dispatcher.feed_update(bot, Update.model_validate(telegram.send_text(anna, "/start")))

Each method is serialised exactly as `AiohttpSession.build_form_data` does (the same
`prepare_value`, the same skipping of empty values, uploads as `attach://` parts), decoded by
the fake like a form Telegram received, and the answer goes through `check_response`: errors
become `TelegramBadRequest`, `TelegramForbiddenError`, `TelegramRetryAfter`... as over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from aiogram.client.session.base import BaseSession
from aiogram.methods.base import TelegramType
from aiohttp import ClientResponseError, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from tests.fakes.schema import UploadedFile
from tests.fakes.telegram import FakeTelegram

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod
    from aiogram.types import InputFile


class RecordingSession(BaseSession):
    """aiogram session answered by `telegram` (a fresh `FakeTelegram` when not given).

    Every call lands in `telegram.calls`; calls Telegram would refuse in
    `telegram.violations`. `bot.download(file_id)` serves stored files.
    """

    def __init__(self, telegram: FakeTelegram | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.telegram = telegram if telegram is not None else FakeTelegram()

    async def serialize(
        self, bot: Bot, method: TelegramMethod[Any]
    ) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        """The form fields and file parts aiogram's HTTP session would send for `method`."""
        fields: dict[str, str] = {}
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue
            fields[key] = prepared
        uploads = {}
        for key, value in files.items():
            data = b"".join([chunk async for chunk in value.read(bot)])
            uploads[key] = UploadedFile(data, value.filename or key)
        return fields, uploads

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        fields, uploads = await self.serialize(bot, method)
        status, body = await self.telegram.respond(
            method.__api_method__, fields, uploads, token=bot.token
        )
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=self.json_dumps(body)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Serve a stored file for `{api}/file/bot{token}/{file_path}` URLs; an unknown one
        raises aiohttp's 404 `ClientResponseError`, as `AiohttpSession` would."""
        path = unquote(urlsplit(url).path)
        marker = "/file/bot"
        _, found, rest = path.partition(marker)
        token, _, file_path = rest.partition("/")
        stored = self.telegram.file_by_path(file_path) if found else None
        if stored is None or not self.telegram.accepts_token(token):
            if raise_for_status:
                info = RequestInfo(URL(url), "GET", CIMultiDictProxy(CIMultiDict()), URL(url))
                raise ClientResponseError(info, (), status=404, message="Not Found")
            return
        for start in range(0, len(stored.data), chunk_size):
            yield stored.data[start : start + chunk_size]

    async def close(self) -> None:
        """Nothing to release."""
