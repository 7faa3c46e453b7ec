"""The sandbox (`python -m bot sandbox`): its HTTP actions, its rendering, and the whole page in a
real browser (Debian's Chromium driven by Playwright) from joining to a receipt."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import Translator
from bot.sandbox.app import build_web_app
from bot.sandbox.render import entities_to_html, keyboard_view, message_view
from bot.sandbox.runtime import PERSONAS, Sandbox

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
T = Translator()
ANNA = next(p for p in PERSONAS if p.key == "anna")
STAFF = next(p for p in PERSONAS if p.role == "staff")


def ru(key: str, **args: Any) -> str:
    return T.get("ru", key, **args)


@pytest.fixture
async def sandbox_client(engine, database_url) -> AsyncIterator[tuple[Sandbox, TestClient]]:
    sandbox = Sandbox(database=database_url)
    client = TestClient(TestServer(build_web_app(sandbox)))
    await client.start_server()
    try:
        yield sandbox, client
    finally:
        await client.close()


async def post(client: TestClient, path: str, body: dict[str, Any] | None = None) -> Any:
    response = await client.post(path, json=body or {})
    answer = await response.json()
    assert response.status == 200, answer
    return answer


async def bot_says(sandbox: Sandbox, method: str, chat_id: int, mark: int) -> dict[str, Any]:
    """The message the bot's next call of `method` left in the chat, as Telegram stores it."""
    call = await sandbox.telegram.wait_for_call(method, chat_id, timeout=15, after=mark)
    assert call.ok, call.error
    message = sandbox.telegram.message(chat_id, call.result["message_id"])
    assert message is not None
    return message


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for item in row:
            if item["text"] == label:
                return item["callback_data"]
    raise AssertionError(f"no {label!r} under the message")


async def read_event(stream: Any, wanted: str, persona: str | None = None) -> dict[str, Any]:
    """The next server-sent event of type `wanted` (about `persona`'s chat, when given) from
    an open /api/events response."""
    kind = ""
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), 15)).decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == wanted:
            event = json.loads(line.removeprefix("data: "))
            if persona is None or event.get("persona") == persona:
                return event


# Rendering


def test_bot_html_keeps_telegram_tags_and_escapes_the_rest():
    text = "Bold <script>x</script> link 🎉 spoiler https://example.com/a?b=1"
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 24, "length": 4, "url": "javascript:alert(1)"},
        {"type": "spoiler", "offset": 32, "length": 7},  # after an emoji: 2 UTF-16 units
    ]
    html = entities_to_html(text, entities)
    assert html.startswith("<b>Bold</b> &lt;script&gt;x&lt;/script&gt;")
    assert "<a>link</a>" in html, "a javascript: link loses its address"
    assert "🎉 <tg-spoiler>spoiler</tg-spoiler>" in html
    assert '<a href="https://example.com/a?b=1">https://example.com/a?b=1</a>' in html


def test_overlapping_entities_still_nest():
    html = entities_to_html(
        "abcdef",
        [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2, "length": 4}],
    )
    assert html == "<b>ab<i>cd</i></b><i>ef</i>"


def test_a_message_shows_its_photo_document_buttons_and_edit():
    message = {
        "message_id": 7,
        "from": {"id": 4242, "is_bot": True, "first_name": "Loyalty"},
        "chat": {"id": 1, "type": "private"},
        "date": 1_700_000_000,
        "edit_date": 1_700_000_060,
        "photo": [
            {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60},
            {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 600},
        ],
        "document": {"file_id": "doc", "file_unique_id": "d", "file_name": "members.csv"},
        "caption": "Export <ready>",
        "caption_entities": [{"type": "italic", "offset": 0, "length": 6}],
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Go", "callback_data": "go"}, {"text": "Site", "url": "https://x.org"}]
            ]
        },
    }
    shown = message_view(message, 4242, ZoneInfo("Europe/Moscow"))
    assert shown["out"] is False and shown["edited"] is True
    assert (shown["time"], shown["day"]) == ("01:13", "15.11.2023")
    assert shown["photo"]["url"] == "/files/big"
    assert shown["document"] == {
        "url": "/files/doc?download=1",
        "name": "members.csv",
        "size": 0,
    }
    assert shown["html"] == "<i>Export</i> &lt;ready&gt;"
    assert shown["buttons"] == [
        [{"text": "Go", "data": "go"}, {"text": "Site", "url": "https://x.org"}]
    ]


def test_reply_keyboard_marks_the_contact_button():
    shown = keyboard_view(
        {
            "keyboard": [[{"text": "📱 Share", "request_contact": True}], [{"text": "Skip"}]],
            "one_time_keyboard": True,
        }
    )
    assert shown == {
        "rows": [[{"text": "📱 Share", "contact": True}], [{"text": "Skip", "contact": False}]],
        "placeholder": "",
        "one_time": True,
    }


