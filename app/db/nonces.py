"""The table behind the PostgreSQL store of ``app.kit.nonces`` (the kit writes it with
its own SQL; this model is its schema for migrations and checks)."""

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class RequestNonce(Base):
    """A nonce of a signed request, spent until ``expires_at`` (then purged)."""

    __tablename__ = "request_nonce"
    __table_args__ = (Index("ix_request_nonce_expires_at", "expires_at"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The integration client's ``client_id`` (its app key)."""
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
