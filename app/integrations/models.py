"""The transactional outbox and idempotency records."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class OutboxEvent(IdMixin, Base):
    """A domain event written in the same transaction as the change it reports, so no
    committed change lacks its event and no rolled-back change has one."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )

    event_type: Mapped[str] = mapped_column(String(64))
    """e.g. ``order.submitted``, ``points.awarded``."""
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    town_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
