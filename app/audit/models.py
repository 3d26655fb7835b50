"""The audit log (审计日志): append-only; the database refuses updates and deletes
except the retention purge (等保 2.0: at least 180 days)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, text
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_event_town_id_id", "town_id", "id"),
        Index("ix_audit_event_community_id_id", "community_id", "id"),
        Index("ix_audit_event_actor_user_id_id", "actor_user_id", "id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    """Dotted action, e.g. ``auth.login``, ``org_unit.create``."""
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    """What happened, without personal data."""
    outcome: Mapped[str] = mapped_column(String(16))
    """``success``, ``failure`` or ``denied``."""
    client_ip: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(128))
    town_id: Mapped[int | None] = mapped_column(BigInteger)
    community_id: Mapped[int | None] = mapped_column(BigInteger)
    grid_id: Mapped[int | None] = mapped_column(BigInteger)
    building_id: Mapped[int | None] = mapped_column(BigInteger)
    household_id: Mapped[int | None] = mapped_column(BigInteger)
