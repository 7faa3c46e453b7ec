"""Signed, expiring tokens for the member card's QR deep link.

A token is `c` + base64url(member id, card version, issue time) + base64url(truncated HMAC-SHA256).
It fits Telegram's deep-link limit (at most 64 characters of `A-Za-z0-9_-`): 36 characters.
Raising the member's card version revokes every token issued before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

PREFIX = "c"
_BODY = struct.Struct(">QHI")  # member id, card version, issued at (unix seconds)
_MAC_BYTES = 12
_TOKEN_RE = re.compile(r"^c[A-Za-z0-9_-]{35}$")
DEEP_LINK_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Short member codes: 8 characters with no look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 8
_CODE_TRANSLATE = str.maketrans({"-": None, " ": None, "\u00a0": None})


class TokenProblem(StrEnum):
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class CardToken:
    member_id: int
    card_version: int
    issued_at: datetime


class InvalidToken(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CardTokens:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        if len(secret) < 16:
            raise ValueError("the card secret must be at least 16 bytes")
        self._secret = secret
        self.ttl = timedelta(seconds=ttl_seconds) if ttl_seconds else None

    def issue(self, member_id: int, card_version: int, now: datetime) -> str:
        body = _BODY.pack(member_id, card_version % 65536, int(now.timestamp()))
        return PREFIX + _b64(body) + _b64(self._mac(body))

    def expires_at(self, issued: datetime) -> datetime | None:
        return issued + self.ttl if self.ttl else None

    def verify(self, token: str, now: datetime) -> CardToken:
        """Decode a token; raise InvalidToken if it is malformed, forged or expired.

        Revocation needs the member's current card version: the caller compares it.
        """
        if not _TOKEN_RE.match(token):
            raise InvalidToken(TokenProblem.MALFORMED)
        try:
            body = _unb64(token[1:20])
            mac = _unb64(token[20:])
        except (binascii.Error, ValueError):
            raise InvalidToken(TokenProblem.MALFORMED) from None
        if len(body) != _BODY.size or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidToken(TokenProblem.FORGED)
        member_id, version, issued = _BODY.unpack(body)
        issued_at = datetime.fromtimestamp(issued, UTC)
        # A token from the future (clock skew beyond a minute) is as suspicious as a stale one.
        if issued_at - now > timedelta(minutes=1):
            raise InvalidToken(TokenProblem.FORGED)
        if self.ttl and now - issued_at > self.ttl:
            raise InvalidToken(TokenProblem.EXPIRED)
        return CardToken(member_id=member_id, card_version=version, issued_at=issued_at)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._secret, b"card:" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def looks_like_card_token(payload: str) -> bool:
    return bool(_TOKEN_RE.match(payload))


def new_short_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_short_code(text: str) -> str | None:
    """`abcd-efgh`, `ABCD EFGH` → `ABCDEFGH`; None when it can't be a member code."""
    code = text.strip().upper().translate(_CODE_TRANSLATE)
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def format_short_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def deep_link(bot_username: str, payload: str) -> str:
    if not DEEP_LINK_RE.match(payload):
        raise ValueError("a deep-link payload is 1-64 characters of A-Za-z0-9_-")
    return f"https://t.me/{bot_username}?start={payload}"
