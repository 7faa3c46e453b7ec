"""`FakeBotAPIServer`: the fake Telegram over HTTP on 127.0.0.1, for the real bot process.

Routes as Telegram's: `POST|GET /bot<token>/<method>` (JSON, urlencoded or multipart bodies, or a
query string) and `GET /file/bot<token>/<path>`. Run it alone with
`python -m tests.fakes.http --port 8081`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
from typing import Any

from aiohttp import web

from tests.fakes.botapi import METHODS, FakeTelegram, TelegramError, Upload, decode_params

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class FakeBotAPIServer:
    def __init__(
        self, telegram: FakeTelegram | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.telegram = telegram or FakeTelegram()
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=60 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._method)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeBotAPIServer:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPIServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _method(self, request: web.Request) -> web.Response:
        if not TOKEN_RE.match(request.match_info["token"]):
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if method not in METHODS:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        try:
            raw, files = await self._read(request)
            params = decode_params(method, raw, files)
            result = await self.telegram.handle(method, params)
        except TelegramError as exc:
            return web.json_response(exc.response(), status=exc.code)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        kind = request.content_type
        if kind == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise TelegramError(400, "Bad Request: the body must be a JSON object")
            raw.update(body)
        elif kind == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    files[part.name or ""] = Upload(await part.read(), part.filename)
                else:
                    raw[part.name or ""] = await part.text()
        elif kind == "application/x-www-form-urlencoded":
            raw.update(await request.post())
        return raw, files

    async def _file(self, request: web.Request) -> web.Response:
        try:
            return web.Response(body=self.telegram.download(request.match_info["path"]))
        except TelegramError:
            return web.Response(status=404)


async def _serve(port: int) -> None:
    async with FakeBotAPIServer(port=port) as server:
        print(server.url, flush=True)  # noqa: T201
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args().port))
