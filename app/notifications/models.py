"""The inbox and the rules that fill it."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin

RECIPIENTS = (
    "resident",
    "assignee",
    "pool_members",
    "holder",
    "escalation_unit",
    "department",
    "points_member",
    "redeemer",
    "subscription_owner",
)
"""The kinds of recipient a rule may name; each is resolved from the event
(``app.notifications.recipients``)."""


class NotificationRule(IdMixin, TimestampMixin, Base):
    """Who hears of an event type, and in what words (``{number}``, ``{title}`` … are
    filled from the event). Data, not code: a deployment changes the table."""

    __tablename__ = "notification_rule"
    __table_args__ = (
        UniqueConstraint("event_type", "recipient"),
        CheckConstraint(
            "recipient IN (" + ", ".join(f"'{r}'" for r in RECIPIENTS) + ")", name="recipient"
        ),
    )

    event_type: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(32))
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(100))
    body_zh: Mapped[str] = mapped_column(String(300))
    body_en: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Notification(IdMixin, Base):
    """One entry of an account's inbox: at most one per event and account."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id"),
        Index("ix_notification_user_id_id", "user_id", "id"),
        Index("ix_notification_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigInteger)
    """The outbox event that caused it."""
    event_type: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(32))
    """Why this account hears of it (the rule's recipient kind)."""
    subject_type: Mapped[str] = mapped_column(String(32))
    """What it is about (``order``, ``points_transaction`` …) and its id."""
    subject_id: Mapped[str] = mapped_column(String(64))
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(100))
    body_zh: Mapped[str] = mapped_column(String(300))
    body_en: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    """A few ids and numbers for the client to link to (``order_id``, ``number``)."""
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
