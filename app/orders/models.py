"""Service orders (服务工单) and everything their life needs as data.

An order carries the ids of its location's ancestors (ScopedMixin) so every
scoped list is an index lookup, and the timestamps the 接诉即办 KPIs (三率) need.
"""

from datetime import date, datetime
from decimal import Decimal
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
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ANCESTOR_COLUMNS, Base, IdMixin, ScopedMixin, TimestampMixin


class OrderCategory(TimestampMixin, Base):
    """服务类别: repair 维修, elderly help 助老, mediation 矛盾调解 … (data, not code)."""

    __tablename__ = "order_category"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    default_time_limit: Mapped[str] = mapped_column(ForeignKey("time_limit_class.code"))
    """Time-limit class used when triage does not choose one."""
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class TimeLimitClass(TimestampMixin, Base):
    """办理时限: how long to first contact (响应) and to resolution (办结)."""

    __tablename__ = "time_limit_class"
    __table_args__ = (
        CheckConstraint("resolve_unit IN ('hours', 'working_days')", name="resolve_unit"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    response_hours: Mapped[float] = mapped_column(Numeric(6, 2))
    """Calendar hours to first contact (响应时限)."""
    resolve_amount: Mapped[int] = mapped_column(Integer)
    resolve_unit: Mapped[str] = mapped_column(String(16))
    """``hours`` (calendar) or ``working_days`` (Chinese working days with 调休)."""


class CalendarOverride(Base):
    """A day whose working status the calendar library does not know yet (调休 of a new year)."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(100))


class Department(IdMixin, TimestampMixin, Base):
    """职能部门 of a town (城管、市场监管、派出所 …); receives escalated orders (部门报到)."""

    __tablename__ = "department"

    town_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class DepartmentMember(Base):
    """A user who acts for a department."""

    __tablename__ = "department_member"

    department_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class VolunteerTeam(IdMixin, ScopedMixin, TimestampMixin, Base):
    """志愿服务队: a team at a node, of party members or of residents (邻里志愿服务队,
    家庭事务调解队); any of its party members may accept its orders."""

    __tablename__ = "volunteer_team"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('service', 'mediation', 'culture', 'emergency', 'patrol', 'other')",
            name="kind",
        ),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), server_default=text("'service'"))
    leader_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    """The leader (队长, 楼长, 组长); always a member of the team."""
    members_only: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    """Admits party members only (党员志愿服务队); false: residents too."""
    is_open: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """People in the team's community may join (and leave) by themselves."""
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class VolunteerTeamMember(Base):
    __tablename__ = "volunteer_team_member"

    team_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("person.id"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ServiceOrder(IdMixin, ScopedMixin, TimestampMixin, Base):
    __tablename__ = "service_order"
    terminal_statuses = frozenset({"closed", "rejected", "merged", "cancelled"})
    """``workflow.TERMINAL`` (a test keeps them equal): any other order is open and keeps
    its location's org units from being archived."""
    __table_args__ = (
        CheckConstraint(
            "status IN ('submitted', 'triaged', 'dispatched', 'pooled', 'in_progress', "
            "'resolved', 'closed', 'rejected', 'merged', 'cancelled')",
            name="status",
        ),
        CheckConstraint(
            "assignee_kind IS NULL OR assignee_kind IN ('member', 'team', 'department', 'pool')",
            name="assignee_kind",
        ),
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="point_whole"),
        Index(
            "ix_service_order_external_ref",
            "external_ref",
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
        # Keyset lists per scope level, newest first: a page is one index range scan at
        # any scope and any depth — (level, id) for every list, (level, status, id) for a
        # status filter. At 2 M orders a grid's first page went 8.97 ms → 0.04 ms (README
        # "District scale"). They cover ScopedMixin's single-column ancestor indexes,
        # which are therefore not declared (the columns below override the mixin's).
        *(Index(f"ix_service_order_{c}_id", c, "id") for c in ANCESTOR_COLUMNS),
        Index("ix_service_order_town_id_status_id", "town_id", "status", "id"),
        Index("ix_service_order_community_id_status_id", "community_id", "status", "id"),
        Index("ix_service_order_grid_id_status_id", "grid_id", "status", "id"),
        # KPI reports read one scope and period: (scope column, received_at).
        Index("ix_service_order_town_id_received_at", "town_id", "received_at"),
        Index("ix_service_order_community_id_received_at", "community_id", "received_at"),
        Index("ix_service_order_grid_id_received_at", "grid_id", "received_at"),
        Index("ix_service_order_resident_person_id_id", "resident_person_id", "id"),
        # The list's sorts (GET /orders?sort=…), each a keyset on (key, id).
        Index("ix_service_order_received_at_id", "received_at", "id"),
        Index("ix_service_order_resolve_due_at_id", "resolve_due_at", "id"),
        Index("ix_service_order_updated_at_id", "updated_at", "id"),
        Index("ix_service_order_assignee_person_id_id", "assignee_person_id", "id"),
        Index(
            "ix_service_order_open_deadlines",
            "resolve_due_at",
            postgresql_where=text("status IN ('triaged', 'dispatched', 'pooled', 'in_progress')"),
        ),
        Index(
            "ix_service_order_resolved_at",
            "resolved_at",
            postgresql_where=text("status = 'resolved'"),
        ),
    )

    town_id: Mapped[int] = mapped_column(BigInteger, sort_order=90)
    community_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=91)
    grid_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=92)
    building_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=93)
    household_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=94)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    """Readable number, e.g. GD20261121-000123 (business date in Asia/Shanghai)."""
    status: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(ForeignKey("order_category.code"))
    channel: Mapped[str] = mapped_column(String(16))
    """点单渠道: miniprogram, app, phone, walk_in, patrol, open311, gov_api."""
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    location_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    address_detail: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    """The location point (WGS-84), e.g. from Open311 ``lat``/``long``; both or neither."""
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    external_ref: Mapped[str | None] = mapped_column(String(64))
    """The filing system's own reference (an Open311 client's, a 12345 case number)."""
    preferred_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    preferred_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attachments: Mapped[list[str]] = mapped_column(ARRAY(String(500)), server_default=text("'{}'"))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    resident_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    """The resident the order is for (点单人)."""
    submitted_by_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("user_account.id")
    )
    priority: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    """1 urgent … 4 low."""
    time_limit: Mapped[str | None] = mapped_column(ForeignKey("time_limit_class.code"))
    assignee_kind: Mapped[str | None] = mapped_column(String(16))
    assignee_person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"))
    """The member (by person) who holds it: named at dispatch, or the claimant."""
    assignee_team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id")
    )
    assignee_department_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("department.id")
    )
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("service_order.id"))
    seconds_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """附议: residents who seconded it instead of filing a duplicate."""
    escalation_level: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    is_excluded: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """Excluded from the KPIs as unreasonable (不合理诉求), set at triage."""
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[str | None] = mapped_column(Text)
    result_photos: Mapped[list[str]] = mapped_column(
        ARRAY(String(500)), server_default=text("'{}'")
    )
    attachment_file_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )
    """Uploaded files (``/files``) attached on submit."""
    result_file_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )
    """办结 photos uploaded and attached on resolve."""
    feedback_resolved: Mapped[str | None] = mapped_column(String(8))
    """回访 question 1: yes / partly / no."""
    feedback_satisfaction: Mapped[str | None] = mapped_column(String(12))
    """回访 question 2: satisfied / basically / not."""
    feedback_comment: Mapped[str | None] = mapped_column(String(500))
    feedback_channel: Mapped[str | None] = mapped_column(String(8))
    """How the latest 回访 answer was taken: self, phone, visit, sms."""
    feedback_by_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("user_account.id")
    )
    """The staff member who took it (null: the resident themself)."""
    rework_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class ServiceOrderEvent(IdMixin, Base):
    """The append-only history of an order: one row per step."""

    __tablename__ = "service_order_event"
    __table_args__ = (Index("ix_service_order_event_order_id_id", "order_id", "id"),)

    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_order.id"))
    step: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(1000))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class OrderSecond(Base):
    """附议: one resident seconding an open order."""

    __tablename__ = "order_second"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_order.id"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class DepartmentArrival(IdMixin, Base):
    """部门报到: a department whistled to an order, and when it arrived (30-minute limit)."""

    __tablename__ = "department_arrival"
    __table_args__ = (
        UniqueConstraint("order_id", "department_id"),
        Index(
            "ix_department_arrival_waiting",
            "due_at",
            postgresql_where=text("arrived_at IS NULL AND missed_at IS NULL"),
        ),
    )

    # Looked up through uq_department_arrival_order_id_department_id (order_id first).
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_order.id"))
    department_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("department.id"))
    whistled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    missed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the deadline job found it past ``due_at`` without an arrival and said so
    (``order.arrival_overdue``), once."""


class OrderNumberCounter(Base):
    """Per business day counter behind the readable order numbers."""

    __tablename__ = "order_number_counter"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class KpiSetting(Base):
    """Formulas and exclusions of the KPIs (三率) as configuration, per town (or global)."""

    __tablename__ = "kpi_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB)
