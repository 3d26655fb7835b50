"""Activities (志愿服务活动) and their sign-ups, which also record attendance.

An activity is placed at a node (its row carries the node's ancestor ids) and counts
its confirmed places on its own row: a sign-up takes a place with one guarded
``UPDATE … WHERE confirmed_count < capacity`` (backed by a CHECK), so contested last
places are never oversubscribed; the others wait in sign-up order.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class Activity(IdMixin, ScopedMixin, TimestampMixin, Base):
    """志愿服务活动: a time, a place, a capacity, an organiser and who may sign up."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'cancelled', 'closed')", name="status"),
        CheckConstraint("audience IN ('residents', 'members', 'team')", name="audience"),
        CheckConstraint(
            "(audience = 'team') = (audience_team_id IS NOT NULL)", name="audience_team"
        ),
        CheckConstraint(
            "organiser_kind IN ('org_unit', 'team', 'work_unit', 'department')",
            name="organiser_kind",
        ),
        CheckConstraint(
            "(organiser_kind = 'team') = (organiser_team_id IS NOT NULL)"
            " AND (organiser_kind = 'work_unit') = (organiser_work_unit_id IS NOT NULL)"
            " AND (organiser_kind = 'department') = (organiser_department_id IS NOT NULL)",
            name="organiser_reference",
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "confirmed_count >= 0 AND (capacity IS NULL OR confirmed_count <= capacity)",
            name="within_capacity",
        ),
        Index("ix_activity_org_unit_id_starts_at", "org_unit_id", "starts_at"),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(64))
    """The key of the ``activity_type`` points rule (volunteer_service, training …)."""
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int | None] = mapped_column(Integer)
    """Places; null: no limit."""
    confirmed_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    audience: Mapped[str] = mapped_column(String(16))
    audience_team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id")
    )
    organiser_kind: Mapped[str] = mapped_column(String(16))
    organiser_team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id")
    )
    organiser_work_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("work_unit.id")
    )
    organiser_department_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("department.id")
    )
    status: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    check_in_uses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Check-in codes used so far: each code checks in one person (``app.kit.checkin``)."""
    check_out_uses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class ActivitySignup(IdMixin, TimestampMixin, Base):
    """One person's sign-up for an activity, and their attendance (签到/签退)."""

    __tablename__ = "activity_signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        CheckConstraint("status IN ('confirmed', 'waiting', 'cancelled')", name="status"),
        CheckConstraint(
            "check_in_method IS NULL OR check_in_method IN ('qr', 'organiser')",
            name="check_in_method",
        ),
        CheckConstraint(
            "check_out_method IS NULL OR check_out_method IN ('qr', 'organiser')",
            name="check_out_method",
        ),
        CheckConstraint(
            "checked_out_at IS NULL OR (checked_in_at IS NOT NULL"
            " AND checked_out_at >= checked_in_at)",
            name="out_after_in",
        ),
        CheckConstraint("service_minutes IS NULL OR service_minutes >= 0", name="minutes"),
        # The waiting list in sign-up order; a person's record, newest first.
        Index("ix_activity_signup_activity_id_status_id", "activity_id", "status", "id"),
        Index("ix_activity_signup_person_id_id", "person_id", "id"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("activity.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(16))
    signed_up_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When a freed place moved the sign-up from the waiting list to confirmed."""
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    check_in_method: Mapped[str | None] = mapped_column(String(16))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    check_out_method: Mapped[str | None] = mapped_column(String(16))
    service_minutes: Mapped[int | None] = mapped_column(Integer)
    """服务时长 from check-in to check-out, within the activity's own start and end."""
    award_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("points_transaction.id")
    )
    awarded_points: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """An attendance corrected away: no hours, its points reversed (冲正)."""
    void_reason: Mapped[str | None] = mapped_column(String(500))
