"""The HTTP API's aiohttp application: authentication, limits, idempotent writes, and the
endpoints. Each endpoint reads its input, calls the same domain services as staff mode and
writes JSON; the rules live in `bot.services`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api import schemas
from bot.api.problems import Problem, json_response
from bot.api.ratelimit import RateLimiter
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translator
from bot.services import api_keys, lookup, members, operations, wallet
from bot.services.api_keys import CancelCheck, Claim
from bot.services.card_tokens import CardTokens
from bot.services.ledger import InsufficientPoints, MemberNotFound
from bot.services.lookup import Found
from bot.services.operations import (
    AmountOutOfRange,
    CancelRefused,
    NotEnoughStamps,
    OpStatus,
    Outcome,
    PointsOutOfRange,
)
from bot.services.program import Program
from db.models import ApiKey, Operation
from handlers.staff.common import Messenger

log = logging.getLogger("bot.api")

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
PUBLIC_PATHS = frozenset({"/v1/openapi.json"})
DRAIN_TIMEOUT = 25.0
PRESENCE_TTL = timedelta(minutes=10)  # a QR lookup proves presence this long without a TTL

# A write's result: the status, the body, and the outcome to tell the member about.
Result = tuple[int, dict[str, Any], Outcome | None]


class ApiMessenger(Messenger):
    """Staff mode's messages, with the key's name where staff mode names the staff member."""

    def __init__(self, *args: Any, key_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_name = key_name

    async def staff_name(self, telegram_id: int) -> str:
        return f"🔑 {self.key_name}"


@dataclass
class Notifier:
    """Sends the member's receipt (or the owners' "held" message) once the operation is
    committed, in the background: a register never waits for Telegram, and a message that
    fails is logged without touching the operation."""

    bot: Bot | None
    pool: async_sessionmaker[AsyncSession]
    translator: Translator
    settings: Settings
    program: Program
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def after(self, key: ApiKey, outcome: Outcome) -> None:
        if self.bot is None or outcome.replayed:
            return
        task = asyncio.create_task(self._send(self.bot, key.name, outcome))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, bot: Bot, key_name: str, outcome: Outcome) -> None:
        try:
            async with self.pool() as session:
                member = await members.get(session, outcome.operation.member_id)
                if member is None:
                    return
                messenger = ApiMessenger(
                    bot, session, self.translator, self.settings, self.program, key_name=key_name
                )
                await messenger.after(member, outcome)
        except Exception:
            log.exception("operation %s: the member was not told", outcome.operation.id)

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait for the messages in flight (at shutdown, and in tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


@dataclass
class ApiContext:
    settings: Settings
    pool: async_sessionmaker[AsyncSession]
    program: Program
    clock: Clock
    card_tokens: CardTokens
    limiter: RateLimiter
    notifier: Notifier


API = web.AppKey("api", ApiContext)
OPENAPI = web.AppKey("openapi", bytes)
# The request's key, set by `authenticate` (aiohttp before 3.13 has no RequestKey: a string).
KEY: Any = web.RequestKey("api_key", ApiKey) if hasattr(web, "RequestKey") else "api_key"


# ------------------------------------------------------------------------------ middlewares

_HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
}


@web.middleware
async def log_and_render_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """One log line per request (the key's name, method, path without the query, status,
    duration), and every error as a problem document."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except Problem as problem:
        response = problem.response()
    except web.HTTPException as exc:
        code = _HTTP_CODES.get(exc.status)
        if code is None:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        response = Problem(exc.status, code, headers=headers).response()
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("api error %s on %s %s", error_id, request.method, request.path)
        response = Problem(500, "internal-error", f"error id {error_id}").response()
    key: ApiKey | None = request.get(KEY)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "api %s %s -> %s in %.1f ms (key %s)",
        request.method,
        request.path,
        response.status,
        duration_ms,
        key.name if key else "-",
        extra={
            "api_key": key.name if key else None,
            "api_key_id": key.id if key else None,
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "duration_ms": duration_ms,
        },
    )
    return response


