"""The loyalty program's tables. Points are integers, money is integer minor units (kopecks)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigIntPK, UTCDateTime


class Member(Base):
    """A customer who agreed to the program's terms. Before consent nothing is stored."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("points_balance >= 0", name="balance_not_negative"),
        CheckConstraint("stamps >= 0", name="stamps_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # the API finds by it
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    card_version: Mapped[int] = mapped_column(Integer, default=1)
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str] = mapped_column(String(32), default="base")
    birthday: Mapped[date | None] = mapped_column(Date)
    birthday_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promo_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_purchase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or "—"


class LedgerEntry(Base):
    """One change of a member's points. Rows are only ever inserted, never updated or deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_ledger_entries_member_created", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    delta: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(BigInteger)


class PointLot(Base):
    """Points earned together, with one expiry date. Spending takes the oldest lots first."""

    __tablename__ = "point_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        Index("ix_point_lots_member_open", "member_id", "expires_at"),
        Index("ix_point_lots_expiry", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LotConsumption(Base):
    """How much of which lot a spending entry took, so a reversal can put it back."""

    __tablename__ = "lot_consumptions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), index=True
    )
    lot_id: Mapped[int] = mapped_column(
        ForeignKey("point_lots.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)


class TeamMember(Base):
    """A staff member or marketer appointed by an owner. Owners themselves come from OWNER_IDS."""

    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    appointed_by: Mapped[int] = mapped_column(BigInteger)
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT")
    )


class TeamInvite(Base):
    """A one-time deep link that appoints whoever opens it first, within 24 hours."""

    __tablename__ = "team_invites"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT")
    )
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Operation(Base):
    """A staff action on a member: the purchase record, the audit trail and the receipt source."""

    __tablename__ = "operations"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_operations_member_created", "member_id", "created_at"),
        Index("ix_operations_staff_created", "staff_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    staff_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps_delta: Mapped[int] = mapped_column(Integer, default=0)
    tier_before: Mapped[str] = mapped_column(String(32), default="")
    tier_after: Mapped[str] = mapped_column(String(32), default="")
    hold_reason: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where it happened (None before locations existed, or in a shop that has none) and,
    # for an operation a cash register made through the HTTP API, with which key.
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    receipt_id: Mapped[str | None] = mapped_column(String(64))  # the cash register's number


class LookupLog(Base):
    """Every time staff look a member up, and how it went."""

    __tablename__ = "lookup_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(BigInteger, index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReferralLink(Base):
    """A member's personal invitation code. Asking for a new one revokes the old."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Achievement(Base):
    """A badge a member earned; each one at most once."""

    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("member_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    key: Mapped[str] = mapped_column(String(32))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Quiz(Base):
    """A quiz marketers write: a draft until published, open between its start and end."""

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("points_per_correct >= 0", name="points_not_negative"),
        CheckConstraint("completion_bonus >= 0", name="bonus_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(128))
    points_per_correct: Mapped[int] = mapped_column(Integer)
    completion_bonus: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizQuestion(Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "position"),
        CheckConstraint("correct >= 0", name="correct_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column(Integer)  # index into options


class QuizAttempt(Base):
    """A member's one go at a quiz. Points are paid once, when the last question is answered."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("member_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class QuizAnswer(Base):
    """One answer per question per attempt: a second tap finds the row already there."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="RESTRICT"))
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="RESTRICT"))
    option: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coupon(Base):
    """A percent discount the member shows at the counter: valid in a window, used once."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_in_range"),
        CheckConstraint("valid_until > valid_from", name="window_not_empty"),
        Index("ix_coupons_member_valid", "member_id", "valid_until"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    percent: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_by: Mapped[int | None] = mapped_column(BigInteger)


class BirthdayGift(Base):
    """The birthday offer a member got for one year: the row that makes it once a year."""

    __tablename__ = "birthday_gifts"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    celebrated_on: Mapped[date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExpiryReminder(Base):
    """A reminder sent about the points expiring on one day, `days_before` that day."""

    __tablename__ = "expiry_reminders"
    __table_args__ = (UniqueConstraint("member_id", "expires_on", "days_before"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    expires_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WinBackOffer(Base):
    """The return offer for one period of inactivity, which starts at `inactive_since`
    (the last purchase, or joining for members who never bought)."""

    __tablename__ = "winback_offers"
    __table_args__ = (UniqueConstraint("member_id", "inactive_since"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    inactive_since: Mapped[datetime] = mapped_column(UTCDateTime)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of a scheduled job, for owners' `/jobs`."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    members: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    undelivered: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


# The expiry jobs walk open lots in member order; spent and expired lots stay out of the index.
Index(
    "ix_point_lots_open",
    PointLot.member_id,
    PointLot.expires_at,
    postgresql_where=PointLot.remaining > 0,
    sqlite_where=PointLot.remaining > 0,
)


class Broadcast(Base):
    """A promotional message to a segment of members: what it is, to whom, when, how it went.

    A copy of the author's own message (`source_*`, delivered with copyMessage so formatting and
    media survive) or a quiz announcement (`quiz_id`). Recipients are fixed when sending starts,
    one `BroadcastDelivery` each."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="RESTRICT"))
    summary: Mapped[str] = mapped_column(String(200), default="")
    button_text: Mapped[str | None] = mapped_column(String(64))
    button_url: Mapped[str | None] = mapped_column(String(512))
    segment: Mapped[dict[str, object]] = mapped_column(JSON)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_shown: Mapped[str] = mapped_column(String(64), default="")
    progress_final: Mapped[bool] = mapped_column(Boolean, default=False)


class BroadcastDelivery(Base):
    """The outbox: one row per recipient of a broadcast, unique, so a restart resumes where it
    stopped and nobody gets the same broadcast twice."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "member_id"),
        Index("ix_broadcast_deliveries_queue", "broadcast_id", "status", "id"),
        Index("ix_broadcast_deliveries_member_sent", "member_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(200))


class SendPacer(Base):
    """The bot's sending rate shared by every instance: the next free moment to send (Unix
    seconds). Instances reserve slots from it, so together they stay under Telegram's limit."""

    __tablename__ = "send_pacer"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Double)


class Location(Base):
    """A branch of a chain. Staff, API keys and operations belong to one; the points and stamp
    programs are shared by all of them."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A cash register's or CRM's key to the HTTP API. Only a hash of the secret is kept: the
    owner sees the key once, when it is made. `prefix` is the public part that finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiIdempotency(Base):
    """The first answer to a write made with one `Idempotency-Key`, replayed to every retry.
    A row without `status_code` is a request still in progress."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A URL an owner registered to hear about events. The secret signs every delivery, so it
    is kept as is (the receiver holds the same one)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(512))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """The outbox of outbound webhooks: one row per event per endpoint, written in the same
    transaction as the change it reports, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_queue", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="RESTRICT")
    )
    event: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
