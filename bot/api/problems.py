"""Errors as RFC 9457 problem documents (`application/problem+json`).

Every problem has a stable `type` (a URI under `PROBLEMS`) and the same value as a short `code`:
clients branch on `code`, people read `title` and `detail`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

PROBLEMS = "https://loyalty.invalid/problems/"
PROBLEM_JSON = "application/problem+json"

TITLES = {
    "unauthorized": "Missing, unknown or revoked API key",
    "forbidden": "Not allowed",
    "not-found": "No such endpoint",
    "method-not-allowed": "Method not allowed",
    "malformed-json": "The body is not a JSON object",
    "idempotency-key-missing": "Idempotency-Key header required",
    "idempotency-key-invalid": "Idempotency-Key must be 1-100 visible ASCII characters",
    "idempotency-key-reused": "Idempotency-Key already used for another request",
    "idempotency-in-progress": "A request with this Idempotency-Key is in progress",
    "body-too-large": "Request body too large",
    "unsupported-media-type": "Content-Type must be application/json",
    "validation-failed": "The request is invalid",
    "rate-limited": "Too many requests",
    "member-not-found": "No such member",
    "operation-not-found": "No such operation",
    "operation-not-yours": "The operation was made by another key or person",
    "card-expired": "The card QR has expired: ask for a fresh one",
    "card-revoked": "The card QR was replaced by a newer one",
    "card-invalid": "Not a valid card QR",
    "code-invalid": "Not a valid member code",
    "phone-invalid": "Not a valid phone number",
    "phone-ambiguous": "Several members share this phone number",
    "amount-out-of-range": "Amount out of range",
    "points-out-of-range": "Points over the allowed maximum",
    "insufficient-points": "The member no longer has these points",
    "no-reward-due": "The stamp card is not full",
    "cancel-window-passed": "Too late to cancel this operation",
    "operation-not-cancellable": "This operation can't be cancelled",
    "points-already-spent": "The points of this operation were already spent",
    "internal-error": "Internal error",
}


class Problem(Exception):
    """Raised anywhere in a request: the error middleware answers with it."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEMS + self.code,
            "title": TITLES[self.code],
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body

    def response(self) -> web.Response:
        return json_response(self.status, self.body(), headers=self.headers)


def json_response(
    status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer; a status of 400 and above is a problem document."""
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=PROBLEM_JSON if status >= 400 else "application/json",
        headers=headers,
    )