@web.middleware
async def authenticate(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """`Authorization: Bearer <key>`, then the key's rate limit."""
    if request.path in PUBLIC_PATHS or request.match_info.http_exception is not None:
        return await handler(request)
    ctx = request.app[API]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = None
    if scheme.lower() == "bearer" and token.strip():
        async with ctx.pool() as session, session.begin():
            key = await api_keys.authenticate(session, token.strip(), now=ctx.clock.now())
    if key is None:
        raise Problem(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="api"'})
    request[KEY] = key
    wait = ctx.limiter.take(key.id)
    if wait:
        raise Problem(
            429,
            "rate-limited",
            f"at most {ctx.settings.api_rate_limit} requests a minute per key",
            headers={"Retry-After": ctx.limiter.retry_after(wait)},
        )
    return await handler(request)


# ---------------------------------------------------------------------------------- helpers


async def _json_body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    limit = request.app[API].settings.api_max_body
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, "body-too-large", f"at most {limit} bytes")
    raw = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge, a 413
    if not raw.strip() and optional:
        return {}
    if request.content_type != "application/json":
        raise Problem(415, "unsupported-media-type")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "malformed-json") from None
    if not isinstance(data, dict):
        raise Problem(400, "malformed-json")
    return data


def _idempotency_key(request: web.Request) -> str:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        raise Problem(400, "idempotency-key-missing")
    if not api_keys.IDEMPOTENCY_KEY_RE.match(value):
        raise Problem(400, "idempotency-key-invalid")
    return value


Perform = Callable[[AsyncSession, Any, ApiKey, str, datetime], Awaitable[Result]]


async def _write(
    request: web.Request, model: type[schemas.Body], perform: Perform
) -> web.Response:
    """An idempotent write. The first answer for an Idempotency-Key (success or problem) is
    stored with the write in one transaction; a retry gets it back and changes nothing."""
    ctx, key = request.app[API], request[KEY]
    idempotency_key = _idempotency_key(request)
    data = await _json_body(request, optional=model is schemas.CancelIn)
    payload = schemas.parse(model, data)
    digest = api_keys.request_hash(request.method, request.path, data)
    async with ctx.pool() as session, session.begin():
        now = ctx.clock.now()
        claimed = await api_keys.claim(session, key, idempotency_key, digest, now=now)
        if claimed.claim is Claim.REPLAY:
            status, body = claimed.stored
            return json_response(status, body, headers={"Idempotent-Replayed": "true"})
        if claimed.claim is Claim.MISMATCH:
            raise Problem(409, "idempotency-key-reused")
        if claimed.claim is Claim.IN_PROGRESS:
            raise Problem(409, "idempotency-in-progress", headers={"Retry-After": "1"})
        assert claimed.record is not None
        try:
            status, body, outcome = await perform(session, payload, key, idempotency_key, now)
        except Problem as problem:
            status, body, outcome = problem.status, problem.body(), None
        await api_keys.finish(session, claimed.record, status, body)
    if outcome is not None:
        ctx.notifier.after(key, outcome)
    return json_response(status, body)


def _path_id(request: web.Request) -> int:
    return schemas.parse(schemas.IdPath, dict(request.match_info)).id


def _amount_problem(exc: AmountOutOfRange) -> Problem:
    return Problem(
        422, "amount-out-of-range", f"1 to {exc.maximum} minor units", maximum=exc.maximum
    )


def _points_problem(exc: PointsOutOfRange) -> Problem:
    return Problem(422, "points-out-of-range", f"at most {exc.maximum}", maximum=exc.maximum)


# -------------------------------------------------------------------------------- endpoints


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


_LOOKUP_PROBLEMS = {
    Found.EXPIRED: (422, "card-expired"),
    Found.REVOKED: (422, "card-revoked"),
    Found.FORGED: (422, "card-invalid"),
    Found.UNKNOWN: (404, "member-not-found"),
    Found.AMBIGUOUS: (409, "phone-ambiguous"),
}
_MALFORMED = {"token": "card-invalid", "code": "code-invalid", "phone": "phone-invalid"}


