"""The transactional outbox, the relay's counters, and idempotency records."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class OutboxEvent(IdMixin, Base):
    """A domain event written in the same transaction as the change it reports, so no
    committed change lacks its event and no rolled-back change has one."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        # The relay takes the oldest unpublished event of each aggregate (its head): one
        # index probe per candidate tells whether an older one is still waiting.
        Index(
            "ix_outbox_event_aggregate_unpublished",
            "aggregate_type",
            "aggregate_id",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index(
            "ix_outbox_event_published_at",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
        ),
    )

    event_type: Mapped[str] = mapped_column(String(64))
    """e.g. ``order.submitted``, ``points.awarded``."""
    aggregate_type: Mapped[str] = mapped_column(String(32))
    """What the event is about (``order``, ``points_transaction`` …): the events of one
    aggregate reach each consumer in the order they were published."""
    aggregate_id: Mapped[str] = mapped_column(String(64))
    town_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    """The event's place in the hierarchy (ancestor ids, as ``ScopedMixin`` rows carry
    them; null below its own level, all null for a deployment-wide event). Not a scoped
    table: the rows are short-lived and never listed by scope."""
    community_id: Mapped[int | None] = mapped_column(BigInteger)
    grid_id: Mapped[int | None] = mapped_column(BigInteger)
    building_id: Mapped[int | None] = mapped_column(BigInteger)
    household_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the relay handed it to every consumer; purged after the retention period."""
    relay_error: Mapped[str | None] = mapped_column(String(500))
    """Set when a consumer failed on this event alone and the relay set it aside rather
    than hold back every later event (logged and counted as ``relay/error``)."""


class RelayCounter(Base):
    """Deliveries by consumer and outcome, counted in the transaction that records
    them, so ``/metrics`` of any process shows the totals of every worker. Spread over
    a few shards (by backend) so concurrent workers do not queue on one hot row."""

    __tablename__ = "relay_counter"

    consumer: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``webhook``, ``notification`` or ``wechat``."""
    outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class IdempotencyRecord(Base):
    """The first response to an ``Idempotency-Key``, replayed to retries
    (draft-ietf-httpapi-idempotency-key-header); kept at least 24 hours."""

    __tablename__ = "idempotency_record"

    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    """Whose key it is (``user:<id>`` / ``client:<id>``): keys are scoped to the caller."""
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of method, path and body: the same key with another body is refused."""
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()"), index=True
    )
