"""Step reports (办理情况回传): one row per order event and platform, sent until it
succeeds or its retries run out."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class GovReport(IdMixin, Base):
    """One step of a ``gov_api`` order reported to the integration client (the 12345
    platform) whose node covers the order. The body is rendered once, when the relay
    hands the event over; every attempt signs it afresh (new timestamp and nonce) under
    the same ``X-Redgrid-Report-Id``, so the platform can de-duplicate."""

    __tablename__ = "gov_report"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        UniqueConstraint("api_client_id", "event_id"),
        Index("ix_gov_report_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        # Per platform and order, the waiting reports in event order: a report goes out
        # only when no older one of its order is waiting.
        Index(
            "ix_gov_report_waiting",
            "api_client_id",
            "order_id",
            "event_id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_gov_report_order_id", "order_id"),
    )

    api_client_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("api_client.id", ondelete="CASCADE")
    )
    order_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    """The outbox event (purged after its retention; the body keeps what was sent)."""
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_outcome: Mapped[str | None] = mapped_column(String(24))
    """``success``, ``http_error``, ``timeout``, ``connection_error``, ``refused_address``
    (as webhook attempts), or ``no_key`` (the client has no signing key or URL now)."""
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_response_excerpt: Mapped[str | None] = mapped_column(String(1000))
    last_error: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
