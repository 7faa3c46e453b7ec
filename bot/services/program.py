"""The program's rules: a TOML file validated by pydantic, with a built-in default."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

LocalizedText = dict[str, str]


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(Rules):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: LocalizedText
    cashback_percent: Annotated[int, Field(ge=0, le=100)]
    min_purchases: Annotated[int, Field(ge=0)] = 0
    min_spend: Annotated[int, Field(ge=0, description="minor units (kopecks)")] = 0
    color: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] = "#8A8F98"


class StampCard(Rules):
    visits_needed: Annotated[int, Field(ge=0, le=20, description="0 = no stamp card")] = 5
    min_purchase: Annotated[int, Field(ge=0, description="minor units")] = 0
    reward: LocalizedText = {"ru": "бесплатный кофе", "en": "a free coffee"}


class Limits(Rules):
    """Fraud controls. Money in minor units."""

    max_purchase_amount: Annotated[int, Field(ge=1)] = 100_000_000
    confirm_purchase_above: Annotated[int, Field(ge=0, description="0 = never")] = 3_000_000
    purchases_per_member_per_day: Annotated[int, Field(ge=0, description="0 = no limit")] = 5
    operations_per_staff_per_hour: Annotated[int, Field(ge=0, description="0 = no limit")] = 60
    cancel_window_minutes: Annotated[int, Field(ge=0, le=1440)] = 15


class Referral(Rules):
    """Bring a friend: the friend's bonus at joining, the inviter's reward and its guards."""

    welcome_bonus: Annotated[int, Field(ge=0, description="points for the friend")] = 50
    reward: Annotated[int, Field(ge=0, description="points for the member who invited")] = 100
    pay_on: Literal["first_purchase", "join"] = "first_purchase"
    min_purchase: Annotated[int, Field(ge=0, description="minor units")] = 0
    monthly_cap: Annotated[int, Field(ge=0, description="friends per 30 days; 0 = none")] = 10


AchievementKey = Literal[
    "first_purchase", "visits", "first_quiz", "friend_invited", "tier_reached"
]


class Achievements(Rules):
    visits: Annotated[int, Field(ge=2, le=100, description="purchases for `visits`")] = 5
    bonus: dict[AchievementKey, Annotated[int, Field(ge=0)]] = {}


class BirthdayOffer(Rules):
    """A gift for the member's birthday, `days_before` it (0 = on the day) at `hour` local."""

    enabled: bool = True
    days_before: Annotated[int, Field(ge=0, le=30)] = 0
    hour: Annotated[int, Field(ge=0, le=23)] = 12
    points: Annotated[int, Field(ge=0)] = 100
    coupon_percent: Annotated[int, Field(ge=0, le=100, description="0 = no coupon")] = 10
    coupon_days_before: Annotated[int, Field(ge=0, le=60)] = 3
    coupon_days_after: Annotated[int, Field(ge=0, le=60)] = 7
    known_days: Annotated[int, Field(ge=0, le=365, description="set this long before")] = 30
    catch_up_days: Annotated[int, Field(ge=0, le=30)] = 3


class ExpiryReminders(Rules):
    """The daily expiry run at `hour` local, and reminders `days_before` points expire."""

    hour: Annotated[int, Field(ge=0, le=23)] = 12
    days_before: list[Annotated[int, Field(ge=1, le=365)]] = [30, 7, 1]

    @model_validator(mode="after")
    def _distinct(self) -> ExpiryReminders:
        if len(set(self.days_before)) != len(self.days_before):
            raise ValueError("days_before must not repeat")
        return self


class WinBack(Rules):
    """A return offer for members with no purchase for `after_days`."""

    enabled: bool = True
    after_days: Annotated[int, Field(ge=1, le=3650)] = 60
    hour: Annotated[int, Field(ge=0, le=23)] = 12
    points: Annotated[int, Field(ge=0)] = 0
    coupon_percent: Annotated[int, Field(ge=0, le=100, description="0 = no coupon")] = 15
    valid_days: Annotated[int, Field(ge=1, le=365)] = 14


