"""What the API reads (pydantic models, strict: a string is not a number, unknown fields are
refused) and how it writes what the services return. Mirrors `openapi.json`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.api.problems import Problem
from bot.services.card_tokens import format_short_code
from bot.services.operations import Outcome, PurchaseQuote
from bot.services.program import Program
from bot.services.wallet import BalanceView
from db.models import Member, Operation

MAX_INT = 2**53 - 1  # the largest integer every JSON client reads exactly

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Money = Annotated[int, Field(ge=1, le=MAX_INT, description="minor units (kopecks)")]
Points = Annotated[int, Field(ge=0, le=MAX_INT)]
ReceiptId = Annotated[str, Field(pattern=r"^[\x20-\x7e]{1,64}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Query(BaseModel):
    """Query and path parameters arrive as text: numbers are parsed, but nothing else is."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class PurchaseIn(Body):
    member_id: Id
    amount: Money
    receipt_id: ReceiptId
    points: Points = 0
    lookup_id: Id | None = None


class RewardIn(Body):
    member_id: Id


class CancelIn(Body):
    pass


class QuoteQuery(Query):
    member_id: Id
    amount: Money
    points: Points = 0


class LookupQuery(Query):
    token: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    code: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    phone: Annotated[str, Field(min_length=1, max_length=32)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LookupQuery:
        given = [name for name in ("token", "code", "phone") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of token, code, phone")
        return self


class IdPath(Query):
    id: Id


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """Validate, or raise the 422 problem that lists every field's error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or "body",
                "code": error["type"],
                "message": error["msg"],
            }
            for error in exc.errors(include_url=False)
        ]
        raise Problem(
            422, "validation-failed", f"{len(errors)} invalid field(s)", errors=errors
        ) from None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def operation(op: Operation) -> dict[str, Any]:
    return {
        "id": op.id,
        "member_id": op.member_id,
        "kind": op.kind,
        "status": op.status,
        "amount": op.amount,
        "points_redeemed": op.points_redeemed,
        "points_earned": op.points_earned,
        "stamps_delta": op.stamps_delta,
        "receipt_id": op.receipt_id,
        "hold_reason": op.hold_reason,
        "location_id": op.location_id,
        "created_at": _time(op.created_at),
        "cancelled_at": _time(op.cancelled_at),
    }


def outcome(result: Outcome) -> dict[str, Any]:
    return {
        "operation": operation(result.operation),
        "balance": result.balance,
        "stamps": result.stamps,
        "tier": result.tier_after,
        "tier_changed": result.tier_up,
    }


def member(program: Program, person: Member, view: BalanceView) -> dict[str, Any]:
    needed = view.stamps_needed
    return {
        "id": person.id,
        "name": person.display_name,
        "code": format_short_code(person.short_code),
        "tier": {
            "key": view.tier.key,
            "name": dict(view.tier.name),
            "cashback_percent": view.tier.cashback_percent,
        },
        "points": view.points,
        "stamps": view.stamps,
        "stamps_needed": needed,
        "reward_due": bool(needed) and view.stamps >= needed,
        "nearest_expiry": (
            {"points": view.expiry.points, "expires_at": _time(view.expiry.expires_at)}
            if view.expiry
            else None
        ),
        "point_value": program.point_value,
    }


def quote(member_id: int, figures: PurchaseQuote) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "amount": figures.amount,
        "points": figures.points_redeemed,
        "max_points": figures.max_points,
        "to_pay": figures.to_pay,
        "points_to_earn": figures.points_to_earn,
        "earns_stamp": figures.earns_stamp,
    }
