"""Stations, their duty shifts and who is on them, and their honour roll."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class Station(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A station at a node (usually a compound), scoped by it."""

    __tablename__ = "station"
    __table_args__ = (
        CheckConstraint("kind IN ('red_flag', 'party_service', 'member_studio')", name="kind"),
        UniqueConstraint("org_unit_id", "name"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    # Looked up through uq_station_org_unit_id_name (org_unit_id first).
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    functions: Mapped[list[str]] = mapped_column(ARRAY(String(24)), server_default=text("'{}'"))
    """活动室, 议事, 调解 …: codes of ``StationFunction``."""
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    """``[{"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"}]`` (ISO weekdays)."""
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class DutyShift(IdMixin, ScopedMixin, TimestampMixin, Base):
    """值班班次: a time at a station that ``capacity`` members staff."""

    __tablename__ = "duty_shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        CheckConstraint("capacity BETWEEN 1 AND 20", name="capacity"),
        CheckConstraint("taken BETWEEN 0 AND capacity", name="taken"),
        UniqueConstraint("station_id", "starts_at"),
    )

    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """People on the shift now; a guarded ``UPDATE … WHERE taken < capacity`` fills it."""
    note: Mapped[str | None] = mapped_column(String(200))
    check_in_uses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """QR check-in codes used so far: each code checks in one member (``app.kit.checkin``)."""


class DutyAssignment(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A person on a shift: assigned by staff, volunteered, or handed over (换班).

    ``scheduled`` becomes ``checked_in`` at the station; a scheduled assignment whose
    shift has ended is *missed* (computed, so it can never disagree with the clock);
    one handed over becomes ``swapped_out`` and its successor names it."""

    __tablename__ = "duty_assignment"
    __table_args__ = (
        CheckConstraint("source IN ('assigned', 'volunteered', 'swap')", name="source"),
        CheckConstraint(
            "status IN ('scheduled', 'checked_in', 'swapped_out', 'withdrawn')", name="status"
        ),
        CheckConstraint(
            "check_in_method IS NULL OR check_in_method IN ('staff', 'self', 'qr')",
            name="check_in_method",
        ),
        Index(
            "uq_duty_assignment_on_shift",
            "shift_id",
            "person_id",
            unique=True,
            postgresql_where=text("status IN ('scheduled', 'checked_in')"),
        ),
        Index("ix_duty_assignment_shift_id", "shift_id"),
        Index("ix_duty_assignment_person_id_id", "person_id", "id"),
    )

    shift_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("duty_shift.id"))
    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    swapped_from_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("duty_assignment.id")
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    check_in_method: Mapped[str | None] = mapped_column(String(8))
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    points_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    """The red points award for the shift (key ``activity:duty-shift-<shift>:<person>``)."""
    points_awarded: Mapped[int | None] = mapped_column(Integer)


class HonourEntry(IdMixin, ScopedMixin, TimestampMixin, Base):
    """红旗好人 光荣榜: a person honoured at a station, curated by staff."""

    __tablename__ = "honour_entry"
    __table_args__ = (Index("ix_honour_entry_station_id_id", "station_id", "id"),)

    station_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("station.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    title: Mapped[str] = mapped_column(String(50))
    citation: Mapped[str] = mapped_column(String(1000))
    honoured_on: Mapped[date] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
