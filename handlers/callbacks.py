"""Typed callback data. Prefixes are short: callback_data is capped at 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ConsentCD(CallbackData, prefix="join"):
    ref: str = ""


class CardAction(StrEnum):
    REFRESH = "r"


class CardCD(CallbackData, prefix="card"):
    action: CardAction


class HistoryCD(CallbackData, prefix="hist"):
    page: int


class SettingsAction(StrEnum):
    LANGUAGE = "l"
    PROMO = "p"


class SettingsCD(CallbackData, prefix="set"):
    action: SettingsAction
    value: str = ""


class StaffAction(StrEnum):
    PURCHASE = "p"
    REDEEM = "r"
    REWARD = "g"


class StaffCD(CallbackData, prefix="sv"):
    """A button under the staff view of a member. `lookup` proves how the member was found."""

    action: StaffAction
    member: int
    lookup: int = 0


class ConfirmCD(CallbackData, prefix="ok"):
    action: StaffAction
    member: int
    amount: int = 0
    points: int = 0
    lookup: int = 0


class AbortCD(CallbackData, prefix="ab"):
    member: int


class CancelOpCD(CallbackData, prefix="co"):
    op: int


class NotMeCD(CallbackData, prefix="nm"):
    op: int


class MemberReplyCD(CallbackData, prefix="mc"):
    op: int
    yes: bool


class DecideCD(CallbackData, prefix="dc"):
    op: int
    approve: bool


class TeamAction(StrEnum):
    OPERATIONS = "o"
    REVOKE = "r"
    MOVE = "m"  # to another location


class TeamCD(CallbackData, prefix="tm"):
    action: TeamAction
    user: int


class InviteCD(CallbackData, prefix="iv"):
    """The location an invited staff member will work at; 0 = no specific location."""

    role: str
    loc: int = 0


class MoveCD(CallbackData, prefix="mv"):
    """Move a team member (or the owner themselves) to a location; 0 = no specific location."""

    user: int
    loc: int = 0