class QuietHours(Rules):
    """Local hours with no promotional messages; `start == end` means none."""

    start: time = time(21, 0)
    end: time = time(10, 0)

    def contains(self, moment: time) -> bool:
        moment = moment.replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class Marketing(Rules):
    """Promotional broadcasts: a weekly cap per member and how purchases are attributed."""

    max_per_week: Annotated[
        int, Field(ge=0, le=100, description="broadcasts a member gets in 7 days; 0 = no cap")
    ] = 3
    attribution_days: Annotated[int, Field(ge=1, le=90)] = 7


class Program(Rules):
    name: LocalizedText = {"ru": "Кофейня «Зерно»", "en": "Zerno Coffee"}
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "RUB"
    currency_symbol: str = "₽"
    point_value: Annotated[int, Field(ge=1, description="minor units one point pays")] = 100
    tier_window_days: Annotated[int, Field(ge=1, le=3650)] = 365
    tiers: list[Tier] = Field(
        default_factory=lambda: [
            Tier(
                key="base",
                name={"ru": "Базовый", "en": "Base"},
                cashback_percent=1,
                color="#8A8F98",
            ),
            Tier(
                key="silver",
                name={"ru": "Серебряный", "en": "Silver"},
                cashback_percent=3,
                min_purchases=5,
                min_spend=1_000_000,
                color="#A7B1BC",
            ),
            Tier(
                key="gold",
                name={"ru": "Золотой", "en": "Gold"},
                cashback_percent=5,
                min_purchases=10,
                min_spend=2_500_000,
                color="#C9A43B",
            ),
        ],
        min_length=1,
    )
    max_redeem_percent: Annotated[int, Field(ge=0, le=100)] = 30
    stamps: StampCard = StampCard()
    points_lifetime_days: Annotated[int, Field(ge=0, description="0 = points never expire")] = 180
    welcome_bonus: Annotated[int, Field(ge=0)] = 0
    limits: Limits = Limits()
    birthday: BirthdayOffer = BirthdayOffer()
    expiry_reminders: ExpiryReminders = ExpiryReminders()
    winback: WinBack = WinBack()
    quiet_hours: QuietHours = QuietHours()
    referral: Referral = Referral()
    achievements: Achievements = Achievements()
    marketing: Marketing = Marketing()

    @model_validator(mode="after")
    def _tiers_well_formed(self) -> Program:
        keys = [tier.key for tier in self.tiers]
        if len(set(keys)) != len(keys):
            raise ValueError("tier keys must be unique")
        first = self.tiers[0]
        if first.min_purchases or first.min_spend:
            raise ValueError("the first tier is the one members join at: no thresholds on it")
        for lower, higher in zip(self.tiers, self.tiers[1:], strict=False):
            if (higher.min_purchases, higher.min_spend) <= (lower.min_purchases, lower.min_spend):
                raise ValueError(f"tier {higher.key!r} must need more than {lower.key!r}")
        for section, offer in (("birthday", self.birthday), ("winback", self.winback)):
            if offer.enabled and self.quiet_hours.contains(time(offer.hour)):
                raise ValueError(f"{section}.hour {offer.hour}:00 falls in the quiet hours")
        return self

    def tier(self, key: str) -> Tier:
        return next((tier for tier in self.tiers if tier.key == key), self.tiers[0])

    @property
    def base_tier(self) -> Tier:
        return self.tiers[0]


def text(value: LocalizedText, locale: str) -> str:
    """A localized string from the program file, falling back to any language it has."""
    return value.get(locale) or value.get("en") or next(iter(value.values()), "")


class ProgramFileError(ValueError):
    pass


def load_program(path: Path | None) -> Program:
    if path is None:
        return Program()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProgramFileError(f"{path}: can't read the program file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProgramFileError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Program.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(file)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ProgramFileError(f"{path}: {problems}") from exc
