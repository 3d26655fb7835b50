"""The table behind the PostgreSQL store of ``app.kit.ratelimit`` (the kit writes it
with its own SQL; this model is its schema for migrations and checks)."""

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class RateLimitCounter(Base):
    """One fixed window of one rate limit: hits so far and when the window ends."""

    __tablename__ = "rate_limit_counter"
    __table_args__ = (Index("ix_rate_limit_counter_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The limit and its identifiers (digests, never a typed username)."""
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
