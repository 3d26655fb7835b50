"""Red points (红色积分): a double-entry ledger, earning rules, the community shop.

Every transaction has postings that sum to zero. Postings and transactions are
never updated or deleted (database triggers refuse it); a mistake is corrected by
a reversal pointing at the original. Member accounts keep their balance on the
account row, guarded by ``CHECK (balance >= 0)``, and chain their postings by hash
so tampering below the application shows. A town's issuance and redemption
accounts are never updated: their balances are derived from postings, so they are
not a hot row every transaction would lock.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin

GENESIS_HASH = "0" * 64


class PointsAccount(IdMixin, Base):
    __tablename__ = "points_account"
    __table_args__ = (
        CheckConstraint("kind IN ('member', 'issuance', 'redemption')", name="kind"),
        CheckConstraint("kind <> 'member' OR balance >= 0", name="member_balance_not_negative"),
        CheckConstraint("(kind = 'member') = (person_id IS NOT NULL)", name="member_has_person"),
        UniqueConstraint("town_id", "kind", "person_id", postgresql_nulls_not_distinct=True),
    )

    kind: Mapped[str] = mapped_column(String(16))
    """member 党员积分账户 · issuance 镇发放账户 · redemption 镇兑换账户."""
    # Looked up through uq_points_account_town_id_kind_person_id (town_id first).
    town_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    balance: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    """Member accounts only; system accounts derive theirs from postings."""
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    last_hash: Mapped[str] = mapped_column(String(64), server_default=text(f"'{GENESIS_HASH}'"))
    """Head of the member account's hash chain."""
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class PointsTransaction(IdMixin, Base):
    __tablename__ = "points_transaction"

    txn_key: Mapped[str] = mapped_column(String(200), unique=True)
    """Deterministic business key (``order-close:42``) or ``idem:<caller>:<Idempotency-Key>``:
    the same key can never post twice."""
    kind: Mapped[str] = mapped_column(String(24))
    """order_award, activity_award, wish_award, manual_award, manual_deduction,
    redemption, reversal."""
    town_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reversal_of_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_transaction.id"), unique=True
    )
    """The transaction this one reverses; a transaction can be reversed once."""
    reason: Mapped[str | None] = mapped_column(String(500))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class PointsPosting(IdMixin, Base):
    __tablename__ = "points_posting"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_points_posting_account_id_id", "account_id", "id"),
        Index("ix_points_posting_transaction_id", "transaction_id"),
        UniqueConstraint("account_id", "seq"),
    )

    transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("points_transaction.id"))
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("points_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    """Signed integer points; a transaction's postings sum to zero."""
    seq: Mapped[int | None] = mapped_column(BigInteger)
    """Position in the member account's chain (null for system accounts)."""
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    """Running balance of a member account after this posting (statements read it)."""
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class PointsPeriodTotal(ScopedMixin, Base):
    """Earned and spent per member account and period, maintained in the posting's
    transaction so leaderboards read a small table instead of 10 M postings."""

    __tablename__ = "points_period_total"
    __table_args__ = (
        CheckConstraint("period IN ('month', 'quarter', 'year')", name="period"),
        # Leaderboards walk these backwards: earned desc, ties by account id desc, so
        # a page reads its rows and no more, however many members tie.
        Index(
            "ix_points_period_total_rank_town",
            "period",
            "period_start",
            "town_id",
            "earned",
            "account_id",
        ),
        Index(
            "ix_points_period_total_rank_community",
            "period",
            "period_start",
            "community_id",
            "earned",
            "account_id",
        ),
        Index(
            "ix_points_period_total_rank_grid",
            "period",
            "period_start",
            "grid_id",
            "earned",
            "account_id",
        ),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("points_account.id"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    earned: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    spent: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class PointsRule(IdMixin, Base):
    """An earning rule (data). Rules are never edited: a change closes the current
    version (``valid_to``) and adds a new one, so past awards keep their basis."""

    __tablename__ = "points_rule"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('order_category', 'order_top_rating_bonus', 'activity_type', "
            "'micro_wish', 'cap_daily', 'cap_monthly')",
            name="kind",
        ),
        Index("ix_points_rule_kind_key_valid_from", "kind", "key", "valid_from"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64), server_default=text("''"))
    """Category code, activity type, or '' for caps and the bonus."""
    points: Mapped[int] = mapped_column(Integer)
    town_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """Null: the default for every town."""
    valid_from: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(BigInteger)


class Reward(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A reward of the community shop (爱心超市 / 幸福超市)."""

    __tablename__ = "reward"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_points > 0", name="price_positive"),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The town or community whose shop offers it."""
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    price_points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Redemption(IdMixin, ScopedMixin, Base):
    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("status IN ('pending_pickup', 'handed_over', 'cancelled')", name="status"),
        Index("ix_redemption_person_id_id", "person_id", "id"),
    )

    reward_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("reward.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    pickup_code: Mapped[str] = mapped_column(String(12), unique=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("points_transaction.id"))
    refund_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_transaction.id")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_over_by: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PointsAdjustmentRequest(IdMixin, ScopedMixin, Base):
    """A manual award or deduction above the approval threshold (四眼原则), waiting for a
    second holder of ``points.award`` over the person. Placed like the person's account,
    so the approvers who reach the person see it."""

    __tablename__ = "points_adjustment_request"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(
            "(status = 'approved') = (transaction_id IS NOT NULL)", name="approved_has_transaction"
        ),
        Index("ix_points_adjustment_request_status_id", "status", "id"),
    )

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    """Signed points: positive awards, negative deducts."""
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    """pending 待审批 · approved 已批准并入账 · rejected 已驳回."""
    request_key: Mapped[str] = mapped_column(String(200), unique=True)
    """``idem:<requester>:<Idempotency-Key>``: a retried request finds its first one."""
    requested_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    requester_subject: Mapped[str] = mapped_column(String(100))
    """Who asked (``user:5``): never the one who decides."""
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    decided_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_transaction.id"), unique=True
    )
    """The posting an approval made (ledger key ``adjustment-request:<id>``)."""
