"""Keys to the HTTP API for cash registers and CRMs, and the record of idempotent writes.

A key reads `lw_<prefix>_<secret>`. Only sha256(secret) is stored: the owner sees the whole key
once, when it is made. The prefix is public and finds the row; a revoked key finds nothing.
A key belongs to a location (or to the whole shop), and every operation made with it records
both. Operations made through the API are recorded under the Telegram id of the owner who made
the key (`staff_id`), who is answerable for it, and the key itself (`api_key_id`).

Idempotent writes: a write carries the client's `Idempotency-Key`. Its first answer is stored
(`api_idempotency`, unique per key and Idempotency-Key) in the same transaction as the write
itself, so either both happen or neither does, and every retry gets that answer back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import locations
from db.models import ApiIdempotency, ApiKey, Location, Operation
from db.session import insert_for

KEY_PREFIX = "lw"
NAME_MAX = 64
_TOKEN_RE = re.compile(r"^lw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # visible ASCII, as in a header
# last_used_at is written at most this often per key: a busy register would otherwise write
# the key's row on every request.
TOUCH_EVERY = timedelta(minutes=1)


class InvalidKeyName(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    token: str  # the whole key: shown once, never stored


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: ApiKey
    location: str | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidKeyName(name)
    return name


async def create(
    session: AsyncSession,
    *,
    name: str,
    location_id: int | None,
    created_by: int,
    now: datetime,
) -> NewKey:
    """A new key of a location (None: the whole shop); raises `locations.LocationGone` for an
    unknown or archived one."""
    location_id = await locations.usable(session, location_id)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        name=clean_name(name),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        location_id=location_id,
        created_by=created_by,
        created_at=now,
    )
    session.add(key)
    await session.flush()
    return NewKey(key=key, token=f"{KEY_PREFIX}_{prefix}_{secret}")


async def active(session: AsyncSession) -> list[KeyRow]:
    rows = await session.execute(
        select(ApiKey, Location.name)
        .outerjoin(Location, Location.id == ApiKey.location_id)
        .where(ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id)
    )
    return [KeyRow(key=key, location=location) for key, location in rows.all()]


async def get_active(session: AsyncSession, key_id: int) -> ApiKey | None:
    key = await session.get(ApiKey, key_id)
    return key if key is not None and key.revoked_at is None else None


async def revoke(session: AsyncSession, key_id: int, *, by: int, now: datetime) -> ApiKey | None:
    """Revoke a key at once: its next request is refused. None if it was already revoked."""
    revoked = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_by=by, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if revoked.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(ApiKey, key_id, populate_existing=True)


async def authenticate(session: AsyncSession, token: str, *, now: datetime) -> ApiKey | None:
    """The active key this token is, or None (malformed, unknown, wrong secret, revoked)."""
    match = _TOKEN_RE.match(token)
    if match is None:
        return None
    prefix, secret = match.groups()
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    if key.revoked_at is not None:
        return None
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = now
        await session.flush()
    return key


def operation_key(key: ApiKey, idempotency_key: str) -> str:
    """The operation's own idempotency key: unique per API key and Idempotency-Key."""
    return f"api:{key.id}:{idempotency_key}"


class CancelCheck(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"


async def own_operation(
    session: AsyncSession, key: ApiKey, operation_id: int
) -> tuple[CancelCheck, Operation | None]:
    """A key sees and cancels only the operations it made itself."""
    operation = await session.get(Operation, operation_id)
    if operation is None:
        return CancelCheck.NOT_FOUND, None
    if operation.api_key_id != key.id:
        return CancelCheck.NOT_YOURS, None
    return CancelCheck.OK, operation


# ------------------------------------------------------------------------- idempotent writes


def request_hash(method: str, path: str, body: Any) -> str:
    """sha256 of the method, the path and the body in canonical JSON (sorted keys, no spaces):
    the same request written with other spacing or key order is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


class Claim(StrEnum):
    NEW = "new"  # go ahead; `finish` stores the answer
    REPLAY = "replay"  # answered before: send `stored` again
    MISMATCH = "mismatch"  # the key was used for another request
    IN_PROGRESS = "in_progress"  # another request with this key has not finished


@dataclass(frozen=True, slots=True)
class Claimed:
    claim: Claim
    record: ApiIdempotency | None = None

    @property
    def stored(self) -> tuple[int, dict[str, Any]]:
        assert self.record is not None and self.record.status_code is not None
        return self.record.status_code, dict(self.record.response or {})


async def claim(
    session: AsyncSession, key: ApiKey, idempotency_key: str, digest: str, *, now: datetime
) -> Claimed:
    """Take an Idempotency-Key for this request, inside the request's transaction.

    The row is inserted with `INSERT … ON CONFLICT DO NOTHING`. A concurrent request with the
    same key waits on the unique index until the first one commits (PostgreSQL), or for the
    database's write lock (SQLite), and then finds its stored answer: it gets the same answer.
    """
    inserted = await session.scalar(
        insert_for(session)(ApiIdempotency)
        .values(
            api_key_id=key.id,
            key=idempotency_key,
            request_hash=digest,
            status_code=None,
            response=None,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ApiIdempotency.id)
    )
    if inserted is not None:
        return Claimed(Claim.NEW, await session.get(ApiIdempotency, inserted))
    record = await session.scalar(
        select(ApiIdempotency)
        .where(ApiIdempotency.api_key_id == key.id, ApiIdempotency.key == idempotency_key)
        .execution_options(populate_existing=True)
    )
    if record is None:  # deleted in between: nothing to replay, and nothing to wait for
        return Claimed(Claim.IN_PROGRESS)
    if not hmac.compare_digest(record.request_hash, digest):
        return Claimed(Claim.MISMATCH, record)
    if record.status_code is None:
        return Claimed(Claim.IN_PROGRESS, record)
    return Claimed(Claim.REPLAY, record)


async def finish(
    session: AsyncSession, record: ApiIdempotency, status: int, body: dict[str, Any]
) -> None:
    record.status_code, record.response = status, body
    await session.flush()