# The HTTP actions


async def test_join_scan_and_purchase_through_the_http_actions(sandbox_client):
    sandbox, client = sandbox_client
    telegram = sandbox.telegram
    page = await client.get("/")
    assert page.status == 200 and "Sandbox" in await page.text()
    state = await (await client.get("/api/state")).json()
    assert [p["label"] for p in state["personas"]][:2] == ["Анна (ru)", "John (en)"]

    events = await client.get("/api/events")
    snapshot = await read_event(events, "snapshot")
    assert {p["key"] for p in snapshot["personas"]} == {p.key for p in PERSONAS}

    # The staff member's chat opened in staff mode by itself.
    await bot_says(sandbox, "sendMessage", STAFF.user_id, 0)
    staff_chat = await (await client.get("/api/personas/staff/chat")).json()
    assert staff_chat["messages"][-1]["html"] == ru("staff-mode-on"), "the bot's HTML, as sent"
    assert staff_chat["keyboard"]["rows"][0][0]["text"] == ru("staff-btn-scan")

    mark = len(telegram.calls)
    await post(client, "/api/personas/anna/text", {"text": "/start"})
    shown = await read_event(events, "message", "anna")
    assert shown["message"]["out"] and shown["message"]["html"] == "/start"
    greeting = await bot_says(sandbox, "sendMessage", ANNA.user_id, mark)
    pushed = await read_event(events, "message", "anna")
    assert pushed["message"]["id"] == greeting["message_id"]
    assert pushed["message"]["buttons"][0][0]["text"] == ru("consent-button")

    mark = len(telegram.calls)
    consent = button(greeting, ru("consent-button"))
    await post(
        client,
        "/api/personas/anna/press",
        {"message_id": greeting["message_id"], "data": consent},
    )
    await bot_says(sandbox, "sendMessage", ANNA.user_id, mark)
    chat = await (await client.get("/api/personas/anna/chat")).json()
    assert chat["keyboard"]["rows"][0][0] == {"text": ru("phone-share-button"), "contact": True}

    mark = len(telegram.calls)
    await post(client, "/api/personas/anna/contact")
    saved = await bot_says(sandbox, "sendMessage", ANNA.user_id, mark)
    assert saved["text"].startswith(ru("phone-saved"))

    mark = len(telegram.calls)
    await post(client, "/api/personas/anna/text", {"text": ru("menu-card")})
    card = await bot_says(sandbox, "sendPhoto", ANNA.user_id, mark)
    image = await client.get(f"/files/{card['photo'][-1]['file_id']}")
    assert image.content_type == "image/png"
    assert (await image.read()).startswith(b"\x89PNG")

    mark = len(telegram.calls)
    await post(client, "/api/personas/staff/scan", {"customer": "anna"})
    view = await bot_says(sandbox, "sendMessage", STAFF.user_id, mark)
    assert ANNA.name in view["text"]

    mark = len(telegram.calls)
    purchase = button(view, ru("staff-btn-purchase"))
    await post(
        client, "/api/personas/staff/press", {"message_id": view["message_id"], "data": purchase}
    )
    await bot_says(sandbox, "sendMessage", STAFF.user_id, mark)
    mark = len(telegram.calls)
    await post(client, "/api/personas/staff/text", {"text": "350"})
    confirmation = await bot_says(sandbox, "sendMessage", STAFF.user_id, mark)

    mark = len(telegram.calls)
    confirm = button(confirmation, ru("staff-btn-confirm"))
    await post(
        client,
        "/api/personas/staff/press",
        {"message_id": confirmation["message_id"], "data": confirm},
    )
    receipt = await bot_says(sandbox, "sendMessage", ANNA.user_id, mark)
    assert "350" in receipt["text"] and "3" in receipt["text"]
    chat = await (await client.get("/api/personas/anna/chat")).json()
    assert "<b>3</b>" in chat["messages"][-1]["html"], "the receipt shows the new balance, bold"
    staff_chat = await (await client.get("/api/personas/staff/chat")).json()
    edited = next(m for m in staff_chat["messages"] if m["id"] == confirmation["message_id"])
    assert edited["edited"], "the confirmation turned into the result in place"

    # The same card opened as a QR link by the owner shows the member to them too.
    mark = len(telegram.calls)
    await post(client, "/api/personas/owner/open-card", {"customer": "anna"})
    owner_view = await bot_says(sandbox, "sendMessage", 3001, mark)
    assert ANNA.name in owner_view["text"]

    events.close()
    assert telegram.violations == []


