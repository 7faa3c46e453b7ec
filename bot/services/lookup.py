"""Finding the member at the counter: by the QR deep link, a photo of the QR, or the short code.
Every attempt is logged with its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qs, urlparse

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import members, operations
from bot.services.card_tokens import CardTokens, InvalidToken, normalize_short_code
from db.models import Member


class Method(StrEnum):
    LINK = "link"
    PHOTO = "photo"
    CODE = "code"
    PHONE = "phone"  # a cash register or CRM that knows the customer by their number


class Found(StrEnum):
    FOUND = "found"
    EXPIRED = "expired"
    FORGED = "forged"
    REVOKED = "revoked"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"  # a well-formed code or token of nobody
    UNREADABLE = "unreadable"  # no QR in the photo
    AMBIGUOUS = "ambiguous"  # several members share the phone number


@dataclass(frozen=True, slots=True)
class Lookup:
    outcome: Found
    member: Member | None
    lookup_id: int
    method: Method


async def by_token(
    session: AsyncSession,
    tokens: CardTokens,
    token: str,
    *,
    staff_id: int,
    now: datetime,
    method: Method = Method.LINK,
) -> Lookup:
    member: Member | None = None
    try:
        decoded = tokens.verify(token, now)
    except InvalidToken as exc:
        outcome = Found(exc.problem.value)
    else:
        member = await members.get(session, decoded.member_id)
        if member is None:
            outcome = Found.UNKNOWN
        elif member.card_version % 65536 != decoded.card_version:
            outcome, member = Found.REVOKED, None
        else:
            outcome = Found.FOUND
    return await _logged(session, outcome, member, method, staff_id=staff_id, now=now)


async def by_code(session: AsyncSession, text: str, *, staff_id: int, now: datetime) -> Lookup:
    code = normalize_short_code(text)
    member = await members.find_by_short_code(session, code) if code else None
    outcome = Found.MALFORMED if code is None else Found.FOUND if member else Found.UNKNOWN
    return await _logged(session, outcome, member, Method.CODE, staff_id=staff_id, now=now)


async def by_phone(session: AsyncSession, text: str, *, staff_id: int, now: datetime) -> Lookup:
    phone = members.normalize_phone(text)
    found = await members.find_by_phone(session, phone) if phone else []
    if phone is None:
        outcome, member = Found.MALFORMED, None
    elif len(found) > 1:
        outcome, member = Found.AMBIGUOUS, None
    else:
        outcome, member = (Found.FOUND, found[0]) if found else (Found.UNKNOWN, None)
    return await _logged(session, outcome, member, Method.PHONE, staff_id=staff_id, now=now)


async def by_photo(
    session: AsyncSession,
    tokens: CardTokens,
    texts: list[str],
    *,
    staff_id: int,
    now: datetime,
) -> Lookup:
    """`texts` are what the QR reader found; a member QR holds a t.me deep link."""
    for text in texts:
        token = start_payload(text)
        if token:
            return await by_token(
                session, tokens, token, staff_id=staff_id, now=now, method=Method.PHOTO
            )
    outcome = Found.FORGED if texts else Found.UNREADABLE
    return await _logged(session, outcome, None, Method.PHOTO, staff_id=staff_id, now=now)


def start_payload(text: str) -> str | None:
    """`https://t.me/<bot>?start=<payload>` → payload."""
    url = urlparse(text.strip())
    if url.scheme not in ("https", "http", "tg") or not url.query:
        return None
    values = parse_qs(url.query).get("start")
    return values[0] if values else None


async def _logged(
    session: AsyncSession,
    outcome: Found,
    member: Member | None,
    method: Method,
    *,
    staff_id: int,
    now: datetime,
) -> Lookup:
    lookup_id = await operations.log_lookup(
        session,
        staff_id=staff_id,
        member_id=member.id if member else None,
        method=method.value,
        outcome=outcome.value,
        now=now,
    )
    return Lookup(outcome=outcome, member=member, lookup_id=lookup_id, method=method)
