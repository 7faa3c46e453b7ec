"""`FakeTelegram` served over HTTP on 127.0.0.1, for running the real bot process against it.

    async with FakeBotAPIServer() as server:
        bot = Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
        anna = server.telegram.user(1, "Anna")

Routes, as api.telegram.org has them (what `TelegramAPIServer.from_base(url)` builds):
`GET|POST /bot{token}/{method}` and `GET /file/bot{token}/{file_path}`. Parameters come from
the query string and a JSON, urlencoded or multipart body; method names are case-sensitive.

A few `/_fake/...` routes let another process act as a user when the server runs standalone:
`python -m tests.fakes.server --port 8081` prints its URL and serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.schema import UploadedFile
from tests.fakes.telegram import FakeTelegram, TelegramError

MAX_REQUEST_SIZE = 60 * 1024 * 1024


class FakeBotAPIServer:
    """An aiohttp server answering the Bot API from `telegram` (a new `FakeTelegram` when
    not given). `port=0` takes a free port; `url` is known once started."""

    def __init__(
        self,
        telegram: FakeTelegram | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.telegram = telegram if telegram is not None else FakeTelegram()
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=MAX_REQUEST_SIZE)
        self.app.router.add_route("*", "/bot{token}/{method}", self._api)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self.app.router.add_post("/_fake/updates", self._inject_update)
        self.app.router.add_post("/_fake/users/{user_id}/text", self._user_text)
        self.app.router.add_get("/_fake/calls", self._calls)
        self.app.router.add_get("/_fake/chats/{chat_id}/messages", self._messages)
        self.app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL for `TelegramAPIServer.from_base`, like `http://127.0.0.1:PORT`."""
        if self._runner is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start listening (on a free port when `port` is 0)."""
        self.telegram.reopen()
        runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening; a waiting getUpdates is answered first."""
        self.telegram.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPIServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _api(self, request: web.Request) -> web.Response:
        fields: dict[str, Any] = {key: request.query[key] for key in request.query}
        files: dict[str, UploadedFile] = {}
        if request.body_exists:
            try:
                await self._read_body(request, fields, files)
            except TelegramError as error:
                return web.json_response(error.to_response(), status=error.code)
        status, body = await self.telegram.respond(
            request.match_info["method"], fields, files, token=request.match_info["token"]
        )
        return web.json_response(body, status=status)

    @staticmethod
    async def _read_body(
        request: web.Request, fields: dict[str, Any], files: dict[str, UploadedFile]
    ) -> None:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise TelegramError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise TelegramError(400, "Bad Request: JSON request body must be an object")
            fields.update(body)
            return
        if request.content_type not in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            return
        form = await request.post()
        for key in dict.fromkeys(form.keys()):
            value = form.get(key)
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    value.file.read(),
                    value.filename or key,
                    value.content_type or "application/octet-stream",
                )
            else:
                fields[key] = value

    async def _download(self, request: web.Request) -> web.StreamResponse:
        stored = None
        if self.telegram.accepts_token(request.match_info["token"]):
            stored = self.telegram.file_by_path(request.match_info["file_path"])
        if stored is None:
            return await self._not_found(request)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    @staticmethod
    async def _not_found(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return web.json_response(body, status=404)

    async def _inject_update(self, request: web.Request) -> web.Response:
        return web.json_response(self.telegram.inject_update(await request.json()))

    async def _user_text(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = int(request.match_info["user_id"])
        user = self.telegram.users.get(user_id) or self.telegram.user(
            user_id,
            body.get("first_name", "Anna"),
            body.get("language_code", "ru"),
            body.get("username"),
        )
        return web.json_response(self.telegram.send_text(user, body["text"]))

    async def _calls(self, request: web.Request) -> web.Response:
        calls = [
            {
                "method": call.method,
                "params": call.params,
                "ok": call.ok,
                "error": call.error.description if call.error else None,
            }
            for call in self.telegram.calls
        ]
        body = {"calls": calls, "violations": self.telegram.violations}
        return web.json_response(body, dumps=lambda value: json.dumps(value, default=repr))

    async def _messages(self, request: web.Request) -> web.Response:
        return web.json_response(self.telegram.chat_messages(int(request.match_info["chat_id"])))


async def _serve(host: str, port: int, token: str | None) -> None:
    async with FakeBotAPIServer(FakeTelegram(token=token), host=host, port=port) as server:
        print(server.url, flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Run the fake Bot API server until interrupted, printing its URL first."""
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 takes a free port")
    parser.add_argument("--token", help="the only bot token to accept (default: any)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
