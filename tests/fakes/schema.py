"""The Bot API as data, and a validator as strict as Telegram.

`validate_call(method, params)` lists every reason Telegram would refuse a call: unknown method,
missing or mistyped parameters (recursively through nested objects), and the limits the Bot API
states only in prose (text lengths after entity parsing, `callback_data` bytes, deep-link
payloads, bot commands, inline buttons, HTML and MarkdownV2 markup).

Params are decoded Python values: dicts and lists for JSON objects, `str`/`int`/`float`/`bool`,
and `UploadedFile` for a multipart upload. `decode_form` turns wire strings (what aiogram
sends as form fields) into such values using the declared types, as Telegram's server does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "bot-api-schema.json"

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
BOT_COMMAND_DESCRIPTION_LIMIT = 256
BOT_COMMANDS_LIMIT = 100
INLINE_KEYBOARD_BUTTONS_LIMIT = 100
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
INLINE_BUTTON_ACTIONS = (
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
# Families whose subtypes share a `type` field that doesn't follow the subtype's name.
_LOOSE_FAMILIES = frozenset({"InlineQueryResult", "PassportElementError"})
_PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})


@dataclass(frozen=True)
class UploadedFile:
    """A file that arrived as a multipart/form-data part: what Telegram gets for an InputFile."""

    data: bytes = field(repr=False)
    filename: str = "file"
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes, {self.content_type!r})"


@dataclass(frozen=True)
class Violation:
    """One reason Telegram would refuse a call.

    `where` names the method and the parameter path, `description` is what Telegram would
    answer ("Bad Request: ..."), `detail` says what exactly was wrong.
    """

    where: str
    description: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.where}: {self.description}{detail}"


class EntityParseError(ValueError):
    """Markup in a text can't be parsed; the message is Telegram's, after "can't parse
    entities:"."""


class ParamDecodeError(ValueError):
    """A wire value can't be decoded to its declared type; carries the violation."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation


@dataclass(frozen=True)
class FormattedText:
    """A text after entity parsing: the plain text Telegram stores and its entities."""

    text: str
    entities: list[dict[str, Any]]


class BotAPISchema:
    """The Bot API description loaded from `tests/data/bot-api-schema.json`."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "")
        self.methods: dict[str, dict[str, Any]] = data["methods"]
        self.types: dict[str, dict[str, Any]] = data["types"]

    @classmethod
    def load(cls, path: Path = SCHEMA_PATH) -> BotAPISchema:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def fields(self, owner: str) -> dict[str, dict[str, Any]]:
        """Fields of a method or a type by name (empty for unknown owners)."""
        spec = self.methods.get(owner) or self.types.get(owner) or {}
        return {item["name"]: item for item in spec.get("fields", ())}

    def returns(self, method: str) -> list[str]:
        return list(self.methods[method].get("returns", ()))

    def discriminators(self, family: str) -> dict[str, list[str]]:
        """`type` values of an abstract type's subtypes, derived from their names.

        BotCommandScopeAllPrivateChats -> "all_private_chats", InputMediaPhoto -> "photo".
        """
        return _discriminators(self, family)


@cache
def bot_api() -> BotAPISchema:
    """The schema, loaded once per process."""
    return BotAPISchema.load()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


def validate_call(method: str, params: Mapping[str, Any]) -> list[str]:
    """Every reason Telegram would refuse `method(**params)`; empty when it would accept it."""
    return [str(violation) for violation in find_violations(method, params)]


def find_violations(method: str, params: Mapping[str, Any]) -> list[Violation]:
    """Like `validate_call`, as `Violation` objects (Telegram's description kept apart)."""
    schema = bot_api()
    if method not in schema.methods:
        hint = [name for name in schema.methods if name.lower() == method.lower()]
        detail = f"no method {method!r} in {schema.version}"
        if hint:
            detail += f"; did you mean {hint[0]!r}?"
        return [Violation(method, "Not Found", detail)]
    checker = _Checker(schema, method)
    checker.check_fields(params, method, "")
    rule = _METHOD_RULES.get(method)
    if rule is not None:
        rule(checker, params)
    return checker.found


