"""An in-memory Telegram for tests: the bot's side (Bot API methods) and the users' side.

`FakeTelegram` is transport-independent. `RecordingSession` (tests/fakes/session.py) feeds it
aiogram calls in-process, `FakeBotAPIServer` (tests/fakes/server.py) serves it over HTTP.
Every call is checked by `validate_call` first; a call Telegram would refuse is recorded in
`violations` and answered with Telegram's error, so a test can assert `violations == []`.

    telegram = FakeTelegram()
    anna = telegram.user(1, "Anna")
    update = telegram.send_text(anna, "/start")      # an Update dict, also queued for getUpdates
    ...                                               # the bot handles it
    call = await telegram.wait_for_call("sendMessage", chat_id=anna.id)
    telegram.press(anna, telegram.last_bot_message(anna.id), "join")
"""

from __future__ import annotations

import asyncio
import copy
import io
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image, UnidentifiedImageError

from tests.fakes.schema import (
    DEEP_LINK_PAYLOAD,
    FormattedText,
    ParamDecodeError,
    UploadedFile,
    Violation,
    bot_api,
    decode_form,
    find_violations,
    parse_entities,
    utf16_len,
)

BOT_ID = 4242
BOT_USERNAME = "loyalty_test_bot"
BOT_FIRST_NAME = "Loyalty"
TOKEN_PATTERN = re.compile(r"\d+:[^\s/]+")
DEFAULT_ALLOWED_UPDATES = frozenset(
    name
    for name in bot_api().fields("Update")
    if name not in {"update_id", "chat_member", "message_reaction", "message_reaction_count"}
)
DOWNLOAD_LIMIT = 20 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
DELETE_WINDOW = 48 * 3600
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
MEDIA_KEYS = ("photo", "document", "video", "animation", "audio", "voice", "sticker")
_COMMAND_IN_TEXT = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


class TelegramError(Exception):
    """An error answer of the Bot API: HTTP status `code`, Telegram's `description`.

    `retry_after` is set for 429 Too Many Requests (sent as `parameters.retry_after`).
    """

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class FakeUser:
    """A Telegram user who has a private chat with the bot (its id is the chat id)."""

    id: int
    first_name: str = "Anna"
    language_code: str | None = "ru"
    username: str | None = None
    last_name: str | None = None
    is_premium: bool | None = None

    def as_user(self) -> dict[str, Any]:
        """The `User` object Telegram puts in `from`."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            if getattr(self, key) is not None:
                user[key] = getattr(self, key)
        return user

    def as_chat(self) -> dict[str, Any]:
        """The private `Chat` object of this user."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key) is not None:
                chat[key] = getattr(self, key)
        return chat


@dataclass
class RecordedCall:
    """One Bot API call as Telegram received it: decoded `params`, uploaded `files` by part
    name, and either the `result` or the `error` it was answered with."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    result: Any = None
    error: TelegramError | None = None
    consumed: bool = field(default=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class StoredFile:
    """A file Telegram keeps: its ids, bytes and where `getFile` says it lives."""

    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    kind: str
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0


@dataclass
class _Chat:
    user: FakeUser
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    message_ids: count[int] = field(default_factory=lambda: count(1))
    reply_keyboard: dict[str, Any] | None = None


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivered: bool = False


@dataclass
class _RateLimit:
    global_per_second: int
    per_chat_per_second: int
    retry_after: int | None
    sent: deque[float] = field(default_factory=deque)
    per_chat: dict[Any, deque[float]] = field(default_factory=dict)


class _Signal:
    """Wakes every waiter when something new happens (a call, an update)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float) -> bool:
        if self._event is None:
            self._event = asyncio.Event()
        try:
            await asyncio.wait_for(self._event.wait(), max(timeout, 0))
        except TimeoutError:
            return False
        return True


