"""The sandbox page and its HTTP API (aiohttp): one chat per persona, live over server-sent
events, and the actions the people in the chats take.

    GET  /                                   the page (static/index.html)
    GET  /api/state                          personas, the clock, every chat
    GET  /api/events                         server-sent events: message, delete, toast, clock
    GET  /api/personas/{key}/chat            one chat (the page reloads it on switching persona)
    POST /api/personas/{key}/text            {"text": "..."}
    POST /api/personas/{key}/press           {"message_id": 5, "data": "..."}
    POST /api/personas/{key}/contact         shares the persona's own phone number
    POST /api/personas/{key}/photo           multipart "photo" (and optional "caption")
    POST /api/personas/{key}/link            {"url": "https://t.me/<bot>?start=..."}
    POST /api/personas/{key}/scan            {"customer": "anna"}: photo of their latest card
    POST /api/personas/{key}/open-card       {"customer": "anna"}: open their card's QR link
    POST /api/clock                          {"step": "day" | "month"}
    GET  /files/{file_id}                    a photo or document (?download=1 to save it)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.runtime import Sandbox, SandboxError

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", Sandbox)
HEARTBEAT_SECONDS = 15.0
MAX_PHOTO_BYTES = 10 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX_KEY]


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refused action answers 400 with the reason, which the page shows."""
    try:
        return await handler(request)
    except SandboxError as error:
        return web.json_response({"error": str(error)}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise SandboxError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise SandboxError("the body must be a JSON object")
    return body


def _ok(update: dict[str, Any]) -> web.Response:
    return web.json_response({"ok": True, "update_id": update["update_id"]})


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def state(request: web.Request) -> web.Response:
    return web.json_response(_sandbox(request).state())


async def chat(request: web.Request) -> web.Response:
    return web.json_response(_sandbox(request).chat(request.match_info["key"]))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: first a snapshot of everything, then each change as it happens."""
    sandbox = _sandbox(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    with sandbox.subscribe() as queue:
        await _send_event(response, {"type": "snapshot", **sandbox.state()})
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b": heartbeat\n\n")
                continue
            if event is None:
                break
            await _send_event(response, event)
    return response


async def _send_event(response: web.StreamResponse, event: dict[str, Any]) -> None:
    data = json.dumps(event, ensure_ascii=False)
    await response.write(f"event: {event['type']}\ndata: {data}\n\n".encode())


async def send_text(request: web.Request) -> web.Response:
    body = await _body(request)
    return _ok(_sandbox(request).send_text(request.match_info["key"], str(body.get("text", ""))))


async def press(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        message_id = int(body["message_id"])
        data = str(body["data"])
    except (KeyError, TypeError, ValueError):
        raise SandboxError("press needs message_id and data") from None
    return _ok(_sandbox(request).press(request.match_info["key"], message_id, data))


async def contact(request: web.Request) -> web.Response:
    return _ok(_sandbox(request).share_contact(request.match_info["key"]))


async def photo(request: web.Request) -> web.Response:
    if request.content_type != "multipart/form-data":
        raise SandboxError("send the photo as multipart/form-data")
    form = await request.post()
    upload = form.get("photo")
    if not isinstance(upload, web.FileField):
        raise SandboxError("no photo in the form")
    image = upload.file.read(MAX_PHOTO_BYTES + 1)
    if len(image) > MAX_PHOTO_BYTES:
        raise SandboxError("the photo is over 10 MB")
    caption = form.get("caption")
    return _ok(
        _sandbox(request).send_photo(
            request.match_info["key"], image, caption if isinstance(caption, str) else None
        )
    )


async def link(request: web.Request) -> web.Response:
    body = await _body(request)
    return _ok(_sandbox(request).open_link(request.match_info["key"], str(body.get("url", ""))))


async def scan(request: web.Request) -> web.Response:
    body = await _body(request)
    return _ok(_sandbox(request).scan(request.match_info["key"], str(body.get("customer", ""))))


async def open_card(request: web.Request) -> web.Response:
    body = await _body(request)
    update = await _sandbox(request).open_card_link(
        request.match_info["key"], str(body.get("customer", ""))
    )
    return _ok(update)


async def advance_clock(request: web.Request) -> web.Response:
    body = await _body(request)
    return web.json_response(await _sandbox(request).advance(str(body.get("step", ""))))


async def file(request: web.Request) -> web.Response:
    data, mime, name = _sandbox(request).file(request.match_info["file_id"])
    headers = {"Cache-Control": "private, max-age=3600"}
    if request.query.get("download"):
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return web.Response(body=data, content_type=mime, headers=headers)


def build_web_app(sandbox: Sandbox) -> web.Application:
    """The page and its API; starting the application starts the sandbox, cleanup stops it."""
    app = web.Application(middlewares=[_errors], client_max_size=MAX_PHOTO_BYTES + 1024 * 1024)
    app[SANDBOX_KEY] = sandbox

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        await sandbox.start()
        yield
        await sandbox.stop()

    async def close_streams(app: web.Application) -> None:
        sandbox.close_streams()

    app.cleanup_ctx.append(lifetime)
    app.on_shutdown.append(close_streams)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/events", events)
    app.router.add_get("/api/personas/{key}/chat", chat)
    app.router.add_post("/api/personas/{key}/text", send_text)
    app.router.add_post("/api/personas/{key}/press", press)
    app.router.add_post("/api/personas/{key}/contact", contact)
    app.router.add_post("/api/personas/{key}/photo", photo)
    app.router.add_post("/api/personas/{key}/link", link)
    app.router.add_post("/api/personas/{key}/scan", scan)
    app.router.add_post("/api/personas/{key}/open-card", open_card)
    app.router.add_post("/api/clock", advance_clock)
    app.router.add_get("/files/{file_id}", file)
    return app


async def serve(
    *, host: str = "127.0.0.1", port: int = 8080, database: str = "", program: Path | None = None
) -> None:
    """Run the sandbox until cancelled (Ctrl+C)."""
    runner = web.AppRunner(
        build_web_app(Sandbox(database=database, program_file=program)), access_log=None
    )
    await runner.setup()
    # SIGTERM stops it as Ctrl+C does, so the temporary database is removed either way.
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        port = runner.addresses[0][1]  # the one taken when port was 0
        print(f"Sandbox: open http://{host}:{port}/ in a browser (Ctrl+C stops it)", flush=True)  # noqa: T201
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
