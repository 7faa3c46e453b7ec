"""An in-memory Telegram that answers Bot API calls the way the real one does, and refuses
every call the real one would refuse: unknown methods, missing or mistyped parameters, texts over
4096 characters, captions over 1024, callback data over 64 bytes, malformed HTML.

`FakeTelegram` is transport-independent: `tests.fakes.recording.RecordingSession` calls it in
process, `tests.fakes.http.FakeBotAPIServer` serves it over HTTP on 127.0.0.1. Tests (and the
sandbox) act as users through `send_text`, `press`, `send_photo`, `send_contact`, and read what
the bot did in `calls` and `chat_messages`.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "bot-api-schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
METHODS: dict[str, Any] = SCHEMA["methods"]
TYPES: dict[str, Any] = SCHEMA["types"]

BOT_ID = 4242
BOT_USERNAME = "loyalty_test_bot"
DEEP_LINK_RE = re.compile(r"^https://t\.me/([A-Za-z0-9_]+)\?start=(.*)$")
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
ALLOWED_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}


class Upload:
    """A file the bot sent as a multipart part (`attach://name`)."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.data = data
        self.filename = filename

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


# ----------------------------------------------------------------------------- validation


def validate_call(method: str, params: dict[str, Any]) -> list[str]:
    """What Telegram would object to in this call; empty when it would accept it."""
    spec = METHODS.get(method)
    if spec is None:
        return [f"{method}: no such Bot API method"]
    problems: list[str] = []
    fields = {f["name"]: f for f in spec.get("fields", [])}
    for name, spec_field in fields.items():
        value = params.get(name)
        if value is None:
            if spec_field["required"]:
                problems.append(f"{method}: required parameter {name} is missing")
            continue
        problems += _check_value(value, spec_field["types"], f"{method}.{name}")
    problems += _check_limits(method, params)
    return problems


def _check_value(value: Any, types: list[str], where: str) -> list[str]:
    errors_per_type = [_check_type(value, type_name, where) for type_name in types]
    if any(not errors for errors in errors_per_type):
        return []
    return min(errors_per_type, key=len)


def _check_type(value: Any, type_name: str, where: str) -> list[str]:
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{where}: expected {type_name}, got {type(value).__name__}"]
        inner = type_name.removeprefix("Array of ")
        problems: list[str] = []
        for index, item in enumerate(value):
            problems += _check_value(item, [inner], f"{where}[{index}]")
        return problems
    simple = {
        "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "Boolean": lambda v: isinstance(v, bool),
        "String": lambda v: isinstance(v, str),
        "InputFile": lambda v: isinstance(v, Upload),
        "True": lambda v: v is True,
    }
    if type_name in simple:
        ok = simple[type_name](value)
        return [] if ok else [f"{where}: expected {type_name}, got {value!r:.60}"]
    spec = TYPES.get(type_name)
    if spec is None:
        return [f"{where}: unknown type {type_name}"]
    if spec.get("subtypes"):
        return _check_value(value, spec["subtypes"], where)
    if not isinstance(value, dict):
        return [f"{where}: expected a {type_name} object, got {value!r:.60}"]
    problems = []
    for spec_field in spec.get("fields", []):
        name = spec_field["name"]
        if value.get(name) is None:
            if spec_field["required"]:
                problems.append(f"{where}: {type_name}.{name} is required")
            continue
        problems += _check_value(value[name], spec_field["types"], f"{where}.{name}")
    problems += _check_type_rules(type_name, value, where)
    return problems