class FakeTelegram:
    """Telegram in memory: users and their private chats, stored messages and files, the
    update queue, and every Bot API call the bot made (`calls`) with the rule breaks
    (`violations`).

    `token`: the only token accepted; by default any `<digits>:<text>` token is.
    `clock`: returns the current time (Unix seconds or an aware datetime) for message dates;
    defaults to `time.time`. Rate limits always use the real monotonic clock.
    `bot_id` etc.: the bot's identity for getMe and `from`. aiogram's `Bot.id` comes from
    the token instead, so use a token like "4242:TEST" where the two must agree.

    State tests can read:
    `calls` (list of `RecordedCall`), `violations` (list of str, one per rule broken),
    `throttled` (number of 429s from `rate_limit`), `users` (id -> `FakeUser`),
    `commands` ((scope key, language_code) -> commands), `menu_buttons` (chat id or None ->
    MenuButton), `profile` ((name|description|short_description, language) -> text),
    `webhook` (the setWebhook params, or None).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Callable[[], float | datetime] | None = None,
        bot_id: int = BOT_ID,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.clock = clock or time.time
        self.bot: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.throttled = 0
        self.users: dict[int, FakeUser] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.profile: dict[tuple[str, str], str] = {}
        self.webhook: dict[str, Any] | None = None
        self._chats: dict[int, _Chat] = {}
        self._files: dict[str, StoredFile] = {}
        self._photo_sizes: dict[str, list[dict[str, Any]]] = {}
        self._queue: list[_Queued] = []
        self._update_ids = count(1)
        self._allowed_updates = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._closed = False
        self._queries: dict[str, bool] = {}
        self._query_ids = count(4_000_000_000_000_000_001)
        self._file_numbers = count(1)
        self._blocked: set[int] = set()
        self._failures: dict[str, deque[TelegramError]] = {}
        self._rate: _RateLimit | None = None
        self._calls_changed = _Signal()
        self._updates_changed = _Signal()
        self._call_listeners: list[Callable[[RecordedCall], None]] = []
        self._handlers: dict[str, Callable[..., Any]] = {
            "getMe": lambda params, files: self.bot_user(full=True),
            "logOut": lambda params, files: True,
            "close": lambda params, files: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._profile_setter("description"),
            "setMyShortDescription": self._profile_setter("short_description"),
            "setMyName": self._profile_setter("name"),
            "getMyDescription": self._profile_getter("description"),
            "getMyShortDescription": self._profile_getter("short_description"),
            "getMyName": self._profile_getter("name"),
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": lambda params, files: True,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }

    # The users' side

    def user(
        self,
        id: int,  # noqa: A002 - Telegram's own name for it
        first_name: str = "Anna",
        language_code: str | None = "ru",
        username: str | None = None,
        *,
        last_name: str | None = None,
        is_premium: bool | None = None,
    ) -> FakeUser:
        """Register a user with a private chat with the bot (or update their profile)."""
        person = FakeUser(id, first_name, language_code, username, last_name, is_premium)
        self.users[id] = person
        if id in self._chats:
            self._chats[id].user = person
        else:
            self._chats[id] = _Chat(person)
        return person

    def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        """The user sends a text message; `/commands` in it get `bot_command` entities."""
        content: dict[str, Any] = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
            for match in _COMMAND_IN_TEXT.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        return self._user_message(user, content)

    def send_command(
        self, user: FakeUser, command: str, payload: str | None = None
    ) -> dict[str, Any]:
        """The user sends `/command` (with an optional payload, as a deep link would)."""
        command = command if command.startswith("/") else f"/{command}"
        return self.send_text(user, command if payload is None else f"{command} {payload}")

    def open_link(self, user: FakeUser, url: str) -> dict[str, Any]:
        """The user follows a `https://t.me/<bot>?start=<payload>` link to this bot.

        As Telegram does, a payload that isn't 1-64 characters of A-Z, a-z, 0-9, _ and -
        is dropped and the bot gets a bare `/start`.
        """
        parts = urlsplit(url)
        path = parts.path.strip("/")
        assert parts.hostname in {"t.me", "telegram.me", "telegram.dog"}, url
        assert path.lower() == str(self.bot["username"]).lower(), f"{url} is not this bot"
        payloads = parse_qs(parts.query, keep_blank_values=True).get("start", [])
        if payloads and DEEP_LINK_PAYLOAD.fullmatch(payloads[0]):
            return self.send_command(user, "/start", payloads[0])
        return self.send_command(user, "/start")

    def press(
        self, user: FakeUser, message: Mapping[str, Any], callback_data: str
    ) -> dict[str, Any]:
        """The user taps the inline button with `callback_data` under `message`.

        The button must be in the keyboard of the `message` dict given, which is what the
        user's screen shows: fetch it again (`last_bot_message`, `message`) after the bot
        edited it, or keep an older dict to tap a stale keyboard as a slow client would.
        The message must still exist; the update carries it as Telegram stores it now.
        """
        chat_id = message["chat"]["id"]
        assert chat_id == user.id, f"message {message['message_id']} is not in {user.id}'s chat"
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        offered = [button.get("callback_data") for row in rows for button in row]
        assert callback_data in offered, (
            f"no button with callback_data {callback_data!r} under message "
            f"{message['message_id']}; it has {offered}"
        )
        stored = self._chat_of(user).messages.get(message["message_id"])
        assert stored is not None, f"message {message['message_id']} was deleted"
        query_id = str(next(self._query_ids))
        self._queries[query_id] = False
        query = {
            "id": query_id,
            "from": user.as_user(),
            "message": copy.deepcopy(stored),
            "chat_instance": str(abs(chat_id) * 2_654_435_761 % 10**18),
            "data": callback_data,
        }
        return self._enqueue({"callback_query": query})

    def send_photo(
        self, user: FakeUser, image: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        """The user sends a photo; `getFile` and downloads then serve `image`."""
        try:
            stored = self._store_upload(UploadedFile(image, "photo.jpg", "image/jpeg"), "photo")
        except TelegramError as error:
            raise AssertionError(f"Telegram would not take this photo: {error}") from None
        content: dict[str, Any] = {"photo": self._photo_sizes[stored.file_id]}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user, content)

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        filename: str = "file.bin",
        mime: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """The user sends a file as a document."""
        stored = self._store_upload(UploadedFile(data, filename, mime), "document")
        return self._user_message(user, {"document": self._document(stored)})

    def send_contact(self, user: FakeUser, phone: str, own: bool = True) -> dict[str, Any]:
        """The user shares a contact: their own (with `user_id`, as the request_contact button
        sends it) or, with `own=False`, someone else's without a `user_id`."""
        contact: dict[str, Any] = {"phone_number": phone}
        if own:
            contact["first_name"] = user.first_name
            if user.last_name:
                contact["last_name"] = user.last_name
            contact["user_id"] = user.id
        else:
            contact["first_name"] = "Boris"
        return self._user_message(user, {"contact": contact})

    def inject_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an `update_id` is assigned if missing); returns it.

        A callback query in it becomes answerable, as if a real user had tapped.
        """
        return self._enqueue(dict(update))

    def redeliver(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue the same update again, same `update_id`, as Telegram does when the bot
        didn't confirm it; the next `getUpdates` returns it whatever its offset."""
        queued = copy.deepcopy(dict(update))
        self._queue.append(_Queued(queued, redelivered=True))
        self._updates_changed.notify()
        return copy.deepcopy(queued)

    # Failure injection

    def block(self, user_id: int, *, notify: bool = False) -> dict[str, Any] | None:
        """The user blocks the bot: sends to their chat get 403 "Forbidden: bot was blocked by
        the user". With `notify`, the `my_chat_member` update Telegram sends is queued."""
        self._blocked.add(user_id)
        if not notify:
            return None
        user = self.users[user_id]
        bot = self.bot_user()
        return self._enqueue(
            {
                "my_chat_member": {
                    "chat": user.as_chat(),
                    "from": user.as_user(),
                    "date": self.now(),
                    "old_chat_member": {"status": "member", "user": bot},
                    "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
                }
            }
        )

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(user_id)

    def rate_limit(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Enforce Telegram's flood limits on sending methods: beyond them a send gets 429 with
        `retry_after` (by default the whole seconds until the window frees up); each 429
        counts in `throttled`."""
        self._rate = _RateLimit(global_per_second, per_chat_per_second, retry_after)

    def fail_next(
        self,
        method: str,
        code: int,
        description: str,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` valid calls of `method` fail with this error."""
        queue = self._failures.setdefault(method, deque())
        queue.extend(TelegramError(code, description, retry_after) for _ in range(times))

    # Looking at what happened

    def now(self) -> int:
        """The current time as a Unix timestamp, from `clock`."""
        value = self.clock()
        return int(value.timestamp() if isinstance(value, datetime) else value)

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """The bot's `User` object (with capability flags when `full`, as getMe returns)."""
        keys = self.bot if full else ("id", "is_bot", "first_name", "username")
        return {key: self.bot[key] for key in keys}

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages in a private chat, oldest first, both the user's and the bot's, as
        Telegram stores them now; deleted ones are gone. An edit replaces the stored dict at the
        same place, so a dict you already hold keeps showing the message as it was then (what
        a client that hasn't refreshed shows); fetch again for the current state.
        A bot message keeps `reply_markup` as sent, reply keyboards included."""
        chat = self._chats.get(chat_id)
        return list(chat.messages.values()) if chat else []

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One stored message, or None if it doesn't exist (or was deleted)."""
        chat = self._chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first."""
        return [m for m in self.chat_messages(chat_id) if m["from"]["id"] == self.bot["id"]]

    def last_bot_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest message in a chat; fails the test when there is none."""
        messages = self.bot_messages(chat_id)
        assert messages, f"the bot sent nothing to chat {chat_id}"
        return messages[-1]

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the user currently sees in the chat (None when removed)."""
        chat = self._chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def file(self, file_id: str) -> StoredFile:
        """A stored file by file_id (uploads by the bot and files sent by users)."""
        return self._files[file_id]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of a stored file. Every size of a photo serves the uploaded bytes."""
        return self._files[file_id].data

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """The file `getFile` announced under `file_path`, for downloads."""
        return next((item for item in self._files.values() if item.file_path == file_path), None)

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands set for a scope (default scope when None) and language."""
        return self.commands.get((_scope_key(scope), language_code), [])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return [copy.deepcopy(item.update) for item in self._queue]

    @property
    def failed_calls(self) -> list[RecordedCall]:
        """Calls answered with an error (violations, injected failures, 403, 429, ...)."""
        return [call for call in self.calls if call.error is not None]

    @property
    def unanswered_queries(self) -> list[str]:
        """Callback query ids the bot never answered."""
        return [query_id for query_id, answered in self._queries.items() if not answered]

    async def wait_for_call(
        self,
        match: str | Callable[[RecordedCall], bool],
        chat_id: int | str | None = None,
        timeout: float = 5,
        *,
        after: int | None = None,
    ) -> RecordedCall:
        """The oldest recorded call not consumed yet that matches, waiting for it if needed.

        `match` is a method name or a predicate; `chat_id` narrows to calls for that chat;
        `after` (an index into `calls`, e.g. `len(telegram.calls)` taken before an action)
        skips the calls recorded before it. The call returned is marked consumed, so waiting
        again gives the next one; `consume_calls()` before an action works like `after`.
        Fails the test (AssertionError) after `timeout` seconds.
        """

        def matches(call: RecordedCall) -> bool:
            if call.consumed:
                return False
            if isinstance(match, str) and call.method != match:
                return False
            if callable(match) and not match(call):
                return False
            return chat_id is None or str(call.chat_id) == str(chat_id)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = next(filter(matches, self.calls[after or 0 :]), None)
            if found is not None:
                found.consumed = True
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                wanted = match if isinstance(match, str) else getattr(match, "__name__", match)
                recent = [f"{call.method}({call.chat_id})" for call in self.calls[-10:]]
                raise AssertionError(
                    f"no call {wanted} for chat {chat_id} within {timeout}s; last calls: {recent}"
                )
            await self._calls_changed.wait(remaining)

    def consume_calls(self) -> None:
        """Mark every call recorded so far as consumed (see `wait_for_call`)."""
        for call in self.calls:
            call.consumed = True

    def close(self) -> None:
        """Stop serving: getUpdates answers at once, without waiting, until `reopen()`."""
        self._closed = True
        self._updates_changed.notify()

    def reopen(self) -> None:
        """Serve long polls again after `close()`."""
        self._closed = False

    # The bot's side

    def accepts_token(self, token: str) -> bool:
        """Whether a request with this bot token is authorized."""
        if self.token is not None:
            return token == self.token
        return TOKEN_PATTERN.fullmatch(token) is not None

    async def handle(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
    ) -> Any:
        """Answer a Bot API call whose params are already decoded Python values.

        Validates it (recording `violations`), applies injected failures, blocks and rate
        limits, then runs the method. Returns the `result` of Telegram's answer or raises
        `TelegramError`. `files` are the multipart parts by name, for `attach://` references.
        """
        return await self._call(method, dict(params), dict(files or {}), token, wire=False)

    async def handle_form(
        self,
        method: str,
        fields: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
    ) -> Any:
        """Like `handle`, for wire values: form fields, a query string or a JSON body.

        Strings are decoded by the declared types (as Telegram does); a file part named like
        a parameter is that parameter's upload; a value that can't be decoded is a 400.
        """
        return await self._call(method, dict(fields), dict(files or {}), token, wire=True)

    async def respond(
        self,
        method: str,
        fields: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """`handle_form` as Telegram's HTTP answer: (status, JSON body)."""
        try:
            result = await self.handle_form(method, fields, files, token=token)
        except TelegramError as error:
            return error.code, error.to_response()
        return 200, {"ok": True, "result": result}

    async def _call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        token: str | None,
        *,
        wire: bool,
    ) -> Any:
        call = RecordedCall(method, params, files)
        try:
            if token is not None and not self.accepts_token(token):
                raise TelegramError(401, "Unauthorized")
            if wire:
                call.params = self._decode(method, params, files)
            result = await self._execute(call)
        except TelegramError as error:
            call.error = error
            self._record(call)
            raise
        call.result = copy.deepcopy(result)
        self._record(call)
        return copy.deepcopy(result)

    def on_call(self, listener: Callable[[RecordedCall], None]) -> None:
        """Call `listener(call)` after every Bot API call is recorded (answered or refused),
        when the chats already show its effect; the sandbox pushes new messages with it."""
        self._call_listeners.append(listener)

    def _record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        self._calls_changed.notify()
        for listener in self._call_listeners:
            listener(call)

    def _violate(self, found: list[Violation], code: int = 400) -> TelegramError:
        self.violations.extend(str(item) for item in found)
        return TelegramError(code, found[0].description)

    def _decode(
        self, method: str, fields: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        declared = bot_api().fields(method)
        raw = dict(fields)
        for name, upload in files.items():
            if name in declared and name not in raw:
                raw[name] = upload
        try:
            return decode_form(method, raw)
        except ParamDecodeError as error:
            raise self._violate([error.violation]) from None

    async def _execute(self, call: RecordedCall) -> Any:
        method, params = call.method, call.params
        schema = bot_api()
        if method not in schema.methods:
            raise self._violate(find_violations(method, params), code=404)
        self._resolve_attachments(call)
        found = find_violations(method, params)
        if found:
            raise self._violate(found)
        failures = self._failures.get(method)
        if failures:
            raise failures.popleft()
        if "chat_id" in params and _is_chat_send(method):
            self._check_target(method, params["chat_id"])
        handler = self._handlers.get(method)
        if handler is None:
            result = self._generic(method, params, call.files)
        else:
            result = handler(params, call.files)
        if isinstance(result, Awaitable):
            result = await result
        return result

    def _resolve_attachments(self, call: RecordedCall) -> None:
        declared = bot_api().fields(call.method)
        for name, value in list(call.params.items()):
            spec = declared.get(name)
            if spec is None or "InputFile" not in spec["types"] or not isinstance(value, str):
                continue
            if value.startswith("attach://"):
                call.params[name] = self._attachment(call.method, name, value, call.files)

    def _attachment(
        self, method: str, name: str, reference: str, files: Mapping[str, UploadedFile]
    ) -> UploadedFile:
        key = reference.removeprefix("attach://")
        if key not in files:
            raise self._violate(
                [
                    Violation(
                        f"{method}: {name}",
                        "Bad Request: wrong file identifier/HTTP URL specified",
                        f"{reference}: no multipart part named {key!r}",
                    )
                ]
            )
        return files[key]

    def _check_target(self, method: str, chat_id: Any) -> None:
        chat = self._chat(chat_id)
        if chat.user.id in self._blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        if self._rate is None or not _is_rate_limited(method):
            return
        rate = self._rate
        now = time.monotonic()
        window = rate.per_chat.setdefault(chat.user.id, deque())
        for sent in (rate.sent, window):
            while sent and sent[0] <= now - 1:
                sent.popleft()
        waits = [
            sent[0] + 1 - now
            for sent, limit in (
                (rate.sent, rate.global_per_second),
                (window, rate.per_chat_per_second),
            )
            if len(sent) >= limit
        ]
        if waits:
            self.throttled += 1
            retry_after = rate.retry_after or max(1, math.ceil(max(waits)))
            raise TelegramError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        rate.sent.append(now)
        window.append(now)

    def _chat(self, chat_id: Any) -> _Chat:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise TelegramError(400, "Bad Request: chat not found")
        return chat

    def _chat_of(self, user: FakeUser) -> _Chat:
        if user.id not in self._chats:
            self.user(user.id, user.first_name, user.language_code, user.username)
        return self._chats[user.id]

    # Updates

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        if "update_id" in update:
            self._update_ids = count(max(update["update_id"] + 1, next(self._update_ids)))
        else:
            update = {"update_id": next(self._update_ids), **update}
        query = update.get("callback_query")
        if isinstance(query, dict) and query.get("id") is not None:
            self._queries.setdefault(str(query["id"]), False)
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._updates_changed.notify()
        return update

    def _user_message(self, user: FakeUser, content: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_of(user)
        message = {
            "message_id": next(chat.message_ids),
            "from": user.as_user(),
            "chat": user.as_chat(),
            "date": self.now(),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return self._enqueue({"message": copy.deepcopy(message)})

    async def _get_updates(self, params: dict[str, Any], files: object) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        if params.get("allowed_updates") is not None:
            allowed = params["allowed_updates"] or DEFAULT_ALLOWED_UPDATES
            self._allowed_updates = frozenset(allowed)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.notify()
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._deliverable(limit)
            if batch or self._closed or loop.time() >= deadline:
                return batch
            await self._updates_changed.wait(deadline - loop.time())
            if generation != self._poll_generation:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._queue = self._queue[offset:]
            return
        self._queue = [
            item for item in self._queue if item.redelivered or item.update["update_id"] >= offset
        ]

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        self._queue = [
            item for item in self._queue if _update_kind(item.update) in self._allowed_updates
        ]
        self._queue.sort(key=lambda item: item.update["update_id"])
        batch = self._queue[:limit]
        for item in batch:
            item.redelivered = False
        return [copy.deepcopy(item.update) for item in batch]

    def _set_webhook(self, params: dict[str, Any], files: object) -> bool:
        url = params["url"]
        if not url:
            self.webhook = None
            return True
        if not url.lower().startswith("https://"):
            raise TelegramError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {key: value for key, value in params.items() if key != "certificate"}
        self._updates_changed.notify()
        return True

    def _delete_webhook(self, params: dict[str, Any], files: object) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook:
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return info

    # Bot settings

    def _set_my_commands(self, params: dict[str, Any], files: object) -> bool:
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = copy.deepcopy(params["commands"])
        return True

    def _get_my_commands(self, params: dict[str, Any], files: object) -> list[dict[str, Any]]:
        return self.my_commands(params.get("scope"), params.get("language_code") or "")

    def _delete_my_commands(self, params: dict[str, Any], files: object) -> bool:
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any], files: object) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._chat(chat_id)
        self.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return button or {"type": "commands"}

    def _profile_setter(self, name: str) -> Callable[[dict[str, Any], object], bool]:
        def handler(params: dict[str, Any], files: object) -> bool:
            self.profile[(name, params.get("language_code") or "")] = params.get(name) or ""
            return True

        return handler

    def _profile_getter(self, name: str) -> Callable[[dict[str, Any], object], dict[str, str]]:
        def handler(params: dict[str, Any], files: object) -> dict[str, str]:
            language = params.get("language_code") or ""
            value = self.profile.get((name, language), self.profile.get((name, ""), ""))
            if name == "name" and not value:
                value = str(self.bot["first_name"])
            return {name: value}

        return handler

    # Sending

    def _send_message(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        content = _formatted(params, "text", "parse_mode", "entities", "entities")
        if params.get("link_preview_options"):
            content["link_preview_options"] = params["link_preview_options"]
        return self._send(params, content)

    def _send_photo(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        content = {"photo": self._photo_for(params["photo"])}
        return self._send(params, {**content, **_caption(params)})

    def _send_document(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        stored = self._file_for(params["document"], "document")
        content = {"document": self._document(stored)}
        return self._send(params, {**content, **_caption(params)})

    def _send_media_group(
        self, params: dict[str, Any], files: Mapping[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        chat = self._chat(params["chat_id"])
        group = str(secrets.randbits(62))
        sent = []
        for media in params["media"]:
            content = {**self._media_content(media, files), "media_group_id": group}
            sent.append(self._store_bot_message(chat, content, None, params))
        return [self._as_result(message) for message in sent]

    def _send(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        message = self._store_bot_message(chat, content, params.get("reply_markup"), params)
        return self._as_result(message)

    def _store_bot_message(
        self,
        chat: _Chat,
        content: dict[str, Any],
        reply_markup: dict[str, Any] | None,
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(chat.message_ids),
            "from": self.bot_user(),
            "chat": chat.user.as_chat(),
            "date": self.now(),
        }
        replied = self._replied(chat, params.get("reply_parameters"))
        if replied is not None:
            message["reply_to_message"] = replied
        message.update(content)
        if reply_markup is not None:
            message["reply_markup"] = copy.deepcopy(reply_markup)
            if "keyboard" in reply_markup:
                chat.reply_keyboard = copy.deepcopy(reply_markup)
            elif reply_markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        chat.messages[message["message_id"]] = message
        return message

    def _replied(self, chat: _Chat, reply: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not reply:
            return None
        target = chat.messages.get(reply["message_id"])
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise TelegramError(400, "Bad Request: message to be replied not found")
        replied = copy.deepcopy(target)
        replied.pop("reply_to_message", None)
        return _inline_only(replied)

    def _as_result(self, message: dict[str, Any]) -> dict[str, Any]:
        return _inline_only(copy.deepcopy(message))

    def _copy_message(self, params: dict[str, Any], files: object) -> dict[str, int]:
        source = self._source(params, "Bad Request: message to copy not found")
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
        content.pop("reply_markup", None)
        if "caption" in params:
            if not any(key in source for key in MEDIA_KEYS):
                raise TelegramError(400, "Bad Request: there is no caption in the message")
            content.pop("caption_entities", None)
            content.update(_caption(params))
        chat = self._chat(params["chat_id"])
        message = self._store_bot_message(chat, content, params.get("reply_markup"), params)
        return {"message_id": message["message_id"]}

    def _forward_message(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        source = self._source(params, "Bad Request: message to forward not found")
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
        content.pop("reply_markup", None)
        content["forward_origin"] = {
            "type": "user",
            "sender_user": copy.deepcopy(source["from"]),
            "date": source["date"],
        }
        return self._send(params, content)

    def _source(self, params: Mapping[str, Any], missing: str) -> dict[str, Any]:
        chat = self._chat(params["from_chat_id"])
        source = chat.messages.get(params["message_id"])
        if source is None:
            raise TelegramError(400, missing)
        return source

    # Editing and deleting

    def _edit(
        self, params: dict[str, Any], apply: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        if params.get("inline_message_id") is not None:
            raise TelegramError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot["id"]:
            raise TelegramError(400, "Bad Request: message can't be edited")
        edited = copy.deepcopy(message)
        edited.pop("edit_date", None)
        apply(edited)
        unchanged = {key: value for key, value in message.items() if key != "edit_date"}
        if edited == unchanged:
            raise TelegramError(400, NOT_MODIFIED)
        edited["edit_date"] = self.now()
        chat.messages[message["message_id"]] = edited
        return self._as_result(edited)

    def _edit_message_text(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        def apply(message: dict[str, Any]) -> None:
            if "text" not in message:
                raise TelegramError(400, "Bad Request: there is no text in the message to edit")
            message.pop("entities", None)
            message.update(_formatted(params, "text", "parse_mode", "entities", "entities"))
            _set_markup(message, params)

        return self._edit(params, apply)

    def _edit_message_caption(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        def apply(message: dict[str, Any]) -> None:
            if not any(key in message for key in MEDIA_KEYS):
                raise TelegramError(400, "Bad Request: there is no caption in the message to edit")
            message.pop("caption", None)
            message.pop("caption_entities", None)
            message.update(_caption(params))
            _set_markup(message, params)

        return self._edit(params, apply)

    def _edit_message_reply_markup(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        return self._edit(params, lambda message: _set_markup(message, params))

    def _edit_message_media(
        self, params: dict[str, Any], files: Mapping[str, UploadedFile]
    ) -> dict[str, Any]:
        def apply(message: dict[str, Any]) -> None:
            if not any(key in message for key in MEDIA_KEYS):
                raise TelegramError(400, "Bad Request: there is no media in the message to edit")
            for key in (*MEDIA_KEYS, "caption", "caption_entities"):
                message.pop(key, None)
            message.update(self._media_content(params["media"], files))
            _set_markup(message, params)

        return self._edit(params, apply)

    def _media_content(
        self, media: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> dict[str, Any]:
        source: Any = media["media"]
        if isinstance(source, str) and source.startswith("attach://"):
            source = self._attachment("InputMedia", "media", source, files)
        kind = media["type"]
        if kind == "photo":
            content: dict[str, Any] = {"photo": self._photo_for(source)}
        elif kind == "document":
            content = {"document": self._document(self._file_for(source, "document"))}
        else:
            stored = self._file_for(source, kind)
            content = {
                kind: bot_skeleton(
                    _MESSAGE_FIELD_TYPES.get(kind, kind),
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                    },
                )
            }
        content.update(_caption(media))
        return content

    def _delete_message(self, params: dict[str, Any], files: object) -> bool:
        chat = self._chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None:
            raise TelegramError(400, "Bad Request: message to delete not found")
        if self.now() - message["date"] > DELETE_WINDOW:
            raise TelegramError(400, "Bad Request: message can't be deleted for everyone")
        del chat.messages[params["message_id"]]
        return True

    def _delete_messages(self, params: dict[str, Any], files: object) -> bool:
        chat = self._chat(params["chat_id"])
        for message_id in params["message_ids"]:
            chat.messages.pop(message_id, None)
        return True

    def _answer_callback_query(self, params: dict[str, Any], files: object) -> bool:
        query_id = params["callback_query_id"]
        if self._queries.get(query_id, True):
            raise TelegramError(400, QUERY_INVALID)
        self._queries[query_id] = True
        return True

    # Files and chats

    def _get_file(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise TelegramError(400, "Bad Request: invalid file_id")
        if len(stored.data) > DOWNLOAD_LIMIT:
            raise TelegramError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _get_chat(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        return bot_skeleton(
            "ChatFullInfo",
            {
                **chat.user.as_chat(),
                "accent_color_id": 0,
                "max_reaction_count": 11,
            },
        )

    def _get_chat_member(self, params: dict[str, Any], files: object) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot["id"]:
            status = "kicked" if chat.user.id in self._blocked else "member"
            return {"status": status, "user": self.bot_user(), "until_date": 0}
        if user_id != chat.user.id:
            raise TelegramError(400, "Bad Request: user not found")
        return {"status": "member", "user": chat.user.as_user()}

    def _photo_for(self, source: Any) -> list[dict[str, Any]]:
        stored = self._file_for(source, "photo")
        return copy.deepcopy(self._photo_sizes[stored.file_id])

    def _file_for(self, source: Any, kind: str) -> StoredFile:
        if isinstance(source, UploadedFile):
            return self._store_upload(source, kind)
        if source.lower().startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(source).path).name or "file"
            return self._store(b"", kind, name, None, 0, 0)
        stored = self._files.get(source)
        if stored is None:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise TelegramError(400, "Bad Request: type of file mismatch")
        return stored

    def _store_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        if not upload.data:
            raise TelegramError(400, "Bad Request: file must be non-empty")
        if len(upload.data) > UPLOAD_LIMIT:
            raise TelegramError(413, "Request Entity Too Large")
        if kind != "photo":
            return self._store(upload.data, kind, upload.filename, upload.content_type, 0, 0)
        if len(upload.data) > PHOTO_LIMIT:
            raise TelegramError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        try:
            width, height = Image.open(io.BytesIO(upload.data)).size
        except (UnidentifiedImageError, OSError):
            raise TelegramError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise TelegramError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        sizes = []
        longest = max(width, height)
        for side in (90, 320, 800):
            if longest > side:
                scaled = (max(1, width * side // longest), max(1, height * side // longest))
                sizes.append(self._store(upload.data, "photo", None, None, *scaled))
        sizes.append(self._store(upload.data, "photo", None, None, width, height))
        photo = [
            {
                "file_id": item.file_id,
                "file_unique_id": item.file_unique_id,
                "file_size": len(item.data),
                "width": item.width,
                "height": item.height,
            }
            for item in sizes
        ]
        for item in sizes:
            self._photo_sizes[item.file_id] = photo
        return sizes[-1]

    def _store(
        self,
        data: bytes,
        kind: str,
        file_name: str | None,
        mime_type: str | None,
        width: int,
        height: int,
    ) -> StoredFile:
        number = next(self._file_numbers)
        suffix = ".jpg" if kind == "photo" else PurePosixPath(file_name or "").suffix
        folder = {"photo": "photos", "document": "documents"}.get(kind, f"{kind}s")
        stored = StoredFile(
            file_id=f"{_FILE_PREFIXES.get(kind, 'CAAC')}{number:06d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{number:06d}{secrets.token_urlsafe(6)}",
            data=data,
            kind=kind,
            file_path=f"{folder}/file_{number}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        return stored

    def _document(self, stored: StoredFile) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    # Everything else in the schema

    def _generic(
        self, method: str, params: dict[str, Any], files: Mapping[str, UploadedFile]
    ) -> Any:
        returns = bot_api().returns(method)
        if "Boolean" in returns or not returns:
            return True
        if returns[0] != "Message" or "chat_id" not in params:
            return bot_skeleton(returns[0])
        content = _caption(params)
        kind = re.sub(r"(?<!^)(?=[A-Z])", "_", method.removeprefix("send")).lower()
        if kind in _MESSAGE_FIELD_TYPES:
            values = {
                key: value for key, value in params.items() if not isinstance(value, dict | list)
            }
            source = params.get(kind)
            if isinstance(source, UploadedFile | str):
                stored = self._file_for(source, kind)
                values.update(file_id=stored.file_id, file_unique_id=stored.file_unique_id)
            content[kind] = bot_skeleton(_MESSAGE_FIELD_TYPES[kind], values)
        return self._send(params, content)


_FILE_PREFIXES = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "link_preview_options",
    *MEDIA_KEYS,
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
    "video_note",
    "reply_markup",
)
_MESSAGE_FIELD_TYPES = {
    name: spec["types"][0] for name, spec in bot_api().fields("Message").items()
}


def _is_chat_send(method: str) -> bool:
    return method.startswith(("send", "copyMessage", "forwardMessage", "editMessage"))


def _is_rate_limited(method: str) -> bool:
    return method != "sendChatAction" and method.startswith(("send", "copyMessage", "forward"))


def _update_kind(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _scope_key(scope: Mapping[str, Any] | None) -> str:
    if not scope or scope.get("type") == "default":
        return "default"
    return "|".join(f"{key}={scope[key]}" for key in sorted(scope))


def _formatted(
    params: Mapping[str, Any], name: str, mode: str, given: str, stored_as: str
) -> dict[str, Any]:
    text = params.get(name)
    if text is None:
        return {}
    entities = params.get(given)
    if entities is not None:
        parsed = FormattedText(text, copy.deepcopy(entities))
    else:
        parsed = parse_entities(text, params.get(mode))
    content: dict[str, Any] = {name: parsed.text}
    if parsed.entities:
        content[stored_as] = parsed.entities
    return content


def _caption(params: Mapping[str, Any]) -> dict[str, Any]:
    content = _formatted(params, "caption", "parse_mode", "caption_entities", "caption_entities")
    if content.get("caption") == "":
        return {}
    return content


def _set_markup(message: dict[str, Any], params: Mapping[str, Any]) -> None:
    if params.get("reply_markup") is not None:
        message["reply_markup"] = copy.deepcopy(params["reply_markup"])
    else:
        message.pop("reply_markup", None)


def _inline_only(message: dict[str, Any]) -> dict[str, Any]:
    markup = message.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        del message["reply_markup"]
    return message


def bot_skeleton(type_name: str, values: Mapping[str, Any] | None = None) -> Any:
    """A minimal valid object of a Bot API type: required fields filled from `values` when
    given there, else with zero values (0, "", False, [] or a nested skeleton)."""
    values = values or {}
    if type_name.startswith("Array of "):
        return []
    zero = {"Integer": 0, "Float": 0.0, "String": "", "Boolean": False}
    if type_name in zero:
        return zero[type_name]
    schema = bot_api()
    spec = schema.types.get(type_name, {})
    subtypes = [name for name in spec.get("subtypes", ()) if name in schema.types]
    if subtypes:
        named = schema.discriminators(type_name)
        kind = next((key for key, names in named.items() if subtypes[0] in names), None)
        result = bot_skeleton(subtypes[0], values)
        if kind is not None:
            result["type"] = kind
        return result
    result: dict[str, Any] = {}
    for name, item in schema.fields(type_name).items():
        if name in values and not isinstance(values[name], dict | list):
            result[name] = values[name]
        elif item["required"]:
            result[name] = bot_skeleton(item["types"][0])
    return result
