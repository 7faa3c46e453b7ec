"""The sandbox's world: the test suite's fake Telegram, the real bot polling it, and personas.

Everything runs in one event loop: `FakeBotAPIServer` answers the Bot API on a free port of
127.0.0.1, the real Dispatcher polls it through aiogram's HTTP session (so cards arrive as
multipart uploads and scanned photos are downloaded, as in production), and the page acts as
the people in the chats. Time is an `AdjustableClock` that the page moves forward.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.clock import AdjustableClock
from bot.config import Settings
from bot.factory import App, build_app, build_bot
from bot.sandbox.render import keyboard_view, message_view
from bot.scheduler import build_scheduler, daily_hours
from bot.services import engagement, team
from bot.services.engagement import Engagement, JobReport
from bot.services.qr_scan import read_qr
from db import migrate
from tests.fakes.server import FakeBotAPIServer
from tests.fakes.telegram import FakeTelegram, FakeUser, RecordedCall

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "4242:SANDBOX"  # the fake's bot id is 4242: aiogram reads Bot.id from the token
SANDBOX_SECRET = "sandbox-card-secret-not-for-production"
BOT_USERNAME = "loyalty_sandbox_bot"
_MESSAGE_METHODS = ("send", "editMessage", "copyMessage", "forwardMessage")


@dataclass(frozen=True)
class Persona:
    """Someone in the sandbox with a private chat with the bot."""

    key: str
    user_id: int
    name: str
    language: str
    role: str  # customer, staff or owner
    phone: str

    @property
    def label(self) -> str:
        role = "" if self.role == "customer" else f" · {self.role}"
        return f"{self.name}{role} ({self.language})"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "label": self.label,
            "role": self.role,
            "language": self.language,
            "phone": self.phone,
        }


PERSONAS = (
    Persona("anna", 1001, "Анна", "ru", "customer", "+79000000001"),
    Persona("john", 1002, "John", "en", "customer", "+447700900002"),
    Persona("oleg", 1003, "Олег", "ru", "customer", "+79000000003"),
    Persona("staff", 2001, "Дима", "ru", "staff", "+79000000021"),
    Persona("owner", 3001, "Olga", "en", "owner", "+79000000031"),
)


class SandboxError(Exception):
    """An action the page asked for that can't be done now; the message says why."""


