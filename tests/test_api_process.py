"""The HTTP API in a real process, alone (`python -m bot api`) or inside the bot (`python -m bot`
with API_PORT): the member's receipt goes through the Bot API at TELEGRAM_API_URL (the fake Bot
API server)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.services import api_keys, members
from db.session import create_pool
from tests.fakes.server import FakeBotAPIServer

ROOT = Path(__file__).resolve().parent.parent
OWNER = 777000

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", [["api"], ["run"]], ids=["alone", "inside-the-bot"])
async def test_a_purchase_over_http_and_the_member_gets_the_receipt(
    engine, database_url, tmp_path, command
):
    now = datetime.now(UTC)
    async with create_pool(engine)() as session, session.begin():
        joined = await members.join(
            session,
            members.Applicant(1001, "Анна", "", None, "ru"),
            now=now,
            tier="base",
        )
        key = await api_keys.create(
            session, name="Till 1", location_id=None, created_by=OWNER, now=now
        )
    member_id = joined.member.id
    port = free_port()
    async with FakeBotAPIServer() as server:
        anna = server.telegram.user(1001, "Анна", "ru")
        environment = {
            **os.environ,
            "BOT_TOKEN": "123456:E2E-token",
            "TELEGRAM_API_URL": server.url,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "end-to-end-secret-key-0123456789",
            "OWNER_IDS": str(OWNER),
            "API_PORT": str(port),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *command,
            cwd=ROOT,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(150):
                    try:
                        async with http.get(f"{base}/v1/openapi.json") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.2)
                async with http.post(
                    f"{base}/v1/purchases",
                    json={"member_id": member_id, "amount": 50_000, "receipt_id": "A-1"},
                    headers={"Authorization": f"Bearer {key.token}", "Idempotency-Key": "one"},
                ) as response:
                    body = await response.json()
                    assert response.status == 201, body
            receipt = await server.telegram.wait_for_call("sendMessage", anna.id, timeout=15)
            assert "500" in receipt.params["text"] and "+5" in receipt.params["text"]
            assert body["balance"] == 5
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, output.decode(errors="replace")[-3000:]
        assert server.telegram.violations == []
        assert b"123456:E2E-token" not in output
        assert b"HTTP API listening" in output