def _check_type_rules(type_name: str, value: dict[str, Any], where: str) -> list[str]:
    """Constraints the schema states only in prose, and discriminators of union types."""
    problems: list[str] = []
    discriminators = {
        "InputMediaPhoto": "photo",
        "InputMediaDocument": "document",
        "InputMediaVideo": "video",
        "InputMediaAudio": "audio",
        "InputMediaAnimation": "animation",
        "BotCommandScopeDefault": "default",
        "BotCommandScopeAllPrivateChats": "all_private_chats",
        "BotCommandScopeChat": "chat",
        "BotCommandScopeAllGroupChats": "all_group_chats",
        "BotCommandScopeAllChatAdministrators": "all_chat_administrators",
        "BotCommandScopeChatAdministrators": "chat_administrators",
        "BotCommandScopeChatMember": "chat_member",
        "MenuButtonCommands": "commands",
        "MenuButtonDefault": "default",
        "MenuButtonWebApp": "web_app",
    }
    if type_name in discriminators and value.get("type") != discriminators[type_name]:
        problems.append(f"{where}: type must be {discriminators[type_name]!r}")
    if type_name == "InlineKeyboardButton":
        actions = [name for name in BUTTON_ACTIONS if value.get(name) is not None]
        if len(actions) != 1:
            problems.append(f"{where}: BUTTON_TYPE_INVALID: exactly one action, got {actions}")
        data = value.get("callback_data")
        if isinstance(data, str) and not 1 <= len(data.encode()) <= 64:
            problems.append(f"{where}: BUTTON_DATA_INVALID: callback_data is 1-64 bytes")
        url = value.get("url")
        if isinstance(url, str):
            problems += _check_url(url, where)
        if not value.get("text"):
            problems.append(f"{where}: button text is empty")
    if type_name == "KeyboardButton" and not value.get("text"):
        problems.append(f"{where}: keyboard button text is empty")
    if type_name == "BotCommand":
        if not COMMAND_RE.match(str(value.get("command", ""))):
            problems.append(f"{where}: BOT_COMMAND_INVALID {value.get('command')!r}")
        if not 1 <= len(str(value.get("description", ""))) <= 256:
            problems.append(f"{where}: command description must be 1-256 characters")
    if type_name == "InputMediaPhoto" and "caption" in value:
        problems += _check_text(value["caption"], value.get("parse_mode"), 0, 1024, where)
    return problems


def _check_url(url: str, where: str) -> list[str]:
    match = DEEP_LINK_RE.match(url)
    if match and not PAYLOAD_RE.match(match.group(2)):
        return [f"{where}: deep-link payload must be 1-64 characters of A-Za-z0-9_-"]
    if not url.startswith(("https://", "http://", "tg://")):
        return [f"{where}: BUTTON_URL_INVALID {url!r}"]
    return []


