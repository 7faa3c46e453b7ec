"""The real bot process (`python -m bot`) against the fake Bot API over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.services.card_tokens import CardTokens
from tests.fakes.server import FakeBotAPIServer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "end-to-end-secret-key-0123456789"
OWNER = 777000

pytestmark = pytest.mark.e2e


async def start_bot(server: FakeBotAPIServer, database_url: str, data_dir: Path, **env: str):
    environment = {
        **os.environ,
        "BOT_TOKEN": "123456:E2E-token",
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": SECRET,
        "OWNER_IDS": str(OWNER),
        "LOG_LEVEL": "INFO",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def stop_bot(process) -> bytes:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    return output


async def test_join_and_get_a_card_whose_qr_verifies(engine, database_url, tmp_path):
    async with FakeBotAPIServer() as server:
        telegram = server.telegram
        anna = telegram.user(1001, "Анна", "ru")
        process = await start_bot(server, database_url, tmp_path)
        try:
            await telegram.wait_for_call("getUpdates", timeout=30)
            mark = len(telegram.calls)
            telegram.send_text(anna, "/start")
            greeting = await telegram.wait_for_call("sendMessage", anna.id, after=mark)
            assert "Здравствуйте, Анна" in greeting.params["text"]

            [stored] = telegram.bot_messages(anna.id)
            data = stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            mark = len(telegram.calls)
            telegram.press(anna, stored, data)
            await telegram.wait_for_call("sendMessage", anna.id, after=mark)  # asks for the phone

            mark = len(telegram.calls)
            telegram.send_text(anna, "💳 Моя карта")
            photo = await telegram.wait_for_call("sendPhoto", anna.id, after=mark)
            upload = photo.params["photo"]
            assert upload.data.startswith(b"\x89PNG"), "the card arrives as a multipart upload"
            [qr] = zxingcpp.read_barcodes(Image.open(io.BytesIO(upload.data)))
            prefix = "https://t.me/loyalty_test_bot?start="
            assert qr.text.startswith(prefix)
            token = qr.text.removeprefix(prefix)
            from datetime import UTC, datetime

            decoded = CardTokens(SECRET.encode(), 600).verify(token, datetime.now(UTC))
            assert decoded.member_id >= 1

            # The owner scans the card with the phone camera: the deep link opens the staff view.
            owner = telegram.user(OWNER, "Olga", "en")
            mark = len(telegram.calls)
            telegram.send_text(owner, f"/start {token}")
            view = await telegram.wait_for_call("sendMessage", OWNER, after=mark)
            assert "Анна" in view.params["text"] and "Balance" in view.params["text"]
        finally:
            output = await stop_bot(process)
        assert process.returncode == 0, output.decode(errors="replace")[-3000:]
        assert telegram.violations == []
        assert b"123456:E2E-token" not in output


async def test_missing_token_is_one_clear_line(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert (
        stderr.decode().strip()
        == "error: BOT_TOKEN is not set. Put it in the environment or in .env."
    )


async def test_help_lists_the_commands():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--help", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert b"migrate" in stdout and b"run" in stdout
