"""One log line and the metrics for every update: its id and type, the handler that took it,
how long it took and how it ended. Never the text of a message or who sent it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from bot import observability

log = logging.getLogger("bot.updates")

NO_HANDLER = "-"


@dataclass
class UpdateTrace:
    """Filled in while an update travels: the handler that ran, and an outcome decided by a
    middleware on the way (flood control drops an update as "throttled")."""

    handler: str = NO_HANDLER
    outcome: str | None = None


def update_type(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # noqa: BLE001 - an update type newer than this aiogram
        return "unknown"


def handler_name(callback: Callable[..., Any]) -> str:
    module = getattr(callback, "__module__", "") or ""
    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    return f"{module.removeprefix('handlers.')}.{name}" if module else name


class UpdateLogMiddleware(BaseMiddleware):
    """Outer middleware on `update`, registered before every other one of the bot's."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        trace = UpdateTrace()
        data["trace"] = trace
        started = time.perf_counter()
        outcome = "cancelled"
        try:
            result = await handler(event, data)
        except Exception:
            outcome = "error"
            raise
        else:
            outcome = trace.outcome or ("unhandled" if result is UNHANDLED else "handled")
            return result
        finally:
            self._record(event, trace, outcome, time.perf_counter() - started)

    @staticmethod
    def _record(update: Update, trace: UpdateTrace, outcome: str, seconds: float) -> None:
        kind = update_type(update)
        observability.UPDATES.labels(kind, outcome).inc()
        observability.HANDLER_SECONDS.labels(trace.handler).observe(seconds)
        latency_ms = round(seconds * 1000, 1)
        log.info(
            "update %s %s -> %s: %s in %.1f ms",
            update.update_id,
            kind,
            trace.handler,
            outcome,
            latency_ms,
            extra={
                "update_id": update.update_id,
                "update_type": kind,
                "handler": trace.handler,
                "outcome": outcome,
                "latency_ms": latency_ms,
            },
        )


class HandlerTraceMiddleware(BaseMiddleware):
    """Inner middleware: runs only once a handler's filters passed, and notes which one."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        trace: UpdateTrace | None = data.get("trace")
        chosen = data.get("handler")
        if trace is not None and chosen is not None:
            trace.handler = handler_name(chosen.callback)
        return await handler(event, data)


def setup_update_log(dispatcher: Dispatcher) -> None:
    """Register the update log first among the bot's outer middlewares, and the handler trace
    on every event type (inner middlewares of the Dispatcher reach every nested router)."""
    dispatcher.update.outer_middleware(UpdateLogMiddleware())
    tracer = HandlerTraceMiddleware()
    for name, observer in dispatcher.observers.items():
        if name not in ("update", "error"):
            observer.middleware(tracer)