def _check_limits(method: str, params: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    mode = params.get("parse_mode")
    if method in ("sendMessage", "editMessageText") and isinstance(params.get("text"), str):
        problems += _check_text(params["text"], mode, 1, 4096, f"{method}.text")
    if isinstance(params.get("caption"), str):
        problems += _check_text(params["caption"], mode, 0, 1024, f"{method}.caption")
    if method == "answerCallbackQuery" and len(params.get("text") or "") > 200:
        problems.append("answerCallbackQuery.text: at most 200 characters")
    commands = params.get("commands") if method == "setMyCommands" else None
    if isinstance(commands, list) and not 1 <= len(commands) <= 100:
        problems.append("setMyCommands: 1-100 commands")
    return problems


def _check_text(text: str, parse_mode: Any, least: int, most: int, where: str) -> list[str]:
    problems: list[str] = []
    visible = text
    if parse_mode == "HTML":
        try:
            visible = html_to_text(text)
        except ValueError as exc:
            return [f"{where}: Bad Request: can't parse entities: {exc}"]
    elif parse_mode not in (None, "", "MarkdownV2", "Markdown"):
        problems.append(f"{where}: unsupported parse_mode {parse_mode!r}")
    length = len(visible.strip()) if least else len(visible)
    if length < least:
        problems.append(f"{where}: Bad Request: message text is empty")
    if len(visible) > most:
        problems.append(f"{where}: Bad Request: text is too long ({len(visible)} > {most})")
    return problems


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ValueError(f'unsupported start tag "{tag}"')
        for name, value in attrs:
            if name not in ALLOWED_TAGS[tag]:
                raise ValueError(f"unsupported attribute {name!r} of tag {tag!r}")
            if tag == "span" and value != "tg-spoiler":
                raise ValueError('span needs class="tg-spoiler"')
        if tag == "a" and not dict(attrs).get("href"):
            raise ValueError("a tag without href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise ValueError(f"self-closing tag {tag!r}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ValueError(f'unexpected end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise ValueError("unescaped < or >")
        if re.search(r"&(?!#?\w+;)", data):
            raise ValueError("unescaped &")
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            raise ValueError(f"unsupported HTML entity &{name};")
        self.out.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.out.append(html.unescape(f"&#{name};"))


def html_to_text(markup: str) -> str:
    """The visible text of Telegram-flavoured HTML; ValueError where Telegram refuses it."""
    if re.search(r"<(?![a-zA-Z/])", markup):
        raise ValueError("unescaped <")
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    if parser.rawdata:
        raise ValueError("unterminated tag")
    if parser.stack:
        raise ValueError(f'unclosed tag "{parser.stack[-1]}"')
    return "".join(parser.out)


# ----------------------------------------------------------------------------- the fake


class TelegramError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class RecordedCall:
    method: str
    params: dict[str, Any]
    result: Any = None
    error: TelegramError | None = None
    at: float = 0.0


@dataclass
class FakeUser:
    id: int
    first_name: str
    language_code: str | None = "ru"
    last_name: str | None = None
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class _Limits:
    global_per_second: float | None = None
    per_chat_per_second: float | None = None
    sent: list[float] = field(default_factory=list)
    per_chat: dict[int, float] = field(default_factory=dict)
    refused: int = 0


SENDING = {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"}


class FakeTelegram:
    """The state of a small Telegram: users, chats, messages, files and pending updates."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.users: dict[int, FakeUser] = {}
        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._files: dict[str, bytes] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._open_queries: set[str] = set()
        self._blocked: set[int] = set()
        self._failures: list[tuple[str, TelegramError]] = []
        self.limits = _Limits()
        self._call_listeners: list[Callable[[RecordedCall], None]] = []

    # --- users and what they do ------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Anna",
        language_code: str | None = "ru",
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        person = FakeUser(user_id, first_name, language_code, last_name, username)
        self.users[user_id] = person
        return person

    def _incoming(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        message_id = next(self._ids(user.id))
        message = {
            "message_id": message_id,
            "from": user.as_dict(),
            "chat": user.chat(),
            "date": int(self.clock()),
            **content,
        }
        self._messages.setdefault(user.id, {})[message_id] = message
        return self.inject_update({"message": message})

    def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        command = re.match(r"^/[A-Za-z0-9_]+(@\w+)?", text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return self._incoming(user, **content)

    def send_command(
        self, user: FakeUser, command: str, payload: str | None = None
    ) -> dict[str, Any]:
        return self.send_text(user, f"{command} {payload}" if payload else command)

    def send_photo(
        self, user: FakeUser, image: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = self._store(image)
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "width": 800,
                "height": 800,
                "file_size": len(image),
            }
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._incoming(user, **content)

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        filename: str,
        mime_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        file_id = self._store(data)
        return self._incoming(
            user,
            document={
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": len(data),
            },
        )

    def send_contact(self, user: FakeUser, phone: str, *, own: bool = True) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": user.first_name}
        contact["user_id"] = user.id if own else user.id + 10_000_000
        return self._incoming(user, contact=contact)

    def press(self, user: FakeUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        markup = message.get("reply_markup") or {}
        offered = [
            b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row
        ]
        assert data in offered, f"no button with data {data!r} under this message: {offered}"
        query_id = secrets.token_hex(8)
        self._open_queries.add(query_id)
        return self.inject_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_dict(),
                    "message": self._public(message),
                    "chat_instance": f"ci{user.id}",
                    "data": data,
                }
            }
        )

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        query = update.get("callback_query")
        if query:
            self._open_queries.add(query["id"])
        self._updates.append(update)
        self._new_update.set()
        return update

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same update again, as Telegram does when a webhook answer was lost."""
        query = update.get("callback_query")
        if query:
            self._open_queries.add(query["id"])
        self._updates.append(update)
        self._new_update.set()
        return update

    # --- failures and limits for tests -------------------------------------------------------

    def block(self, user_id: int) -> None:
        self._blocked.add(user_id)

    def rate_limit(
        self, global_per_second: float | None = 30, per_chat_per_second: float | None = 1
    ) -> None:
        self.limits = _Limits(global_per_second, per_chat_per_second)

    def fail_next(
        self,
        method: str,
        code: int,
        description: str,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        for _ in range(times):
            self._failures.append((method, TelegramError(code, description, retry_after)))

    # --- reading what happened ---------------------------------------------------------------

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages in the chat as they are now (edits applied). Bot messages also carry, for
        tests, `_reply_keyboard` (a reply keyboard sent with them) and `_html` (the markup)."""
        return [dict(message) for message in self._messages.get(chat_id, {}).values()]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.chat_messages(chat_id) if m["from"]["id"] == BOT_ID]

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id]

    def calls_of(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_call(
        self, method: str, chat_id: int | None = None, *, after: int = 0, timeout: float = 10
    ) -> RecordedCall:
        """The first call of `method` (to `chat_id`) recorded at index `after` or later."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[after:]:
                if call.method == method and (
                    chat_id is None or call.params.get("chat_id") == chat_id
                ):
                    return call
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls[after:]]
                raise TimeoutError(f"no {method} to {chat_id} within {timeout}s; saw {seen}")
            await asyncio.sleep(0.02)

    # --- the Bot API --------------------------------------------------------------------------

    async def handle(self, method: str, params: dict[str, Any]) -> Any:
        """Answer one call: the result, or TelegramError as Telegram would answer."""
        call = RecordedCall(method, params, at=time.monotonic())
        self.calls.append(call)
        try:
            problems = validate_call(method, params)
            if problems:
                self.violations += problems
                raise TelegramError(400, "Bad Request: " + "; ".join(problems))
            for index, (failing, error) in enumerate(self._failures):
                if failing == method:
                    del self._failures[index]
                    raise error
            self._enforce_limits(method, params)
            handler = getattr(self, f"_api_{method}", None)
            call.result = await handler(params) if handler else True
            return call.result
        except TelegramError as exc:
            call.error = exc
            raise

    def _enforce_limits(self, method: str, params: dict[str, Any]) -> None:
        if method not in SENDING:
            return
        chat_id = params.get("chat_id")
        if chat_id in self._blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        limits, now = self.limits, time.monotonic()
        if limits.global_per_second:
            limits.sent = [moment for moment in limits.sent if now - moment < 1]
            if len(limits.sent) >= limits.global_per_second:
                limits.refused += 1
                raise TelegramError(429, "Too Many Requests: retry after 1", retry_after=1)
        if limits.per_chat_per_second and isinstance(chat_id, int):
            last = limits.per_chat.get(chat_id)
            if last is not None and now - last < 1 / limits.per_chat_per_second:
                limits.refused += 1
                raise TelegramError(429, "Too Many Requests: retry after 1", retry_after=1)
            limits.per_chat[chat_id] = now
        if limits.global_per_second:
            limits.sent.append(now)

    def _ids(self, chat_id: int) -> itertools.count[int]:
        return self._message_ids.setdefault(chat_id, itertools.count(1))

    def _store(self, data: bytes) -> str:
        file_id = "F" + secrets.token_urlsafe(24)
        self._files[file_id] = data
        return file_id

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.users:
            raise TelegramError(400, "Bad Request: chat not found")
        return chat_id

    def _media(self, value: Any, kind: str) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(value, Upload):
            data, file_id = value.data, self._store(value.data)
        elif isinstance(value, str) and value in self._files:
            data, file_id = self._files[value], value
        else:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if kind == "photo":
            return [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id[-12:],
                    "width": 800,
                    "height": 1000,
                    "file_size": len(data),
                }
            ]
        filename = value.filename if isinstance(value, Upload) else "file"
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_name": filename,
            "file_size": len(data),
        }

    def _bot_message(self, chat_id: int, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._ids(chat_id)),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Loyalty",
                "username": BOT_USERNAME,
            },
            "chat": self.users[chat_id].chat(),
            "date": int(self.clock()),
            **content,
        }
        if (
            isinstance(params.get("reply_markup"), dict)
            and "inline_keyboard" in params["reply_markup"]
        ):
            message["reply_markup"] = params["reply_markup"]
        elif isinstance(params.get("reply_markup"), dict):
            message["_reply_keyboard"] = params["reply_markup"]
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return self._public(message)

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in message.items() if not key.startswith("_")}

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        message = self._messages.get(chat_id, {}).get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None or message["from"]["id"] != BOT_ID:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return message

    @staticmethod
    def _visible(text: str, params: dict[str, Any]) -> str:
        return html_to_text(text) if params.get("parse_mode") == "HTML" else text

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Loyalty",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset") or 0
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = params.get("timeout") or 0
        deadline = time.monotonic() + timeout
        while not self._updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self._updates[: params.get("limit") or 100]

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = params["commands"]
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        return self._bot_message(
            chat_id, params, text=self._visible(params["text"], params), _html=params["text"]
        )

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        content: dict[str, Any] = {"photo": self._media(params["photo"], "photo")}
        if params.get("caption"):
            content["caption"] = self._visible(params["caption"], params)
        return self._bot_message(chat_id, params, **content)

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        content: dict[str, Any] = {"document": self._media(params["document"], "document")}
        if params.get("caption"):
            content["caption"] = self._visible(params["caption"], params)
        return self._bot_message(chat_id, params, **content)

    async def _api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        source = self._messages.get(params["from_chat_id"], {}).get(params["message_id"])
        if source is None:
            raise TelegramError(400, "Bad Request: message to copy not found")
        content = {
            key: source[key] for key in ("text", "photo", "caption", "document") if key in source
        }
        message = self._bot_message(chat_id, params, **content)
        return {"message_id": message["message_id"]}

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        if "text" not in message:
            raise TelegramError(400, "Bad Request: there is no text in the message to edit")
        new_markup = params.get("reply_markup")
        if message.get("_html") == params["text"] and message.get("reply_markup") == new_markup:
            raise TelegramError(400, "Bad Request: message is not modified")
        message["text"] = self._visible(params["text"], params)
        message["_html"] = params["text"]
        self._set_markup(message, new_markup)
        return self._public(message)

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        message["caption"] = self._visible(params.get("caption") or "", params)
        self._set_markup(message, params.get("reply_markup"))
        return self._public(message)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise TelegramError(400, "Bad Request: message is not modified")
        self._set_markup(message, params.get("reply_markup"))
        return self._public(message)

    async def _api_editMessageMedia(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        media = params["media"]
        kind = media["type"]
        if kind not in message and not (kind == "photo" and "photo" in message):
            raise TelegramError(400, "Bad Request: can't change the media type")
        source = media["media"]
        if isinstance(source, str) and source.startswith("attach://"):
            upload = params.get("_attachments", {}).get(source.removeprefix("attach://"))
            if upload is None:
                raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            source = upload
        message[kind] = self._media(source, kind)
        if media.get("caption") is not None:
            message["caption"] = self._visible(media["caption"], media)
        else:
            message.pop("caption", None)
        self._set_markup(message, params.get("reply_markup"))
        return self._public(message)

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: Any) -> None:
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        if self._messages.get(chat_id, {}).pop(params["message_id"], None) is None:
            raise TelegramError(400, "Bad Request: message to delete not found")
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._open_queries:
            raise TelegramError(
                400,
                "Bad Request: query is too old and response timeout expired "
                "or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        if file_id not in self._files:
            raise TelegramError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_size": len(self._files[file_id]),
            "file_path": f"files/{file_id}",
        }

    async def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        return {
            **self.users[chat_id].chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
            },
        }

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def download(self, file_path: str) -> bytes:
        file_id = file_path.removeprefix("files/")
        if file_id not in self._files:
            raise TelegramError(404, "Not Found")
        return self._files[file_id]