def decode_form(method: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Decode wire values (form fields, query string) by the method's declared types.

    Integer fields become int, Boolean 'true'/'false' become bool, objects and arrays are
    parsed as JSON; an `UploadedFile` or an undeclared parameter is kept as it is.
    Raises `ParamDecodeError` when a value can't be decoded, as Telegram answers 400.
    """
    declared = bot_api().fields(method)
    decoded: dict[str, Any] = {}
    for name, raw in form.items():
        spec = declared.get(name)
        if spec is None or not isinstance(raw, str):
            decoded[name] = raw
        else:
            decoded[name] = _decode_value(method, name, raw, spec["types"])
    return decoded


def decode_json(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Decode a JSON body: string values are read as wire strings, the way Telegram does."""
    return decode_form(method, params)


def parse_entities(text: str, parse_mode: str | None) -> FormattedText:
    """Parse HTML, MarkdownV2 or Markdown the way Telegram does.

    Returns the plain text and its entities (offsets in UTF-16 code units). Raises
    `EntityParseError` with Telegram's message for markup Telegram refuses. Leading and
    trailing whitespace is trimmed, as Telegram trims message texts and captions.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        parsed = _HtmlParser(text).parse()
    elif mode == "markdownv2":
        parsed = _MarkdownV2Parser(text).parse()
    elif mode == "markdown":
        parsed = _parse_legacy_markdown(text)
    elif not mode:
        parsed = FormattedText(text, [])
    else:
        raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    return _trim(parsed)


def is_supported_parse_mode(parse_mode: str) -> bool:
    return parse_mode.lower() in {"", "html", "markdownv2", "markdown"}


# Decoding wire values


_INTEGER = re.compile(r"-?\d+")
_JSON_MESSAGES = {
    "reply_markup": "Bad Request: can't parse reply keyboard markup JSON object",
    "entities": "Bad Request: can't parse entities JSON object",
    "caption_entities": "Bad Request: can't parse entities JSON object",
}


def _decode_value(method: str, name: str, raw: str, types: list[str]) -> Any:
    where = f"{method}: {name}"
    if "String" in types or "InputFile" in types:
        if "Integer" in types and _INTEGER.fullmatch(raw):
            return int(raw)
        if not all(_is_primitive(item) for item in types) and raw[:1] in "{[":
            try:
                return json.loads(raw)
            except ValueError:
                return raw
        return raw
    if types == ["Integer"]:
        if _INTEGER.fullmatch(raw):
            return int(raw)
        raise ParamDecodeError(
            Violation(where, f'Bad Request: parameter "{name}" must be an Integer', repr(raw))
        )
    if set(types) <= {"Integer", "Float"}:
        try:
            return int(raw) if _INTEGER.fullmatch(raw) else float(raw)
        except ValueError:
            raise ParamDecodeError(
                Violation(where, f'Bad Request: parameter "{name}" must be a Float', repr(raw))
            ) from None
    if types == ["Boolean"]:
        lowered = raw.lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
        raise ParamDecodeError(
            Violation(where, f'Bad Request: parameter "{name}" must be a Boolean', repr(raw))
        )
    try:
        return json.loads(raw)
    except ValueError:
        description = _JSON_MESSAGES.get(name, f'Bad Request: can\'t parse JSON in "{name}"')
        raise ParamDecodeError(Violation(where, description, repr(raw[:80]))) from None


def _is_primitive(type_name: str) -> bool:
    return type_name in _PRIMITIVES


# Type checking


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _discriminators(schema: BotAPISchema, family: str) -> dict[str, list[str]]:
    subtypes = [name for name in schema.types[family].get("subtypes", ()) if name in schema.types]
    typed = all(schema.fields(name).get("type", {}).get("required") for name in subtypes)
    if len(subtypes) < 2 or not typed:
        return {}
    prefix = subtypes[0]
    for name in subtypes[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    while prefix and not all(name[len(prefix) :][:1].isupper() for name in subtypes):
        prefix = prefix[:-1]
    named: dict[str, list[str]] = {}
    for name in subtypes:
        named.setdefault(_snake(name[len(prefix) :]), []).append(name)
    return named


class _Checker:
    """Walks a value against Bot API types, collecting violations."""

    def __init__(self, schema: BotAPISchema, method: str) -> None:
        self.schema = schema
        self.method = method
        self.found: list[Violation] = []

    def report(self, path: str, description: str, detail: str = "") -> None:
        where = f"{self.method}: {path}" if path else self.method
        self.found.append(Violation(where, description, detail))

    def trial(self, value: Any, type_name: str, path: str) -> list[Violation]:
        checker = _Checker(self.schema, self.method)
        checker.check_one(value, type_name, path)
        return checker.found

    def check(self, value: Any, types: list[str], path: str) -> None:
        if len(types) == 1:
            self.check_one(value, types[0], path)
            return
        trials = []
        for type_name in types:
            found = self.trial(value, type_name, path)
            if not found:
                return
            trials.append((type_name, found))
        for type_name, found in trials:
            if self.shape_matches(value, type_name):
                self.found.extend(found)
                return
        self.report(
            path, f"Bad Request: {path} must be {' or '.join(types)}", f"got {_describe(value)}"
        )

    def shape_matches(self, value: Any, type_name: str) -> bool:
        if type_name.startswith("Array of "):
            return isinstance(value, list)
        simple = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "String": lambda v: isinstance(v, str),
            "InputFile": lambda v: isinstance(v, UploadedFile),
        }
        if type_name in simple:
            return simple[type_name](value)
        spec = self.schema.types.get(type_name)
        if spec is None or not isinstance(value, dict):
            return False
        if spec.get("subtypes"):
            return any(self.shape_matches(value, sub) for sub in spec["subtypes"])
        required = [item["name"] for item in spec.get("fields", ()) if item["required"]]
        return all(value.get(name) is not None for name in required)

    def check_one(self, value: Any, type_name: str, path: str) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                self.report(path, f"Bad Request: {path} must be an Array", _describe(value))
                return
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                self.check_one(item, inner, f"{path}[{index}]")
            return
        if type_name in _PRIMITIVES:
            if not self.shape_matches(value, type_name):
                article = "an" if type_name[0] in "AEIOU" else "a"
                self.report(
                    path, f"Bad Request: {path} must be {article} {type_name}", _describe(value)
                )
            return
        spec = self.schema.types.get(type_name)
        if spec is None:
            return
        if spec.get("subtypes"):
            self.check_abstract(value, type_name, spec["subtypes"], path)
            return
        if not isinstance(value, dict):
            self.report(
                path, f"Bad Request: {path} must be a JSON object ({type_name})", _describe(value)
            )
            return
        self.check_fields(value, type_name, path)

    def check_abstract(self, value: Any, family: str, subtypes: list[str], path: str) -> None:
        kind = value.get("type") if isinstance(value, dict) else None
        if isinstance(kind, str) and family not in _LOOSE_FAMILIES:
            named = self.schema.discriminators(family)
            typed = [sub for sub in subtypes if sub in self.schema.types]
            if kind in named:
                self.check(value, named[kind], path)
                return
            if named and len(typed) == len(subtypes):
                self.report(
                    _join(path, "type"),
                    f'Bad Request: unsupported {family} type "{kind}"',
                    f"expected one of {', '.join(sorted(named))}",
                )
                return
        self.check(value, list(subtypes), path)

    def check_fields(self, value: Mapping[str, Any], owner: str, path: str) -> None:
        declared = self.schema.fields(owner)
        for name, spec in declared.items():
            item = value.get(name)
            if item is None:
                if spec["required"]:
                    self.report_missing(owner, name, path)
                continue
            self.check(item, spec["types"], _join(path, name))
        self.check_formatted_texts(value, owner, declared, path)
        rule = _TYPE_RULES.get(owner)
        if rule is not None:
            rule(self, value, path)

    def report_missing(self, owner: str, name: str, path: str) -> None:
        messages = {
            "text": "Bad Request: message text is empty",
            "chat_id": "Bad Request: chat_id is empty",
            "photo": "Bad Request: there is no photo in the request",
            "document": "Bad Request: there is no document in the request",
            "callback_query_id": "Bad Request: QUERY_ID_INVALID",
        }
        if path == "" and name in messages:
            self.report(name, messages[name])
        elif path == "":
            self.report(name, f'Bad Request: parameter "{name}" is required')
        else:
            self.report(_join(path, name), f'Bad Request: field "{name}" of {owner} is required')

    def check_formatted_texts(
        self,
        value: Mapping[str, Any],
        owner: str,
        declared: Mapping[str, Any],
        path: str,
    ) -> None:
        for text_name, mode_name, entities_name in _FORMATTED_FIELDS:
            if text_name not in declared or mode_name not in declared:
                continue
            text = value.get(text_name)
            mode = value.get(mode_name)
            if isinstance(mode, str) and not is_supported_parse_mode(mode):
                self.report(_join(path, mode_name), "Bad Request: unsupported parse_mode", mode)
                continue
            if not isinstance(text, str):
                continue
            if value.get(entities_name) is not None:
                mode = None
            try:
                plain = parse_entities(text, mode if isinstance(mode, str) else None).text
            except EntityParseError as error:
                self.report(_join(path, text_name), f"Bad Request: can't parse entities: {error}")
                continue
            self.check_text_length(owner, text_name, plain, _join(path, text_name))

    def check_text_length(self, owner: str, name: str, plain: str, path: str) -> None:
        length = utf16_len(plain)
        if name == "text" and owner in {"sendMessage", "editMessageText"}:
            if length == 0:
                self.report(path, "Bad Request: message text is empty")
            elif length > MESSAGE_TEXT_LIMIT:
                self.report(
                    path,
                    "Bad Request: message is too long",
                    f"{length} characters after entity parsing, at most {MESSAGE_TEXT_LIMIT}",
                )
        elif name == "caption" and length > CAPTION_LIMIT:
            self.report(
                path,
                "Bad Request: message caption is too long",
                f"{length} characters after entity parsing, at most {CAPTION_LIMIT}",
            )


_FORMATTED_FIELDS = (
    ("text", "parse_mode", "entities"),
    ("caption", "parse_mode", "caption_entities"),
    ("message_text", "parse_mode", "entities"),
    ("quote", "quote_parse_mode", "quote_entities"),
    ("question", "question_parse_mode", "question_entities"),
    ("explanation", "explanation_parse_mode", "explanation_entities"),
    ("text", "text_parse_mode", "text_entities"),
)


# Limits stated in prose


def _check_inline_button(checker: _Checker, button: Mapping[str, Any], path: str) -> None:
    actions = [name for name in INLINE_BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        checker.report(
            path,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
            f"button {button.get('text')!r} has none of {', '.join(INLINE_BUTTON_ACTIONS)}",
        )
    elif len(actions) > 1:
        checker.report(
            path,
            "Bad Request: can't parse inline keyboard button: "
            "exactly one of the optional fields must be used",
            f"got {', '.join(actions)}",
        )
    text = button.get("text")
    if isinstance(text, str) and not text.strip():
        checker.report(_join(path, "text"), "Bad Request: BUTTON_TEXT_INVALID", "empty text")
    data = button.get("callback_data")
    if isinstance(data, str):
        size = len(data.encode("utf-8"))
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            checker.report(
                _join(path, "callback_data"),
                "Bad Request: BUTTON_DATA_INVALID",
                f"{size} bytes in UTF-8, must be 1-{CALLBACK_DATA_LIMIT}",
            )
    url = button.get("url")
    if isinstance(url, str):
        _check_button_url(checker, url, _join(path, "url"))


def _check_button_url(checker: _Checker, url: str, path: str) -> None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https", "tg", "ton"} or (scheme != "tg" and not parts.netloc):
        checker.report(path, "Bad Request: BUTTON_URL_INVALID", repr(url))
        return
    host = (parts.hostname or "").lower()
    if host not in {"t.me", "telegram.me", "telegram.dog"}:
        return
    for key in ("start", "startgroup"):
        for payload in parse_qs(parts.query, keep_blank_values=True).get(key, ()):
            if not DEEP_LINK_PAYLOAD.fullmatch(payload):
                checker.report(
                    path,
                    "Bad Request: invalid deep link parameter",
                    f"{key}={payload!r}: must be 1-64 characters of A-Z, a-z, 0-9, _ and -; "
                    "Telegram drops such a payload",
                )


def _check_inline_keyboard(checker: _Checker, markup: Mapping[str, Any], path: str) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list):
        return
    count = sum(len(row) for row in rows if isinstance(row, list))
    if count > INLINE_KEYBOARD_BUTTONS_LIMIT:
        checker.report(
            _join(path, "inline_keyboard"),
            "Bad Request: reply markup is too long",
            f"{count} buttons, at most {INLINE_KEYBOARD_BUTTONS_LIMIT}",
        )


def _check_keyboard_button(checker: _Checker, button: Mapping[str, Any], path: str) -> None:
    text = button.get("text")
    if isinstance(text, str) and not text.strip():
        checker.report(_join(path, "text"), "Bad Request: BUTTON_TEXT_INVALID", "empty text")


def _check_bot_command(checker: _Checker, command: Mapping[str, Any], path: str) -> None:
    name = command.get("command")
    if isinstance(name, str) and not BOT_COMMAND.fullmatch(name):
        checker.report(
            _join(path, "command"),
            "Bad Request: BOT_COMMAND_INVALID",
            f"{name!r}: 1-32 characters of a-z, 0-9 and _",
        )
    description = command.get("description")
    if isinstance(description, str) and not (
        description.strip() and len(description) <= BOT_COMMAND_DESCRIPTION_LIMIT
    ):
        checker.report(
            _join(path, "description"),
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
            f"{len(description)} characters, must be 1-{BOT_COMMAND_DESCRIPTION_LIMIT}",
        )


def _check_web_app(checker: _Checker, web_app: Mapping[str, Any], path: str) -> None:
    url = web_app.get("url")
    if isinstance(url, str) and not url.lower().startswith("https://"):
        checker.report(
            _join(path, "url"),
            "Bad Request: BUTTON_TYPE_INVALID",
            f"Web App URL {url!r}: only HTTPS links are allowed",
        )


_TYPE_RULES: dict[str, Callable[[_Checker, Mapping[str, Any], str], None]] = {
    "InlineKeyboardButton": _check_inline_button,
    "InlineKeyboardMarkup": _check_inline_keyboard,
    "KeyboardButton": _check_keyboard_button,
    "BotCommand": _check_bot_command,
    "WebAppInfo": _check_web_app,
}


def _check_language_code(checker: _Checker, params: Mapping[str, Any]) -> None:
    code = params.get("language_code")
    if isinstance(code, str) and not re.fullmatch(r"([a-z]{2})?", code):
        checker.report(
            "language_code", "Bad Request: LANG_CODE_INVALID", f"{code!r}: two-letter ISO 639-1"
        )


def _check_set_my_commands(checker: _Checker, params: Mapping[str, Any]) -> None:
    commands = params.get("commands")
    if isinstance(commands, list):
        if not commands:
            checker.report("commands", "Bad Request: BOT_COMMANDS_EMPTY", "at least 1 command")
        elif len(commands) > BOT_COMMANDS_LIMIT:
            checker.report(
                "commands",
                "Bad Request: BOT_COMMANDS_TOO_MUCH",
                f"{len(commands)} commands, at most {BOT_COMMANDS_LIMIT}",
            )
        names = [item.get("command") for item in commands if isinstance(item, dict)]
        duplicates = sorted({name for name in names if names.count(name) > 1 and name})
        if duplicates:
            checker.report(
                "commands", "Bad Request: BOT_COMMAND_INVALID", f"repeated {duplicates}"
            )
    _check_language_code(checker, params)


def _check_answer_callback_query(checker: _Checker, params: Mapping[str, Any]) -> None:
    text = params.get("text")
    if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
        checker.report(
            "text",
            "Bad Request: MESSAGE_TOO_LONG",
            f"{len(text)} characters, at most {CALLBACK_ANSWER_LIMIT}",
        )


def _check_chat_action(checker: _Checker, params: Mapping[str, Any]) -> None:
    action = params.get("action")
    if isinstance(action, str) and action not in CHAT_ACTIONS:
        checker.report("action", "Bad Request: wrong parameter action in request", repr(action))


def _check_edit_target(checker: _Checker, params: Mapping[str, Any]) -> None:
    if params.get("inline_message_id") is not None:
        return
    if params.get("chat_id") is None:
        checker.report("chat_id", "Bad Request: chat_id is empty")
    elif params.get("message_id") is None:
        checker.report("message_id", "Bad Request: message identifier is not specified")


def _text_limit(name: str, limit: int) -> Callable[[_Checker, Mapping[str, Any]], None]:
    def check(checker: _Checker, params: Mapping[str, Any]) -> None:
        value = params.get(name)
        if isinstance(value, str) and len(value) > limit:
            detail = f"{len(value)} characters, at most {limit}"
            checker.report(name, f"Bad Request: {name} is too long", detail)
        _check_language_code(checker, params)

    return check


_METHOD_RULES: dict[str, Callable[[_Checker, Mapping[str, Any]], None]] = {
    "setMyCommands": _check_set_my_commands,
    "getMyCommands": _check_language_code,
    "deleteMyCommands": _check_language_code,
    "answerCallbackQuery": _check_answer_callback_query,
    "sendChatAction": _check_chat_action,
    "editMessageText": _check_edit_target,
    "editMessageCaption": _check_edit_target,
    "editMessageMedia": _check_edit_target,
    "editMessageReplyMarkup": _check_edit_target,
    "setMyDescription": _text_limit("description", 512),
    "setMyShortDescription": _text_limit("short_description", 120),
    "setMyName": _text_limit("name", 64),
}


# Entity parsing


def _trim(parsed: FormattedText) -> FormattedText:
    whitespace = " \t\r\n"
    text = parsed.text
    stripped = text.strip(whitespace)
    if stripped == text:
        return parsed
    lead = utf16_len(text[: len(text) - len(text.lstrip(whitespace))])
    size = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z][a-zA-Z0-9]*));")
_HTML_START = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_HTML_ATTRIBUTE = re.compile(
    r"""\s+([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)
_HTML_END = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")


@dataclass
class _OpenTag:
    name: str
    start: int
    attributes: dict[str, str]
    language: str | None = None


class _HtmlParser:
    """Telegram's HTML: the documented tags only, nested and closed, `<>&` escaped."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.units = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.units += sum(_units(char) for char in chars)

    def parse(self) -> FormattedText:
        text = self.text
        index = 0
        while index < len(text):
            char = text[index]
            if char == "&":
                index = self.entity(index)
            elif char == ">":
                raise EntityParseError(
                    f"Character '>' at byte offset {self.byte_offset(index)} "
                    "must be escaped as &gt;"
                )
            elif char != "<":
                self.emit(char)
                index += 1
            elif text.startswith("</", index):
                index = self.end_tag(index)
            else:
                index = self.start_tag(index)
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return FormattedText("".join(self.out), _sorted(self.entities))

    def entity(self, index: int) -> int:
        match = _HTML_ENTITY.match(self.text, index)
        char = self.decode_entity(match) if match else None
        if char is None:
            raise EntityParseError(
                f"Character '&' at byte offset {self.byte_offset(index)} must be escaped as "
                "&amp; (only &lt; &gt; &amp; &quot; and numeric entities are supported)"
            )
        self.emit(char)
        assert match is not None
        return match.end()

    @staticmethod
    def decode_entity(match: re.Match[str]) -> str | None:
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            return _HTML_NAMED.get(name)
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code)

    def start_tag(self, index: int) -> int:
        text = self.text
        offset = self.byte_offset(index)
        match = _HTML_START.match(text, index)
        if match is None:
            raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
        name = match.group(1).lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        position = match.end()
        attributes: dict[str, str] = {}
        while attribute := _HTML_ATTRIBUTE.match(text, position):
            value = next((item for item in attribute.groups()[1:] if item is not None), "")
            attributes[attribute.group(1).lower()] = self.unescape_attribute(value)
            position = attribute.end()
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text) or text[position] != ">":
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
        self.check_attributes(name, attributes, offset)
        self.stack.append(_OpenTag(name, self.units, attributes))
        return position + 1

    @staticmethod
    def unescape_attribute(value: str) -> str:
        def replace(match: re.Match[str]) -> str:
            return _HtmlParser.decode_entity(match) or match.group(0)

        return _HTML_ENTITY.sub(replace, value)

    def check_attributes(self, name: str, attributes: dict[str, str], offset: int) -> None:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if name == "a" and not attributes.get("href", "").strip():
            raise EntityParseError(f'Tag "a" must have attribute "href" at byte offset {offset}')
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f'Tag "tg-emoji" must have a numeric attribute "emoji-id" at byte offset {offset}'
            )

    def end_tag(self, index: int) -> int:
        offset = self.byte_offset(index)
        match = _HTML_END.match(self.text, index)
        if match is None:
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        name = match.group(1).lower()
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        tag = self.stack.pop()
        if tag.name != name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.close(tag)
        return match.end()

    def close(self, tag: _OpenTag) -> None:
        length = self.units - tag.start
        language = tag.attributes.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if (
            tag.name == "code"
            and parent is not None
            and parent.name == "pre"
            and language.startswith("language-")
            and parent.start == tag.start
        ):
            parent.language = language.removeprefix("language-")
            return
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": _HTML_TAGS[tag.name], "offset": tag.start}
        entity["length"] = length
        if tag.name == "a":
            entity["url"] = tag.attributes["href"]
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attributes["emoji-id"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)


_MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!"


@dataclass
class _OpenMark:
    kind: str
    start: int
    byte_offset: int
    begin: int
    argument: str = ""


class _MarkdownV2Parser:
    """Telegram's MarkdownV2, following TDLib's parser: reserved characters must be escaped."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.units = 0
        self.stack: list[_OpenMark] = []
        self.entities: list[dict[str, Any]] = []
        self.quote: _OpenMark | None = None

    def at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def emit(self, char: str) -> None:
        self.out.append(char)
        self.units += _units(char)

    def reserved(self, index: int) -> EntityParseError:
        return EntityParseError(
            f"Character '{self.text[index]}' is reserved and must be escaped with the "
            "preceding '\\'"
        )

    def parse(self) -> FormattedText:
        index = 0
        while index < len(self.text):
            index = self.step(index)
        self.close_quote()
        if self.stack:
            mark = self.stack[-1]
            raise EntityParseError(
                f"Can't find end of {mark.kind} entity at byte offset {mark.byte_offset}"
            )
        return FormattedText("".join(self.out), _sorted(self.entities))

    def step(self, index: int) -> int:
        text = self.text
        char = text[index]
        line_start = index == 0 or text[index - 1] == "\n"
        if line_start and not self.in_code():
            index = self.line_start(index)
            if index >= len(text):
                return index
            char = text[index]
        following = self.at(index + 1)
        if char == "\\" and following and 0 < ord(following) <= 126:
            self.emit(following)
            return index + 2
        reserved = "`" if self.in_code() else _MARKDOWN_V2_RESERVED
        if char not in reserved:
            self.emit(char)
            return index + 1
        if (
            self.quote is not None
            and self.quote.argument == "expandable"
            and (text.startswith("||", index) and self.at(index + 2) in {"", "\n"})
        ):
            return index + 2
        if self.stack and self.ends(self.stack[-1].kind, index):
            return self.close(index)
        return self.open(index)

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in {"code", "pre"}

    def line_start(self, index: int) -> int:
        text = self.text
        if text.startswith("**>", index):
            self.open_quote("expandable")
            return index + 3
        if text.startswith(">", index):
            self.open_quote("")
            return index + 1
        self.close_quote()
        return index

    def open_quote(self, argument: str) -> None:
        if self.quote is None:
            self.quote = _OpenMark("blockquote", self.units, 0, 0, argument)

    def close_quote(self) -> None:
        quote = self.quote
        if quote is None:
            return
        self.quote = None
        end = self.units
        if self.out and self.out[-1] == "\n":
            end -= 1
        if end > quote.start:
            kind = "expandable_blockquote" if quote.argument else "blockquote"
            length = end - quote.start
            self.entities.append({"type": kind, "offset": quote.start, "length": length})

    def ends(self, kind: str, index: int) -> bool:
        char, following = self.text[index], self.at(index + 1)
        return {
            "bold": char == "*",
            "italic": char == "_" and following != "_",
            "code": char == "`",
            "pre": self.text.startswith("```", index),
            "text_link": char == "]",
            "underline": self.text.startswith("__", index),
            "strikethrough": char == "~",
            "spoiler": self.text.startswith("||", index),
            "custom_emoji": char == "]",
        }[kind]

    def open(self, index: int) -> int:
        text = self.text
        char = text[index]
        byte_offset = self.byte_offset(index)
        argument = ""
        if char == "_" and self.at(index + 1) == "_":
            kind, index = "underline", index + 2
        elif char in "_*~":
            kind, index = {"_": "italic", "*": "bold", "~": "strikethrough"}[char], index + 1
        elif char == "|" and self.at(index + 1) == "|":
            kind, index = "spoiler", index + 2
        elif char == "[":
            kind, index = "text_link", index + 1
        elif char == "!" and self.at(index + 1) == "[":
            kind, index = "custom_emoji", index + 2
        elif text.startswith("```", index):
            kind, index = "pre", index + 3
            end = index
            while end < len(text) and not text[end].isspace() and text[end] != "`":
                end += 1
            if end != index and end < len(text) and text[end] != "`":
                argument, index = text[index:end], end
            if self.at(index) in {"\n", "\r"}:
                index += 1
        elif char == "`":
            kind, index = "code", index + 1
        else:
            raise self.reserved(index)
        self.stack.append(_OpenMark(kind, self.units, byte_offset, len(self.out), argument))
        return index

    def close(self, index: int) -> int:
        mark = self.stack.pop()
        entity: dict[str, Any] = {"type": mark.kind, "offset": mark.start}
        step = {"underline": 2, "spoiler": 2, "pre": 3}.get(mark.kind, 1)
        index += step
        if mark.kind in {"text_link", "custom_emoji"}:
            url, index = self.link_target(index, mark)
            if mark.kind == "text_link":
                entity["url"] = url
            else:
                emoji_id = url.removeprefix("tg://emoji?id=")
                if emoji_id == url or not emoji_id.isdigit():
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                entity["custom_emoji_id"] = emoji_id
        if mark.kind == "pre" and mark.argument:
            entity["language"] = mark.argument
        entity["length"] = self.units - mark.start
        if entity["length"] > 0:
            self.entities.append(entity)
        return index

    def link_target(self, index: int, mark: _OpenMark) -> tuple[str, int]:
        text = self.text
        if self.at(index) != "(":
            if mark.kind == "custom_emoji":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            return "".join(self.out[mark.begin :]), index
        index += 1
        begin = self.byte_offset(index)
        url: list[str] = []
        while index < len(text) and text[index] != ")":
            following = self.at(index + 1)
            if text[index] == "\\" and following and 0 < ord(following) <= 126:
                url.append(following)
                index += 2
                continue
            url.append(text[index])
            index += 1
        if index >= len(text):
            raise EntityParseError(f"Can't find end of a URL at byte offset {begin}")
        return "".join(url), index + 1


def _parse_legacy_markdown(text: str) -> FormattedText:
    """Telegram's legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out: list[str] = []
    units = 0
    entities: list[dict[str, Any]] = []
    index = 0

    def at(position: int) -> str:
        return text[position] if position < len(text) else ""

    while index < len(text):
        char = text[index]
        if char == "\\" and at(index + 1) in {"_", "*", "`", "["}:
            out.append(text[index + 1])
            units += 1
            index += 2
            continue
        if char not in "_*`[":
            out.append(char)
            units += _units(char)
            index += 1
            continue
        begin = len(text[:index].encode("utf-8"))
        end_char = "]" if char == "[" else char
        is_pre = text.startswith("```", index)
        index += 3 if is_pre else 1
        language = ""
        if is_pre:
            end = index
            while end < len(text) and not text[end].isspace() and text[end] != "`":
                end += 1
            if end != index and end < len(text) and text[end] != "`":
                language, index = text[index:end], end
            if at(index) in {"\n", "\r"}:
                index += 1
        start = units
        while index < len(text) and not (
            text.startswith("```", index) if is_pre else text[index] == end_char
        ):
            out.append(text[index])
            units += _units(text[index])
            index += 1
        if index >= len(text):
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        index += 3 if is_pre else 1
        entity: dict[str, Any] = {"offset": start, "length": units - start}
        if char == "[":
            if at(index) != "(":
                continue
            close = text.find(")", index)
            if close < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {begin}"
                )
            entity.update(type="text_link", url=text[index + 1 : close])
            index = close + 1
        else:
            kind = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code"}[char]
            entity["type"] = kind
            if language:
                entity["language"] = language
        if entity["length"] > 0:
            entities.append(entity)
    return FormattedText("".join(out), _sorted(entities))
