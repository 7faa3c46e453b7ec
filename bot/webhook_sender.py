"""The outbound webhook sender inside the bot process: `bot.services.webhooks.Worker` given an
aiohttp session. Started with the Dispatcher (it picks up whatever is due, including what was
queued while the bot was down) and stopped before the database closes; a stop lets the requests
in flight finish and records them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import aiohttp
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services.webhooks import LEASE, Answer, Worker

log = logging.getLogger(__name__)

ANSWER_EXCERPT = 120  # characters of a refusing receiver's answer kept in `last_error`


class HttpPost:
    """POST over one aiohttp session: a timeout per request, redirects not followed (a 3xx
    is not a delivery), at most a short excerpt of the answer read."""

    def __init__(self, timeout: float) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    return Answer(response.status)
                excerpt = (await response.content.read(ANSWER_EXCERPT)).decode(errors="replace")
                text = " ".join(excerpt.split())
                return Answer(response.status, f"HTTP {response.status} {text}".strip())
        except TimeoutError:
            return Answer(None, f"timeout after {self.timeout.total:g} s")
        except aiohttp.ClientError as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class WebhookSender:
    """Owns the worker task. Handlers call `wake()` after queueing a test event or a retry."""

    def __init__(
        self,
        *,
        pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        timeout: float = 10.0,
        max_attempts: int = 8,
        idle: float = 5.0,
    ) -> None:
        self.post = HttpPost(timeout)
        self.worker = Worker(
            pool=pool, clock=clock, post=self.post, max_attempts=max_attempts, idle=idle
        )
        # A batch takes at most this many rounds of requests; its claim outlasts them twice.
        rounds = -(-self.worker.batch // self.worker.concurrency)
        self.worker.lease = max(LEASE, timedelta(seconds=2 * rounds * timeout))
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        if self.running:
            self.worker.wake()

    def wake_after_commit(self, session: AsyncSession) -> None:
        """Wake the worker once the handler's transaction has committed what it queued."""
        event.listen(session.sync_session, "after_commit", lambda _: self.wake(), once=True)

    async def start(self) -> None:
        """Registered on the Dispatcher's startup."""
        if self.running:
            return
        self._task = asyncio.create_task(self.worker.run(), name="webhook-sender")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.post.close()