# ----------------------------------------------------------------------------- wire format


def decode_params(method: str, raw: dict[str, Any], files: dict[str, Upload]) -> dict[str, Any]:
    """Form fields as Telegram reads them: typed by the method's declared parameter types.
    Raises TelegramError(400) for a value that can't be read as its type."""
    spec = {f["name"]: f["types"] for f in METHODS.get(method, {}).get("fields", [])}
    params: dict[str, Any] = {}
    for name, value in raw.items():
        types = spec.get(name)
        if not isinstance(value, str) or types is None:
            params[name] = value
            continue
        params[name] = _decode(value, types, files, name)
    params["_attachments"] = files
    return params


def _decode(value: str, types: list[str], files: dict[str, Upload], name: str) -> Any:
    if value.startswith("attach://") and "InputFile" in types:
        upload = files.get(value.removeprefix("attach://"))
        if upload is None:
            raise TelegramError(400, f"Bad Request: file for {name} not found in the request")
        return upload
    for type_name in types:
        if type_name == "String" or type_name == "InputFile":
            continue
        if type_name == "Integer" and re.fullmatch(r"-?\d+", value):
            return int(value)
        if type_name == "Float":
            try:
                return float(value)
            except ValueError:
                continue
        if type_name == "Boolean" and value in ("true", "false", "True", "False", "1", "0"):
            return value.lower() in ("true", "1")
        if type_name not in ("Integer", "Float", "Boolean"):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                continue
    if "String" in types or "InputFile" in types:
        return value
    raise TelegramError(400, f"Bad Request: can't parse {name} as {'/'.join(types)}")