async def lookup_member(request: web.Request) -> web.Response:
    ctx, key = request.app[API], request[KEY]
    query = schemas.parse(schemas.LookupQuery, dict(request.query))
    problem: Problem | None = None
    async with ctx.pool() as session, session.begin():
        now = ctx.clock.now()
        if query.token is not None:
            token = lookup.start_payload(query.token) or query.token.strip()
            found = await lookup.by_token(
                session, ctx.card_tokens, token, staff_id=key.created_by, now=now
            )
            given = "token"
        elif query.code is not None:
            found = await lookup.by_code(session, query.code, staff_id=key.created_by, now=now)
            given = "code"
        else:
            found = await lookup.by_phone(
                session, query.phone or "", staff_id=key.created_by, now=now
            )
            given = "phone"
        if found.outcome is Found.FOUND and found.member is not None:
            view = await wallet.balance_view(
                session, found.member, program=ctx.program, tz=ctx.settings.tz
            )
            body = {
                "lookup_id": found.lookup_id,
                "member": schemas.member(ctx.program, found.member, view),
            }
        else:
            status, code = _LOOKUP_PROBLEMS.get(found.outcome, (422, _MALFORMED[given]))
            problem = Problem(status, code, lookup_id=found.lookup_id)
    if problem is not None:  # raised after the commit: failed lookups are logged too
        raise problem
    return json_response(200, body)


async def get_member(request: web.Request) -> web.Response:
    ctx = request.app[API]
    member_id = _path_id(request)
    async with ctx.pool() as session, session.begin():
        member = await members.get(session, member_id)
        if member is None:
            raise Problem(404, "member-not-found")
        view = await wallet.balance_view(session, member, program=ctx.program, tz=ctx.settings.tz)
        return json_response(200, schemas.member(ctx.program, member, view))


async def get_quote(request: web.Request) -> web.Response:
    ctx = request.app[API]
    query = schemas.parse(schemas.QuoteQuery, dict(request.query))
    async with ctx.pool() as session:
        member = await members.get(session, query.member_id)
        if member is None:
            raise Problem(404, "member-not-found")
        try:
            figures = operations.quote(
                ctx.program,
                member.tier,
                amount=query.amount,
                balance=member.points_balance,
                points=query.points,
            )
        except AmountOutOfRange as exc:
            raise _amount_problem(exc) from None
        except PointsOutOfRange as exc:
            raise _points_problem(exc) from None
    return json_response(200, schemas.quote(query.member_id, figures))


def _created(outcome: Outcome) -> int:
    return 201 if outcome.status in (OpStatus.DONE, OpStatus.CANCELLED) else 202


async def create_purchase(request: web.Request) -> web.Response:
    ctx = request.app[API]

    async def perform(
        session: AsyncSession, payload: schemas.PurchaseIn, key: ApiKey, idem: str, now: datetime
    ) -> Result:
        # As in staff mode: points pay at once only for a member whose own QR this key
        # scanned just now (`lookup_id`); otherwise the member confirms in their chat.
        present = bool(payload.lookup_id) and await operations.lookup_is_fresh(
            session,
            payload.lookup_id or 0,
            staff_id=key.created_by,
            member_id=payload.member_id,
            now=now,
            ttl=ctx.card_tokens.ttl or PRESENCE_TTL,
        )
        try:
            outcome = await operations.record_purchase(
                session,
                ctx.program,
                member_id=payload.member_id,
                staff_id=key.created_by,
                amount=payload.amount,
                points=payload.points,
                idempotency_key=api_keys.operation_key(key, idem),
                now=now,
                tz=ctx.settings.tz,
                member_must_confirm=bool(payload.points) and not present,
                location_id=key.location_id,
                api_key_id=key.id,
                receipt_id=payload.receipt_id,
            )
        except MemberNotFound:
            raise Problem(404, "member-not-found") from None
        except AmountOutOfRange as exc:
            raise _amount_problem(exc) from None
        except PointsOutOfRange as exc:
            raise _points_problem(exc) from None
        except InsufficientPoints:
            raise Problem(409, "insufficient-points") from None
        return _created(outcome), schemas.outcome(outcome), outcome

    return await _write(request, schemas.PurchaseIn, perform)


