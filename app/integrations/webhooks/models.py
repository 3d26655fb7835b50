"""Webhook subscriptions, their deliveries (one per event and subscription) and the
attempts of each delivery."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class WebhookSubscription(IdMixin, ScopedMixin, TimestampMixin, Base):
    """An endpoint subscribed to event types at a node of the hierarchy (its ancestor ids
    are the node's). It hears the events inside the node's subtree that its owner may
    read there when the event is relayed; personal data is masked unless the owner
    holds ``pii`` where the event happened."""

    __tablename__ = "webhook_subscription"

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The node whose subtree the subscription hears."""
    owner_subject: Mapped[str] = mapped_column(String(80), index=True)
    """Who subscribed (``user:<id>`` / ``client:<client_id>``): deliveries are bounded by
    the owner's permissions as they stand when each event is relayed."""
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    """Exact names (``points.awarded``) or patterns (``order.*``, ``*``)."""
    description: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    """``manual`` or ``failing`` (failed for ``webhook_disable_after_days``)."""
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    """The ``whsec_`` signing secret, encrypted at rest (AES-256-GCM, ``app.kit.crypto``)."""
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The secret before the last rotation, still signing until ``previous_secret_expires_at``."""
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """First failed attempt since the last success; null while the endpoint is healthy."""
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class WebhookDelivery(IdMixin, Base):
    """One event for one subscription: its body is rendered (and masked) once, when the
    relay hands the event over, and sent under the same ``webhook-id`` on every attempt
    so receivers can de-duplicate."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        # Due deliveries, soonest first.
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # Per subscription and aggregate, the waiting deliveries in event order: a
        # delivery goes out only when no older one of its aggregate is waiting.
        Index(
            "ix_webhook_delivery_waiting",
            "subscription_id",
            "ordering_key",
            "event_id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_delivery_subscription_id_id", "subscription_id", "id"),
        Index(
            "ix_webhook_delivery_finished_at",
            "finished_at",
            postgresql_where=text("status <> 'pending'"),
        ),
    )

    subscription_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigInteger)
    """The outbox event (purged after its retention; the body keeps what was sent)."""
    event_type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    """``webhook-id``: the same on every attempt and redelivery of the event."""
    ordering_key: Mapped[str] = mapped_column(String(100))
    """``<aggregate type>:<aggregate id>``: deliveries of one key go out in event order."""
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WebhookAttempt(IdMixin, Base):
    """One try of a delivery: when, what came back, how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery_id_id", "delivery_id", "id"),)

    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_delivery.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(24))
    """``success``, ``http_error`` (not 2xx, redirects included), ``timeout``,
    ``connection_error`` or ``refused_address`` (SSRF check)."""
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(String(1000))
    """The first bytes of the response body (at most 1000 characters)."""
    error: Mapped[str | None] = mapped_column(String(200))
