"""Meetings, the bodies that meet, attendance and decisions."""

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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class Meeting(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A meeting at a node (a compound's joint meeting, a branch's 三会一课), scoped by it."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('joint_property', 'branch_committee', 'branch_assembly', 'party_group', "
            "'party_lecture', 'theme_day', 'council')",
            name="kind",
        ),
        CheckConstraint("status IN ('planned', 'held', 'cancelled')", name="status"),
        Index("ix_meeting_kind_held_at", "kind", "held_at"),
    )

    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(100))
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("station.id"))
    """Where it meets, when at a station (驿站议事)."""
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agenda: Mapped[list[str]] = mapped_column(ARRAY(String(200)), server_default=text("'{}'"))
    status: Mapped[str] = mapped_column(String(16))
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[str | None] = mapped_column(Text)
    """会议纪要, recorded once the meeting was held."""
    minutes_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    check_in_uses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """QR check-in codes used so far: each code checks in one person (``app.kit.checkin``)."""


class MeetingBody(Base):
    """A partner body taking part in a meeting (the branch takes part as the node)."""

    __tablename__ = "meeting_body"

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("partner_body.id"), primary_key=True, index=True
    )


class MeetingAttendance(IdMixin, Base):
    """签到: a person present at a meeting, checked in by staff or by themselves."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        CheckConstraint("method IN ('staff', 'self', 'qr')", name="method"),
    )

    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("meeting.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(8))
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigInteger)


class MeetingDecision(IdMixin, TimestampMixin, Base):
    """决定事项: what the meeting decided, and the order or 五议 matter it opened."""

    __tablename__ = "meeting_decision"
    __table_args__ = (Index("ix_meeting_decision_meeting_id_id", "meeting_id", "id"),)

    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("meeting.id"))
    content: Mapped[str] = mapped_column(String(1000))
    order_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("service_order.id"))
    matter_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("matter.id"))
    decided_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