async def create_reward(request: web.Request) -> web.Response:
    ctx = request.app[API]

    async def perform(
        session: AsyncSession, payload: schemas.RewardIn, key: ApiKey, idem: str, now: datetime
    ) -> Result:
        try:
            outcome = await operations.redeem_reward(
                session,
                ctx.program,
                member_id=payload.member_id,
                staff_id=key.created_by,
                idempotency_key=api_keys.operation_key(key, idem),
                now=now,
                location_id=key.location_id,
                api_key_id=key.id,
            )
        except MemberNotFound:
            raise Problem(404, "member-not-found") from None
        except NotEnoughStamps:
            raise Problem(409, "no-reward-due") from None
        return _created(outcome), schemas.outcome(outcome), outcome

    return await _write(request, schemas.RewardIn, perform)


_CANCEL_PROBLEMS = {
    "window": (409, "cancel-window-passed"),
    "status": (409, "operation-not-cancellable"),
    "spent": (409, "points-already-spent"),
    "not_yours": (403, "operation-not-yours"),
}


async def _own_operation(session: AsyncSession, key: ApiKey, operation_id: int) -> Operation:
    check, operation = await api_keys.own_operation(session, key, operation_id)
    if check is CancelCheck.NOT_FOUND:
        raise Problem(404, "operation-not-found")
    if check is CancelCheck.NOT_YOURS or operation is None:
        raise Problem(403, "operation-not-yours")
    return operation


async def cancel_operation(request: web.Request) -> web.Response:
    ctx = request.app[API]
    operation_id = _path_id(request)

    async def perform(
        session: AsyncSession, _payload: schemas.CancelIn, key: ApiKey, _idem: str, now: datetime
    ) -> Result:
        await _own_operation(session, key, operation_id)
        try:
            outcome = await operations.cancel(
                session,
                ctx.program,
                operation_id=operation_id,
                by=key.created_by,
                is_owner=False,
                now=now,
            )
        except CancelRefused as exc:
            status, code = _CANCEL_PROBLEMS[exc.reason]
            raise Problem(status, code) from None
        return 200, schemas.outcome(outcome), outcome

    return await _write(request, schemas.CancelIn, perform)


async def get_operation(request: web.Request) -> web.Response:
    ctx, key = request.app[API], request[KEY]
    operation_id = _path_id(request)
    async with ctx.pool() as session:
        operation = await _own_operation(session, key, operation_id)
        return json_response(200, schemas.operation(operation))


# ------------------------------------------------------------------------------ application


def build_api(ctx: ApiContext) -> web.Application:
    web_app = web.Application(
        middlewares=[log_and_render_errors, authenticate],
        client_max_size=ctx.settings.api_max_body,
    )
    web_app[API] = ctx
    web_app[OPENAPI] = OPENAPI_FILE.read_bytes()
    router = web_app.router
    router.add_get("/v1/openapi.json", openapi, allow_head=False)
    router.add_get("/v1/members/lookup", lookup_member, allow_head=False)
    router.add_get("/v1/members/{id}", get_member, allow_head=False)
    router.add_get("/v1/quotes", get_quote, allow_head=False)
    router.add_post("/v1/purchases", create_purchase)
    router.add_post("/v1/rewards", create_reward)
    router.add_get("/v1/operations/{id}", get_operation, allow_head=False)
    router.add_post("/v1/operations/{id}/cancel", cancel_operation)
    return web_app


def context_for(
    *,
    settings: Settings,
    pool: async_sessionmaker[AsyncSession],
    program: Program,
    translator: Translator,
    clock: Clock,
    bot: Bot | None,
) -> ApiContext:
    return ApiContext(
        settings=settings,
        pool=pool,
        program=program,
        clock=clock,
        card_tokens=CardTokens(settings.card_secret(), settings.card_token_ttl),
        limiter=RateLimiter(settings.api_rate_limit),
        notifier=Notifier(
            bot=bot, pool=pool, translator=translator, settings=settings, program=program
        ),
    )