async def test_actions_that_cannot_happen_say_why(sandbox_client):
    sandbox, client = sandbox_client
    response = await client.post("/api/personas/staff/scan", json={"customer": "john"})
    assert response.status == 400
    assert "no card" in (await response.json())["error"]
    response = await client.post("/api/personas/nobody/text", json={"text": "hi"})
    assert response.status == 400
    response = await client.post("/api/personas/anna/link", json={"url": "https://t.me/other"})
    assert response.status == 400
    response = await client.post("/api/personas/anna/press", json={"message_id": 99})
    assert response.status == 400
    response = await client.post("/api/clock", json={"step": "year"})
    assert response.status == 400


async def test_the_clock_jumps_and_runs_the_scheduled_jobs(sandbox_client):
    sandbox, client = sandbox_client
    before = sandbox.clock.now()
    runs: list[str] = []
    original = sandbox.run_scheduled_jobs

    async def counting() -> Any:
        reports = await original()
        runs.append("ran")
        return reports

    sandbox.run_scheduled_jobs = counting  # type: ignore[method-assign]
    answer = await post(client, "/api/clock", {"step": "day"})
    after = sandbox.clock.now()
    assert after - before > timedelta(hours=2)
    tz = sandbox.settings.tz
    assert after.astimezone(tz).date() > before.astimezone(tz).date()
    assert answer["clock"]["text"].endswith(":00")
    assert runs == ["ran"]

    answer = await post(client, "/api/clock", {"step": "month"})
    assert 28 <= len(runs) - 1 <= 31, "a month is lived day by day"


# The page in a real browser


@pytest.fixture
async def sandbox_url(engine, database_url) -> AsyncIterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(database=database_url)
    runner = web.AppRunner(build_web_app(sandbox), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield sandbox, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
)
async def test_the_page_in_a_browser_from_joining_to_the_receipt(sandbox_url):
    playwright_api = pytest.importorskip(
        "playwright.async_api", reason="needs Playwright: pip install -e '.[test]'"
    )
    sandbox, url = sandbox_url
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await run_the_story(page, url)
            assert errors == []
        finally:
            with contextlib.suppress(Exception):
                await browser.close()
    assert sandbox.telegram.violations == []


async def run_the_story(page: Any, url: str) -> None:
    chat = page.locator("#messages")
    await page.goto(f"{url}/#anna")
    await page.wait_for_selector("body[data-ready]")

    # A customer joins: START, the consent button, the phone from the keyboard, the card.
    await page.get_by_role("button", name="START").click()
    await chat.get_by_role("button", name=ru("consent-button")).click()
    await page.locator("#keyboard").get_by_role("button", name=ru("phone-share-button")).click()
    await chat.get_by_text(ru("phone-saved")).wait_for()
    await page.locator("#keyboard").get_by_role("button", name=ru("menu-card")).click()
    await chat.locator("img.photo").wait_for()

    # The staff member scans the card and records a purchase of 350.
    await page.locator('.persona[data-key="staff"]').click()
    await page.locator("#customer").select_option("anna")
    await page.locator("#scan").click()
    await chat.get_by_role("button", name=ru("staff-btn-purchase")).last.click()
    await chat.get_by_text(ru("staff-amount-ask", name=ANNA.name, currency="₽")).wait_for()
    await page.locator("#text").fill("350")
    await page.locator("#text").press("Enter")
    await chat.get_by_role("button", name=ru("staff-btn-confirm")).last.click()
    await chat.locator(".msg.in .meta", has_text="edited").last.wait_for()

    # Back as the customer: the receipt and the new balance.
    await page.locator('.persona[data-key="anna"]').click()
    receipt = chat.locator(".msg.in").last
    await receipt.locator("b", has_text=re.compile(r"^3$")).wait_for()  # the balance
    assert "350" in await receipt.inner_text()
    await receipt.get_by_role("button", name=ru("receipt-not-me-button")).wait_for()
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    await page.screenshot(path=str(artifacts / "sandbox.png"), full_page=False)


@pytest.mark.e2e
async def test_the_command_serves_the_page_and_cleans_up_on_sigterm(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path), "BOT_TOKEN": "1:must-not-be-used"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        url = None
        while url is None:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line, "the sandbox exited before serving the page"
            found = re.search(rb"http://127\.0\.0\.1:\d+/", line)
            url = found.group().decode() if found else None
        async with aiohttp.ClientSession() as http, http.get(f"{url}api/state") as response:
            assert response.status == 200
            state = await response.json()
        assert state["bot"]["username"] == "loyalty_sandbox_bot"
        assert list(tmp_path.glob("loyalty-sandbox-*")), "a temporary database while it runs"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode(errors="replace")[-2000:]
    assert not list(tmp_path.glob("loyalty-sandbox-*")), "and none left after it stops"
