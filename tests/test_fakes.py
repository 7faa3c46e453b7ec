"""The fakes are as strict as Telegram and behave like it, over HTTP and in-process alike."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from PIL import Image

from tests.fakes.schema import UploadedFile, parse_entities, validate_call
from tests.fakes.server import FakeBotAPIServer
from tests.fakes.session import RecordingSession
from tests.fakes.telegram import FakeTelegram, TelegramError

TOKEN = "42:TEST"


def png(width: int = 400, height: int = 300, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=item, callback_data=item) for item in data]]
    )


@dataclass
class Wire:
    bot: Bot
    telegram: FakeTelegram


@pytest.fixture(params=["http", "in-process"])
async def wire(request: pytest.FixtureRequest) -> AsyncIterator[Wire]:
    """A real aiogram Bot talking to a fresh fake, through both transports."""
    default = DefaultBotProperties(parse_mode=ParseMode.HTML)
    if request.param == "in-process":
        telegram = FakeTelegram()
        yield Wire(
            Bot(TOKEN, session=RecordingSession(telegram=telegram), default=default), telegram
        )
        return
    async with FakeBotAPIServer() as server:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
        yield Wire(Bot(TOKEN, session=session, default=default), server.telegram)
        # closing the client first spares aiogram's 250 ms wait for TLS connections to close
        await (await session.create_session()).close()
        await session.close()


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    async with FakeBotAPIServer() as running:
        yield running


# Through a real aiogram Bot


async def test_messages_are_stored_like_telegram_and_returned_parsed(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    me = await wire.bot.get_me()
    assert (me.id, me.username, me.is_bot) == (4242, "loyalty_test_bot", True)

    sent = await wire.bot.send_message(
        anna.id, "<b>Hi</b>, Anna &lt;3", reply_markup=keyboard("a")
    )
    assert sent.text == "Hi, Anna <3" and sent.entities[0].type == "bold"
    assert sent.from_user.id == 4242 and sent.chat.id == anna.id
    second = await wire.bot.send_message(anna.id, "again")
    assert second.message_id == sent.message_id + 1

    stored = wire.telegram.last_bot_message(anna.id)
    assert stored["text"] == "again"
    assert wire.telegram.chat_messages(anna.id)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "a", "callback_data": "a"}]]
    }
    [call] = [call for call in wire.telegram.calls if call.method == "sendMessage"][:1]
    assert call.params == {
        "chat_id": 1,
        "text": "<b>Hi</b>, Anna &lt;3",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
    }
    assert wire.telegram.violations == []


async def test_photo_upload_comes_back_byte_for_byte(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    image = png()
    sent = await wire.bot.send_photo(
        anna.id, BufferedInputFile(image, "card.png"), caption="<i>Your card</i>"
    )
    assert sent.caption == "Your card" and [size.width for size in sent.photo] == [90, 320, 400]
    largest = sent.photo[-1].file_id
    assert wire.telegram.file_bytes(largest) == image

    file = await wire.bot.get_file(largest)
    assert file.file_size == len(image) and file.file_path.startswith("photos/")
    downloaded = await wire.bot.download(largest)
    assert downloaded is not None and downloaded.getvalue() == image

    again = await wire.bot.send_photo(anna.id, largest)
    assert again.photo[-1].file_id == largest
    assert wire.telegram.violations == []


async def test_edits_replace_the_stored_message(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    sent = await wire.bot.send_message(anna.id, "Page 1", reply_markup=keyboard("next"))
    before = wire.telegram.last_bot_message(anna.id)

    edited = await wire.bot.edit_message_text(
        chat_id=anna.id, message_id=sent.message_id, text="Page 2", reply_markup=keyboard("prev")
    )
    assert edited.text == "Page 2" and edited.edit_date is not None
    stored = wire.telegram.last_bot_message(anna.id)
    assert stored["text"] == "Page 2" and before["text"] == "Page 1"
    assert len(wire.telegram.chat_messages(anna.id)) == 1
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "prev"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await wire.bot.edit_message_text(
            chat_id=anna.id,
            message_id=sent.message_id,
            text="Page 2",
            reply_markup=keyboard("prev"),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await wire.bot.edit_message_text(chat_id=anna.id, message_id=999, text="x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await wire.bot.send_message(777, "nobody here")
    assert wire.telegram.violations == []


async def test_callback_queries_are_answered_once(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    await wire.bot.send_message(anna.id, "Join?", reply_markup=keyboard("join"))
    update = wire.telegram.press(anna, wire.telegram.last_bot_message(anna.id), "join")
    query = update["callback_query"]
    assert query["data"] == "join" and query["message"]["text"] == "Join?"
    assert wire.telegram.unanswered_queries == [query["id"]]

    assert await wire.bot.answer_callback_query(query["id"], text="Welcome!") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await wire.bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await wire.bot.answer_callback_query("made-up")
    assert wire.telegram.unanswered_queries == []


async def test_commands_are_kept_per_scope_and_language(wire: Wire) -> None:
    english = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="card", description="My card"),
    ]
    await wire.bot.set_my_commands(english, scope=BotCommandScopeDefault(), language_code="en")
    await wire.bot.set_my_commands([BotCommand(command="start", description="Начать")])

    assert [c.command for c in await wire.bot.get_my_commands(language_code="en")] == [
        "start",
        "card",
    ]
    assert wire.telegram.my_commands(language_code="")[0]["description"] == "Начать"
    await wire.bot.delete_my_commands(language_code="en")
    assert await wire.bot.get_my_commands(language_code="en") == []
    assert wire.telegram.violations == []


async def test_long_poll_wakes_up_for_a_users_message(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna", username="anna")
    poll = asyncio.create_task(wire.bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    wire.telegram.send_text(anna, "/start promo")

    [update] = await asyncio.wait_for(poll, 2)
    assert update.message.text == "/start promo"
    assert update.message.from_user.username == "anna"
    assert update.message.entities[0].type == "bot_command"

    again = await wire.bot.get_updates(offset=update.update_id, timeout=0)
    assert [item.update_id for item in again] == [update.update_id]
    assert await wire.bot.get_updates(offset=update.update_id + 1, timeout=0) == []


async def test_a_second_poller_terminates_the_first(wire: Wire) -> None:
    first = asyncio.create_task(wire.bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(wire.bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_broken_calls_become_aiogram_errors_and_violations(wire: Wire) -> None:
    wire.telegram.user(1, "Anna")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Too long", callback_data="я" * 33)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await wire.bot.send_message(1, "Pick", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await wire.bot.send_message(1, "1 < 2")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await wire.bot.send_message(1, "")
    assert len(wire.telegram.violations) == 3
    assert "reply_markup.inline_keyboard[0][0].callback_data" in wire.telegram.violations[0]


async def test_rate_limit_gives_retry_after(wire: Wire) -> None:
    wire.telegram.user(1, "Anna")
    wire.telegram.rate_limit(per_chat_per_second=1, retry_after=3)
    await wire.bot.send_message(1, "first")
    with pytest.raises(TelegramRetryAfter) as caught:
        await wire.bot.send_message(1, "second")
    assert caught.value.retry_after == 3
    assert wire.telegram.throttled == 1
    assert wire.telegram.violations == []


async def test_blocked_user_gives_forbidden(wire: Wire) -> None:
    wire.telegram.user(1, "Anna")
    wire.telegram.block(1)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await wire.bot.send_message(1, "Promo!")
    wire.telegram.unblock(1)
    await wire.bot.send_message(1, "Promo!")


async def test_injected_failures_hit_the_next_calls_only(wire: Wire) -> None:
    wire.telegram.user(1, "Anna")
    wire.telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await wire.bot.send_message(1, "x")
    assert caught.value.retry_after == 7
    await wire.bot.send_message(1, "x")


async def test_card_refresh_replaces_the_photo(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    sent = await wire.bot.send_photo(
        anna.id, BufferedInputFile(png(), "a.png"), reply_markup=keyboard("refresh")
    )
    fresh = png(color="blue")
    edited = await wire.bot.edit_message_media(
        chat_id=anna.id,
        message_id=sent.message_id,
        media=InputMediaPhoto(media=BufferedInputFile(fresh, "b.png"), caption="new"),
        reply_markup=keyboard("refresh"),
    )
    assert edited.caption == "new"
    assert (
        wire.telegram.file_bytes(wire.telegram.last_bot_message(anna.id)["photo"][-1]["file_id"])
        == fresh
    )
    assert wire.telegram.violations == []


async def test_reply_keyboards_stay_in_the_chat_not_in_the_result(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="💳 Card")]], resize_keyboard=True)
    sent = await wire.bot.send_message(anna.id, "Menu", reply_markup=menu)
    assert sent.reply_markup is None
    assert wire.telegram.reply_keyboard(anna.id)["keyboard"] == [[{"text": "💳 Card"}]]
    assert wire.telegram.last_bot_message(anna.id)["reply_markup"]["resize_keyboard"] is True


async def test_users_photo_can_be_downloaded_by_the_bot(wire: Wire) -> None:
    anna = wire.telegram.user(1, "Anna")
    image = png(1000, 500)
    update = wire.telegram.send_photo(anna, image, caption="receipt")
    photo = update["message"]["photo"]
    assert [size["width"] for size in photo] == [90, 320, 800, 1000]
    downloaded = await wire.bot.download(photo[-1]["file_id"])
    assert downloaded is not None and downloaded.getvalue() == image


# The validator


def test_valid_call_has_no_violations() -> None:
    assert validate_call("sendMessage", {"chat_id": 1, "text": "Hello"}) == []


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("sendMessagee", {"chat_id": 1, "text": "x"}, "Not Found"),
        ("sendmessage", {"chat_id": 1, "text": "x"}, "did you mean 'sendMessage'"),
        ("sendMessage", {"text": "x"}, "chat_id is empty"),
        ("sendMessage", {"chat_id": 1, "text": "a" * 4097}, "message is too long"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "message text is empty"),
        ("sendMessage", {"chat_id": 1, "text": " \n "}, "message text is empty"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "<b></b>", "parse_mode": "HTML"},
            "message text is empty",
        ),
        (
            "sendPhoto",
            {"chat_id": 1, "photo": "id", "caption": "c" * 1025},
            "message caption is too long",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"},
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "a < b", "parse_mode": "HTML"},
            "can't parse entities: Unsupported start tag",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "<div>x</div>", "parse_mode": "HTML"},
            'Unsupported start tag "div"',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "<b><i>x</b></i>", "parse_mode": "HTML"},
            'expected "</i>", found "</b>"',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "Tom & Jerry", "parse_mode": "HTML"},
            "Character '&'",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "<span>x</span>", "parse_mode": "HTML"},
            'class "tg-spoiler"',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "Total: 5.", "parse_mode": "MarkdownV2"},
            "Character '.' is reserved",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "parse_mode": "html5"},
            "unsupported parse_mode",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "message_thread_id": True},
            "message_thread_id must be an Integer",
        ),
        ("sendMessage", {"chat_id": 1.5, "text": "x"}, "chat_id must be Integer or String"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, "MESSAGE_TOO_LONG"),
        ("sendChatAction", {"chat_id": 1, "action": "typing..."}, "wrong parameter action"),
    ],
)
def test_validator_refuses_what_telegram_refuses(method: str, params: dict, expected: str) -> None:
    found = validate_call(method, params)
    assert found and expected in found[0], found


def markup(*buttons: dict) -> dict:
    return {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [list(buttons)]}}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (markup({"text": "a", "callback_data": "я" * 32 + "x"}), "BUTTON_DATA_INVALID"),
        (markup({"text": "a", "callback_data": ""}), "BUTTON_DATA_INVALID"),
        (markup({"text": "a"}), "Text buttons are unallowed"),
        (markup({"text": "a", "url": "https://x.org", "callback_data": "b"}), "exactly one"),
        (markup({"text": "", "callback_data": "b"}), "BUTTON_TEXT_INVALID"),
        (markup({"text": "a", "url": "example.org"}), "BUTTON_URL_INVALID"),
        (
            markup({"text": "a", "url": "https://t.me/loyalty_test_bot?start=a+b"}),
            "invalid deep link parameter",
        ),
        (
            markup({"text": "a", "url": "https://t.me/loyalty_test_bot?start=" + "x" * 65}),
            "invalid deep link parameter",
        ),
        (markup({"callback_data": "b"}), 'field "text" of InlineKeyboardButton is required'),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"keyboard": [[{"text": ""}]]}},
            "BUTTON_TEXT_INVALID",
        ),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"keyboard": [["plain"]]}},
            "must be a JSON object (KeyboardButton)",
        ),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"hide": True}},
            "reply_markup must be InlineKeyboardMarkup or",
        ),
    ],
)
def test_validator_checks_keyboards(params: dict, expected: str) -> None:
    found = validate_call("sendMessage", params)
    assert found and expected in found[0], found


def test_callback_data_limit_counts_utf8_bytes() -> None:
    assert validate_call("sendMessage", markup({"text": "a", "callback_data": "я" * 32})) == []
    assert validate_call("sendMessage", markup({"text": "a", "callback_data": "я" * 33}))
    assert validate_call("sendMessage", markup({"text": "a", "callback_data": "a" * 64})) == []


@pytest.mark.parametrize(
    ("commands", "extra", "expected"),
    [
        ([], {}, "BOT_COMMANDS_EMPTY"),
        (
            [{"command": f"c{n}", "description": "d"} for n in range(101)],
            {},
            "BOT_COMMANDS_TOO_MUCH",
        ),
        ([{"command": "Start", "description": "d"}], {}, "BOT_COMMAND_INVALID"),
        ([{"command": "a" * 33, "description": "d"}], {}, "BOT_COMMAND_INVALID"),
        ([{"command": "start", "description": ""}], {}, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": "start", "description": "d" * 257}], {}, "BOT_COMMAND_DESCRIPTION_INVALID"),
        (
            [{"command": "start", "description": "d"}],
            {"language_code": "eng"},
            "LANG_CODE_INVALID",
        ),
        (
            [{"command": "start", "description": "d"}],
            {"scope": {"type": "everyone"}},
            'unsupported BotCommandScope type "everyone"',
        ),
        (
            [{"command": "start", "description": "d"}],
            {"scope": {"type": "chat"}},
            'field "chat_id" of BotCommandScopeChat is required',
        ),
    ],
)
def test_validator_checks_bot_commands(commands: list, extra: dict, expected: str) -> None:
    found = validate_call("setMyCommands", {"commands": commands, **extra})
    assert found and expected in found[0], found


def test_limits_apply_after_entity_parsing() -> None:
    text = "<b>" + "a" * 4090 + "</b>" + "&lt;" * 6
    assert len(text) > 4096
    assert validate_call("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "HTML"}) == []
    too_long = "<i>" + "a" * 4097 + "</i>"
    assert validate_call("sendMessage", {"chat_id": 1, "text": too_long, "parse_mode": "HTML"})
    caption = "<b>" + "c" * 1024 + "</b>"
    assert (
        validate_call(
            "sendPhoto", {"chat_id": 1, "photo": "id", "caption": caption, "parse_mode": "HTML"}
        )
        == []
    )


def test_valid_html_is_accepted_and_parsed_like_telegram() -> None:
    text = (
        "<b>Баланс</b>: 5 &lt; 10 &amp; &quot;ok&quot; &#128512; "
        '<a href="https://t.me/loyalty_test_bot?start=abc">link</a> '
        '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> '
        '<pre><code class="language-python">x = 1</code></pre> '
        "<blockquote expandable>q</blockquote> <u>u</u><s>s</s><code>c</code>"
    )
    assert validate_call("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "HTML"}) == []
    parsed = parse_entities(text, "HTML")
    assert parsed.text.startswith('Баланс: 5 < 10 & "ok" 😀 link')
    kinds = [entity["type"] for entity in parsed.entities]
    assert kinds == [
        "bold",
        "text_link",
        "spoiler",
        "spoiler",
        "pre",
        "expandable_blockquote",
        "underline",
        "strikethrough",
        "code",
    ]
    pre = parsed.entities[4]
    assert pre["language"] == "python"
    # offsets are UTF-16 code units: the emoji counts twice
    link = parsed.entities[1]
    assert parsed.text.encode("utf-16-le")[link["offset"] * 2 :][:8].decode("utf-16-le") == "link"


def test_markdown_v2_is_parsed_like_telegram() -> None:
    parsed = parse_entities(
        r"*Итого*: 5\.00 ₽ [link](https://x.org/a\)b) ||spoiler||", "MarkdownV2"
    )
    assert parsed.text == "Итого: 5.00 ₽ link spoiler"
    assert [(e["type"], e.get("url")) for e in parsed.entities] == [
        ("bold", None),
        ("text_link", "https://x.org/a)b"),
        ("spoiler", None),
    ]


def test_nested_objects_are_checked_by_their_declared_types() -> None:
    media = {"type": "photo", "media": "attach://p", "caption": "<b>x", "parse_mode": "HTML"}
    found = validate_call("editMessageMedia", {"chat_id": 1, "message_id": 1, "media": media})
    assert found and found[0].startswith("editMessageMedia: media.caption: Bad Request: can't")
    found = validate_call(
        "editMessageMedia", {"chat_id": 1, "message_id": 1, "media": {"type": "gif", "media": "x"}}
    )
    assert found and 'unsupported InputMedia type "gif"' in found[0]
    assert (
        validate_call(
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"force_reply": True, "newer_field": 1}},
        )
        == []
    )


# The fake's own behaviour


async def test_press_requires_the_button_to_be_offered() -> None:
    telegram = FakeTelegram()
    anna = telegram.user(1, "Anna")
    await telegram.handle(
        "sendMessage",
        {
            "chat_id": 1,
            "text": "Hi",
            "reply_markup": {"inline_keyboard": [[{"text": "Join", "callback_data": "join"}]]},
        },
    )
    message = telegram.last_bot_message(anna.id)
    with pytest.raises(AssertionError, match="no button with callback_data 'leave'"):
        telegram.press(anna, message, "leave")
    await telegram.handle("editMessageReplyMarkup", {"chat_id": 1, "message_id": 1})
    with pytest.raises(AssertionError):
        telegram.press(anna, telegram.last_bot_message(anna.id), "join")
    update = telegram.press(anna, message, "join")  # a client still showing the old keyboard
    assert "reply_markup" not in update["callback_query"]["message"]
    await telegram.handle("deleteMessage", {"chat_id": 1, "message_id": 1})
    with pytest.raises(AssertionError, match="was deleted"):
        telegram.press(anna, message, "join")


async def test_updates_are_numbered_and_can_be_redelivered() -> None:
    telegram = FakeTelegram()
    anna = telegram.user(1, "Anna")
    first = telegram.send_text(anna, "hello")
    second = telegram.send_command(anna, "/start", payload="ref_42")
    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["text"] == "/start ref_42"
    assert second["message"]["message_id"] == first["message"]["message_id"] + 1

    delivered = await telegram.handle("getUpdates", {"offset": second["update_id"] + 1})
    assert delivered == []
    telegram.redeliver(second)
    [again] = await telegram.handle("getUpdates", {"offset": second["update_id"] + 1})
    assert again == second

    contact = telegram.send_contact(anna, "+79001234567")["message"]["contact"]
    assert contact["user_id"] == anna.id
    assert "user_id" not in telegram.send_contact(anna, "+7999", own=False)["message"]["contact"]
    document = telegram.send_document(anna, b"%PDF", "invoice.pdf", "application/pdf")
    assert telegram.file_bytes(document["message"]["document"]["file_id"]) == b"%PDF"
    raw = telegram.inject_update(
        {"callback_query": {"id": "q1", "from": anna.as_user(), "chat_instance": "1", "data": "x"}}
    )
    assert raw["update_id"] > second["update_id"]
    assert await telegram.handle("answerCallbackQuery", {"callback_query_id": "q1"}) is True


async def test_deep_links_are_followed_like_telegram() -> None:
    telegram = FakeTelegram()
    anna = telegram.user(1, "Anna")
    good = telegram.open_link(anna, "https://t.me/loyalty_test_bot?start=card_7")
    assert good["message"]["text"] == "/start card_7"
    dropped = telegram.open_link(anna, "https://t.me/loyalty_test_bot?start=card 7")
    assert dropped["message"]["text"] == "/start"


async def test_wait_for_call_returns_each_call_once() -> None:
    telegram = FakeTelegram()
    telegram.user(1, "Anna")
    telegram.user(2, "Boris")
    await telegram.handle("sendMessage", {"chat_id": 1, "text": "old"})
    telegram.consume_calls()

    async def bot_replies_later() -> None:
        await asyncio.sleep(0.02)
        await telegram.handle("sendMessage", {"chat_id": 2, "text": "to Boris"})
        await telegram.handle("sendMessage", {"chat_id": 1, "text": "to Anna"})

    task = asyncio.create_task(bot_replies_later())
    call = await telegram.wait_for_call("sendMessage", chat_id=1, timeout=1)
    assert call.params["text"] == "to Anna" and call.result["text"] == "to Anna"
    boris = await telegram.wait_for_call(lambda call: call.params.get("text") == "to Boris")
    assert boris.chat_id == 2
    await task
    mark = len(telegram.calls)
    await telegram.handle("sendMessage", {"chat_id": 2, "text": "later"})
    later = await telegram.wait_for_call("sendMessage", 2, after=mark)
    assert later.params["text"] == "later"
    with pytest.raises(AssertionError, match="no call sendMessage"):
        await telegram.wait_for_call("sendMessage", timeout=0.05)


async def test_message_dates_follow_the_given_clock() -> None:
    telegram = FakeTelegram(clock=lambda: 1_800_000_000)
    anna = telegram.user(1, "Anna")
    assert telegram.send_text(anna, "hi")["message"]["date"] == 1_800_000_000
    sent = await telegram.handle("sendMessage", {"chat_id": 1, "text": "hi"})
    assert sent["date"] == 1_800_000_000


async def test_uploads_must_be_real_images() -> None:
    telegram = FakeTelegram()
    telegram.user(1, "Anna")
    with pytest.raises(TelegramError, match="IMAGE_PROCESS_FAILED"):
        await telegram.handle("sendPhoto", {"chat_id": 1, "photo": UploadedFile(b"not a png")})
    with pytest.raises(TelegramError, match="wrong file identifier"):
        await telegram.handle("sendPhoto", {"chat_id": 1, "photo": "unknown-file-id"})


# The HTTP wire


async def test_http_decodes_form_json_and_query_like_telegram(server: FakeBotAPIServer) -> None:
    server.telegram.user(1, "Anna")
    base = f"{server.url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        form = {
            "chat_id": "1",
            "text": "hi",
            "disable_notification": "true",
            "reply_markup": '{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}',
        }
        async with http.post(f"{base}/sendMessage", data=form) as response:
            assert response.status == 200 and (await response.json())["ok"] is True
        async with http.post(
            f"{base}/sendMessage", json={"chat_id": 1, "text": "json"}
        ) as response:
            assert (await response.json())["result"]["text"] == "json"
        async with http.get(
            f"{base}/sendMessage", params={"chat_id": "1", "text": "q"}
        ) as response:
            assert (await response.json())["result"]["text"] == "q"
        async with http.post(f"{base}/getUpdates", data={"limit": "many"}) as response:
            body = await response.json()
            assert response.status == 400 and "must be an Integer" in body["description"]
        async with http.post(
            f"{base}/sendMessage", data={"chat_id": "1", "text": "x", "reply_markup": "{oops"}
        ) as response:
            body = await response.json()
            assert "can't parse reply keyboard markup JSON object" in body["description"]
        async with http.post(f"{server.url}/bot123/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{base}/sendMessagee") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    sent = [call for call in server.telegram.calls if call.method == "sendMessage" and call.ok]
    assert sent[0].params["disable_notification"] is True and sent[0].params["chat_id"] == 1
    assert len(server.telegram.violations) == 3


def test_server_runs_standalone() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(5)
