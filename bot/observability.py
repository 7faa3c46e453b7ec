"""What an operator sees of a running bot: logs and Prometheus metrics.

Logs are one line per record, plain text or JSON (`LOG_FORMAT=json`). Every record passes
`RedactingFilter`, which takes out the bot token and anything phone-like: nothing logs them on
purpose, the filter is the last line of defence (an exception message, a library's URL).

Metrics are process-wide, as Prometheus scrapes a process: the collectors below live in the
client library's default registry and are served at `/metrics` (see `bot.webhook`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from db.models import LedgerEntry

# ----------------------------------------------------------------------------------- logging

# Any bot token (`<bot id>:<35 characters>`), not only ours: a log line may quote another.
_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# A phone number: `+` and 7-15 digits, or 10-15 digits written with separators, or a bare run
# of 11-15 digits. Bare runs of up to 10 digits stay: Telegram ids and update ids look so.
_PHONE_RE = re.compile(r"(?<![\w+:-])\+?\d(?:[ ().-]{0,2}\d){6,14}(?![\w:])")
_SEPARATED = re.compile(r"[ ().-]")
REDACTED_TOKEN = "[token]"
REDACTED_PHONE = "[phone]"


def _phone_like(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(char.isdigit() for char in text)
    if text.startswith("+") or digits >= 11 or (digits >= 10 and _SEPARATED.search(text)):
        return REDACTED_PHONE
    return text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED_TOKEN)
    text = _TOKEN_RE.sub(REDACTED_TOKEN, text)
    return _PHONE_RE.sub(_phone_like, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback without secrets or phone numbers."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={...}` fields become keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RECORD_FIELDS and not key.startswith("_")
        )
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# aiogram's per-update line is replaced by the bot's own; the access log would show the
# webhook's secret path; aiosqlite's debug lines carry every query's parameters.
QUIET_LOGGERS = ("aiogram.event", "aiohttp.access", "aiosqlite")


def log_handler(
    fmt: str = "text", secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    return handler


def configure_logging(
    level: str, fmt: str = "text", secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """The process's one log handler, even at DEBUG free of what `QUIET_LOGGERS` would say."""
    handler = log_handler(fmt, secrets, stream)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


# ----------------------------------------------------------------------------------- metrics

UPDATES = Counter("loyalty_updates", "Updates received, by type and outcome", ["type", "outcome"])
HANDLER_SECONDS = Histogram(
    "loyalty_handler_seconds",
    "Time to process an update (all middlewares included), by handler",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LEDGER_ENTRIES = Counter("loyalty_ledger_entries", "Ledger entries committed, by kind", ["kind"])
BROADCAST_MESSAGES = Counter(
    "loyalty_broadcast_messages",
    "Messages of broadcasts and scheduled mailings, by outcome (sent or failed)",
    ["outcome"],
)
BROADCAST_RATE = Gauge(
    "loyalty_broadcast_rate", "Messages per second the broadcast in progress is paced at"
)
JOB_RUNS = Counter("loyalty_job_runs", "Scheduled job runs, by job and status", ["job", "status"])
JOB_FAILURES = Counter("loyalty_job_failures", "Scheduled job runs that failed", ["job"])
JOB_SECONDS = Histogram(
    "loyalty_job_seconds",
    "How long scheduled jobs run",
    ["job"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
TELEGRAM_API_ERRORS = Counter(
    "loyalty_telegram_api_errors",
    "Bot API calls that failed, by method and error code (`network` when there was no answer)",
    ["method", "code"],
)
WEBHOOK_REQUESTS = Counter(
    "loyalty_webhook_requests", "Webhook HTTP requests, by response status", ["status"]
)


def record_job(job: str, status: str, seconds: float | None = None) -> None:
    JOB_RUNS.labels(job, status).inc()
    if status == "failed":
        JOB_FAILURES.labels(job).inc()
    if seconds is not None:
        JOB_SECONDS.labels(job).observe(seconds)


def record_broadcast(*, sent: bool) -> None:
    BROADCAST_MESSAGES.labels("sent" if sent else "failed").inc()


def metrics_payload() -> tuple[bytes, str]:
    """The exposition body and its content type, for an HTTP `/metrics`."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# Ledger entries are counted when the database transaction commits: a rolled-back purchase,
# or a savepoint that lost a race, never happened. Session events see every entry whichever
# code path wrote it; each is tagged with the (sub)transaction that flushed it.
_PENDING_KINDS = "loyalty_ledger_kinds"


def _remember_ledger_kinds(session: Session, _flush: UOWTransaction) -> None:
    kinds = [obj.kind for obj in session.new if isinstance(obj, LedgerEntry)]
    if kinds:
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_PENDING_KINDS, []).extend((transaction, k) for k in kinds)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(_PENDING_KINDS)
    if pending:
        pending[:] = [(tx, kind) for tx, kind in pending if not _within(tx, previous)]


def _count_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the entries count when the transaction commits
    for _, kind in session.info.pop(_PENDING_KINDS, ()):
        LEDGER_ENTRIES.labels(kind).inc()


def _forget_the_rest(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KINDS, None)


def install_ledger_metrics() -> None:
    """Count committed ledger entries by kind (idempotent)."""
    for name, listener in (
        ("after_flush", _remember_ledger_kinds),
        ("after_soft_rollback", _forget_rolled_back),
        ("after_commit", _count_committed),
        ("after_transaction_end", _forget_the_rest),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


_ERROR_CODES: tuple[tuple[type[TelegramAPIError], str], ...] = (
    (TelegramRetryAfter, "429"),
    (TelegramUnauthorizedError, "401"),
    (TelegramForbiddenError, "403"),
    (TelegramNotFound, "404"),
    (TelegramConflictError, "409"),
    (TelegramEntityTooLarge, "413"),
    (TelegramServerError, "5xx"),
    (TelegramNetworkError, "network"),
    (TelegramBadRequest, "400"),
)


def error_code(error: TelegramAPIError) -> str:
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code
    return "other"


class TelegramApiMetrics(BaseRequestMiddleware):
    """A session middleware: counts failed Bot API calls by method and code."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramAPIError as exc:
            TELEGRAM_API_ERRORS.labels(method.__api_method__, error_code(exc)).inc()
            raise
