"""Refresh tokens (rotating, in families) and integration clients."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin
from app.db.sealed import Sealed

SIGNING_SECRET_AAD = b"api_client.signing_secret"


class RefreshToken(IdMixin, Base):
    """One refresh token. Using it spends it and issues the next one in its family;
    presenting a spent one revokes the whole family (OAuth 2.0 Security BCP §4.14)."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index("ix_refresh_token_family_id", "family_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the opaque token; the token itself is never stored."""
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiClient(IdMixin, TimestampMixin, Base):
    """An integration client (government system, script) using client_credentials."""

    __tablename__ = "api_client"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default=text("'{}'"))
    """Permissions the client may use (e.g. ``org.read``), within its node."""
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The node whose subtree the client reaches."""
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    allowed_ips: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default=text("'{}'"))
    """Networks (CIDR) the client may call from; empty: anywhere."""
    signing_secret: Mapped[str | None] = mapped_column(Sealed(SIGNING_SECRET_AAD))
    """The key of its signed requests (签名密钥), encrypted at rest under the PII key ring;
    null until one is issued (``POST /api-clients/{id}/signing-key``)."""
    signing_algorithm: Mapped[str | None] = mapped_column(String(16))
    """``hmac-sha256`` or ``hmac-sm3`` (国密 SM3), for its requests and our reports to it."""
    report_url: Mapped[str | None] = mapped_column(String(2000))
    """Where the platform hears the steps of its 12345 orders (``gov_api`` channel),
    signed with the same key; null: no reports."""