class _SandboxSettings(Settings):
    """Settings from the arguments only: the sandbox never reads the environment or .env, so
    a real token or a production DATABASE_URL there is never touched."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def database_url(value: str, folder: Path) -> str:
    """`--database`: a URL as DATABASE_URL takes it, or a path to an SQLite file."""
    if not value:
        return f"sqlite+aiosqlite:///{folder / 'sandbox.db'}"
    if "://" in value:
        return value
    return f"sqlite+aiosqlite:///{Path(value).resolve()}"


@dataclass
class _Subscriber:
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)


class Sandbox:
    """The fake Telegram and the real bot, with the actions the page offers.

    `database`: a URL or an SQLite path; a temporary SQLite file when empty.
    `program_file`: the program's rules (the built-in ones when None).
    """

    def __init__(
        self,
        *,
        database: str = "",
        program_file: Path | None = None,
        start: datetime | None = None,
    ) -> None:
        self.personas = {persona.key: persona for persona in PERSONAS}
        self.clock = AdjustableClock(start)
        self.telegram = FakeTelegram(clock=self.clock.now, bot_username=BOT_USERNAME)
        self.telegram.on_call(self._on_call)
        self.server = FakeBotAPIServer(self.telegram)
        self._folder = Path(tempfile.mkdtemp(prefix="loyalty-sandbox-"))
        self._database = database_url(database, self._folder)
        self._program_file = program_file
        self._users: dict[str, FakeUser] = {}
        self._query_chats: dict[str, int] = {}
        self._subscribers: list[_Subscriber] = []
        self._clock_lock = asyncio.Lock()
        self._polling: asyncio.Task[None] | None = None
        self.app: App | None = None
        self.bot: Bot | None = None
        self.settings: Settings | None = None
        self._jobs: Engagement | None = None

    # Starting and stopping

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        await self.server.start()
        for persona in PERSONAS:
            self._users[persona.key] = self.telegram.user(
                persona.user_id, persona.name, persona.language
            )
        owners = frozenset(p.user_id for p in PERSONAS if p.role == "owner")
        settings = _SandboxSettings(
            bot_token=SANDBOX_TOKEN,
            telegram_api_url=self.server.url,
            data_dir=self._folder,
            database_url=self._database,
            owner_ids=owners,
            secret_key=SANDBOX_SECRET,
            program_file=self._program_file,
        )
        self.settings = settings
        self.app = build_app(settings, clock=self.clock)
        await migrate.upgrade(self.app.engine)
        await self._appoint_staff()
        self.bot = build_bot(settings)
        await self.bot.me()
        # The jobs as the scheduler builds them; the clock control runs them, not the wall clock.
        self._jobs = build_scheduler(self.app, self.bot).ctx
        # Broadcasts are sent as in `bot.app.run_polling`: resumed at start, drained at stop.
        self.app.dispatcher.startup.register(self.app.broadcaster.start)
        self.app.dispatcher.shutdown.register(self.app.broadcaster.stop)
        self.app.dispatcher.startup.register(self.app.webhook_sender.start)
        self.app.dispatcher.shutdown.register(self.app.webhook_sender.stop)
        self._polling = asyncio.create_task(
            self.app.dispatcher.start_polling(
                self.bot, handle_signals=False, close_bot_session=True
            ),
            name="sandbox-polling",
        )
        self._polling.add_done_callback(_report_polling_end)
        log.info("sandbox bot @%s polls the fake Bot API at %s", BOT_USERNAME, self.server.url)
        # The staff member's chat opens in staff mode, with its keyboard: /staff is how it's done.
        staff = next(p for p in PERSONAS if p.role == "staff")
        if not self.telegram.bot_messages(staff.user_id):
            self.send_text(staff.key, "/staff")

    def close_streams(self) -> None:
        """End every open event stream (the server is shutting down)."""
        for subscriber in self._subscribers:
            subscriber.queue.put_nowait(None)

    async def stop(self) -> None:
        self.close_streams()
        if self._polling is not None and self.app is not None:
            with contextlib.suppress(RuntimeError):  # polling had already stopped
                await self.app.dispatcher.stop_polling()
            await asyncio.wait({self._polling}, timeout=15)  # its failure is logged already
        elif self.bot is not None:  # polling closes the session; it never started
            await self.bot.session.close()
        if self.app is not None:
            await self.app.broadcaster.stop()
            await self.app.webhook_sender.stop()
        await self.server.stop()
        if self.app is not None:
            await self.app.engine.dispose()
        shutil.rmtree(self._folder, ignore_errors=True)

    async def _appoint_staff(self) -> None:
        """The staff member is appointed as an owner's invitation would do it."""
        assert self.app is not None and self.settings is not None
        owner = next(p for p in PERSONAS if p.role == "owner")
        now = self.clock.now()
        async with self.app.pool() as session, session.begin():
            for persona in PERSONAS:
                if persona.role != "staff":
                    continue
                person = await team.identify(session, persona.user_id, self.settings.owner_ids)
                if person.role is team.Role.STAFF:
                    continue
                invite = await team.create_invite(
                    session, team.Role.STAFF, created_by=owner.user_id, now=now
                )
                await team.accept_invite(
                    session,
                    invite.code,
                    telegram_id=persona.user_id,
                    name=persona.name,
                    now=now,
                    language=persona.language,
                )

    # What the page shows

    def persona(self, key: str) -> Persona:
        try:
            return self.personas[key]
        except KeyError:
            raise SandboxError(f"no persona {key!r}") from None

    def chat(self, key: str) -> dict[str, Any]:
        persona = self.persona(key)
        messages = self.telegram.chat_messages(persona.user_id)
        return {
            "persona": key,
            "messages": [self._view(message) for message in messages],
            "keyboard": keyboard_view(self.telegram.reply_keyboard(persona.user_id)),
        }

    def state(self) -> dict[str, Any]:
        return {
            "personas": [persona.as_json() for persona in PERSONAS],
            "bot": {"username": BOT_USERNAME, "name": self.telegram.bot["first_name"]},
            "clock": self.clock_view(),
            "chats": {persona.key: self.chat(persona.key) for persona in PERSONAS},
        }

    def clock_view(self) -> dict[str, Any]:
        assert self.settings is not None
        local = self.clock.now().astimezone(self.settings.tz)
        return {
            "iso": local.isoformat(),
            "text": local.strftime("%d.%m.%Y %H:%M"),
            "timezone": self.settings.timezone,
        }

    def file(self, file_id: str) -> tuple[bytes, str, str]:
        """A stored file's bytes, MIME type and name."""
        try:
            stored = self.telegram.file(file_id)
        except KeyError:
            raise SandboxError("no such file") from None
        mime = stored.mime_type or ("image/png" if stored.kind == "photo" else "")
        if stored.data.startswith(b"\x89PNG"):
            mime = "image/png"
        elif stored.data.startswith(b"\xff\xd8"):
            mime = "image/jpeg"
        name = stored.file_name or Path(stored.file_path).name
        return stored.data, mime or "application/octet-stream", name

    def _view(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.settings is not None
        return message_view(message, self.telegram.bot["id"], self.settings.tz)

    # Live events for the page

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[dict[str, Any] | None]]:
        """Events for one open page; `None` means the sandbox is stopping."""
        subscriber = _Subscriber()
        self._subscribers.append(subscriber)
        try:
            yield subscriber.queue
        finally:
            self._subscribers.remove(subscriber)

    def _publish(self, event: dict[str, Any]) -> None:
        for subscriber in self._subscribers:
            subscriber.queue.put_nowait(event)

    def _publish_message(self, chat_id: int, message_id: int) -> None:
        persona = self._persona_of(chat_id)
        message = self.telegram.message(chat_id, message_id)
        if persona is None or message is None:
            return
        self._publish(
            {
                "type": "message",
                "persona": persona.key,
                "message": self._view(message),
                "keyboard": keyboard_view(self.telegram.reply_keyboard(chat_id)),
            }
        )

    def _persona_of(self, chat_id: Any) -> Persona | None:
        return next((p for p in PERSONAS if p.user_id == chat_id), None)

    def _on_call(self, call: RecordedCall) -> None:
        if not call.ok:
            return
        if call.method == "answerCallbackQuery":
            chat_id = self._query_chats.pop(str(call.params.get("callback_query_id")), None)
            persona = self._persona_of(chat_id)
            if persona is not None and call.params.get("text"):
                self._publish(
                    {
                        "type": "toast",
                        "persona": persona.key,
                        "text": call.params["text"],
                        "alert": bool(call.params.get("show_alert")),
                    }
                )
            return
        chat_id = call.params.get("chat_id")
        if call.method in ("deleteMessage", "deleteMessages"):
            persona = self._persona_of(chat_id)
            ids = call.params.get("message_ids") or [call.params.get("message_id")]
            if persona is not None:
                for message_id in ids:
                    self._publish({"type": "delete", "persona": persona.key, "id": message_id})
            return
        if not call.method.startswith(_MESSAGE_METHODS):
            return
        results = call.result if isinstance(call.result, list) else [call.result]
        for result in results:
            if isinstance(result, dict) and "message_id" in result:
                self._publish_message(chat_id, result["message_id"])

    # What the people in the chats do

    def _user(self, key: str) -> FakeUser:
        self.persona(key)
        return self._users[key]

    def _sent(self, key: str, update: dict[str, Any]) -> dict[str, Any]:
        message = update.get("message")
        if message is not None:
            self._publish_message(message["chat"]["id"], message["message_id"])
        return update

    def send_text(self, key: str, text: str) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise SandboxError("the message is empty")
        if len(text) > 4096:
            raise SandboxError("a message holds at most 4096 characters")
        return self._sent(key, self.telegram.send_text(self._user(key), text))

    def press(self, key: str, message_id: int, data: str) -> dict[str, Any]:
        user = self._user(key)
        message = self.telegram.message(user.id, message_id)
        if message is None:
            raise SandboxError("that message is gone")
        try:
            update = self.telegram.press(user, message, data)
        except AssertionError:
            raise SandboxError("that button is no longer under the message") from None
        self._query_chats[update["callback_query"]["id"]] = user.id
        return update

    def share_contact(self, key: str) -> dict[str, Any]:
        persona = self.persona(key)
        return self._sent(key, self.telegram.send_contact(self._user(key), persona.phone))

    def send_photo(self, key: str, image: bytes, caption: str | None = None) -> dict[str, Any]:
        try:
            update = self.telegram.send_photo(self._user(key), image, caption or None)
        except AssertionError as error:
            raise SandboxError(str(error)) from None
        return self._sent(key, update)

    def open_link(self, key: str, url: str) -> dict[str, Any]:
        try:
            update = self.telegram.open_link(self._user(key), url)
        except AssertionError:
            raise SandboxError(f"{url} is not a link to @{BOT_USERNAME}") from None
        return self._sent(key, update)

    def latest_card(self, customer: str) -> bytes:
        """The image of the newest card the bot showed in a customer's chat."""
        persona = self.persona(customer)
        for message in reversed(self.telegram.bot_messages(persona.user_id)):
            if message.get("photo"):
                largest = max(message["photo"], key=lambda size: size.get("width", 0))
                return self.telegram.file_bytes(largest["file_id"])
        raise SandboxError(f"{persona.name} has no card in the chat yet: open 💳 there first")

    def scan(self, key: str, customer: str) -> dict[str, Any]:
        """The staff member photographs the customer's card: the image goes to the bot."""
        return self.send_photo(key, self.latest_card(customer))

    async def open_card_link(self, key: str, customer: str) -> dict[str, Any]:
        """The staff member points the phone camera at the card: Telegram opens its QR link."""
        image = self.latest_card(customer)
        texts = await asyncio.to_thread(read_qr, image)
        link = next((text for text in texts if text.startswith("https://t.me/")), None)
        if link is None:
            raise SandboxError("no QR link could be read from the card")
        return self.open_link(key, link)

    # Time

    async def advance(self, step: str) -> dict[str, Any]:
        """Jump a day or a month ahead, running the scheduled jobs each day on the way, at the
        hour they run in the bot (so promotional offers are outside quiet hours)."""
        if step not in ("day", "month"):
            raise SandboxError("step is day or month")
        assert self.app is not None and self.settings is not None
        tz = self.settings.tz
        hour = max(daily_hours(self.app.program).values())
        reports: list[JobReport] = []
        async with self._clock_lock:
            day = self.clock.now().astimezone(tz).date()
            until = day + timedelta(days=1) if step == "day" else _next_month(day)
            while day < until:
                day += timedelta(days=1)
                moment = datetime.combine(day, time(hour), tz)
                self.clock.advance(max(moment - self.clock.now(), timedelta(0)))
                self._publish({"type": "clock", "clock": self.clock_view()})
                reports += await self.run_scheduled_jobs()
        delivered = sum(report.messages for report in reports)
        return {"clock": self.clock_view(), "messages": delivered}

    async def run_scheduled_jobs(self) -> list[JobReport]:
        """Run every scheduled job once, now, as the daily schedule would at this moment.

        The one place the sandbox triggers the jobs of `bot.scheduler`.
        """
        assert self._jobs is not None
        return [await engagement.run(self._jobs, name) for name in engagement.JOBS]


def _report_polling_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the sandbox bot stopped polling", exc_info=task.exception())


def _next_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
