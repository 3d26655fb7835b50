"""Resident onboarding (居民自助注册): self-registrations awaiting the grid worker, and
household invitation codes (入户邀请码)."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class RegistrationStatus(enum.StrEnum):
    pending = "pending"
    """待核实 · awaiting the grid worker."""
    verified = "verified"
    """已核实 · verified: the account holds ``resident`` at the household."""
    rejected = "rejected"
    """已驳回 · rejected: the pending grant is gone and the person archived."""


class ResidentRegistration(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A resident's own registration at a household, scoped there so that the grid
    worker of that grid sees it."""

    __tablename__ = "resident_registration"
    __table_args__ = (
        Index(
            "uq_resident_registration_user_id_pending",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_resident_registration_status_id", "status", "id"),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    """The person the registration made, linked to the account at once."""
    household_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    decided_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))
    """Why it was rejected, shown to the resident."""


class HouseholdInvitation(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A short code a grid worker prints (as a QR code) for one household; the first
    resident who presents it before it expires is bound there, verified."""

    __tablename__ = "household_invitation"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    household_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    created_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
