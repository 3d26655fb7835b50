"""service orders: workflow, deadlines, departments, teams, KPIs config, outbox, idempotency

Revision ID: 20261121_1800
Revises: 20261121_1730
Create Date: 2026-11-21 18:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261121_1800"
down_revision: str | None = "20261121_1730"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TIME_LIMITS = [
    # code, zh, en, response hours, resolve amount, unit
    ("emergency", "紧急", "Emergency", 0.5, 24, "hours"),
    ("utility", "水电气暖", "Water, power, gas, heating", 2, 24, "hours"),
    ("general", "一般", "General", 24, 7, "working_days"),
    ("complex", "复杂", "Complex", 24, 15, "working_days"),
]
CATEGORIES = [
    ("repair", "维修", "Repair", "utility"),
    ("elderly_help", "助老", "Elderly help", "general"),
    ("mediation", "矛盾调解", "Mediation", "complex"),
    ("environment", "环境卫生", "Environment", "general"),
    ("legal_aid", "法律援助", "Legal aid", "complex"),
    ("health", "义诊", "Health", "general"),
    ("micro_wish", "微心愿", "Micro-wish", "general"),
    ("other", "其他", "Other", "general"),
]
# 接诉即办 三率 as configuration: which answers count, which orders are excluded.
KPI_SETTINGS = {
    "excluded_statuses": ["merged", "rejected", "cancelled"],
    "exclude_flagged_unreasonable": True,
    "resolved_answers": ["yes"],
    "partly_resolved_weight": 0.5,
    "satisfied_answers": ["satisfied", "basically"],
    "basically_satisfied_weight": 0.8,
    "auto_close_after_hours": 72,
    "department_arrival_minutes": 30,
}
ORDER_PERMISSIONS = {
    "town_admin": [
        "orders.read",
        "orders.submit_for",
        "orders.dispatch",
        "orders.stats",
        "orders.config",
    ],
    "community_admin": [
        "orders.read",
        "orders.submit_for",
        "orders.dispatch",
        "orders.stats",
        "orders.config",
    ],
    "dispatcher": ["orders.read", "orders.submit_for", "orders.dispatch", "orders.stats"],
    "grid_worker": ["orders.read", "orders.submit_for"],
    "department_staff": ["orders.department"],
    "member": ["orders.work"],
    "resident": ["orders.submit"],
    "auditor": ["orders.read", "orders.stats"],
}
EVENT_GUARD = [
    """
CREATE FUNCTION service_order_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'service_order_event is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
""",
    """CREATE TRIGGER service_order_event_append_only BEFORE UPDATE OR DELETE ON service_order_event
    FOR EACH ROW EXECUTE FUNCTION service_order_event_guard()""",
]


def upgrade() -> None:
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_override")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("subject", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_index(
        op.f("ix_idempotency_record_created_at"), "idempotency_record", ["created_at"], unique=False
    )
    op.create_table(
        "kpi_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kpi_setting")),
    )
    op.create_table(
        "order_number_counter",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_order_number_counter")),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("aggregate_type", sa.String(length=32), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    op.create_index(op.f("ix_outbox_event_town_id"), "outbox_event", ["town_id"], unique=False)
    op.create_index(
        "ix_outbox_event_unpublished",
        "outbox_event",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "time_limit_class",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("response_hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("resolve_amount", sa.Integer(), nullable=False),
        sa.Column("resolve_unit", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "resolve_unit IN ('hours', 'working_days')",
            name=op.f("ck_time_limit_class_resolve_unit"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_time_limit_class")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["town_id"], ["org_unit.id"], name=op.f("fk_department_town_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
    )
    op.create_index(op.f("ix_department_town_id"), "department", ["town_id"], unique=False)
    op.create_table(
        "order_category",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("default_time_limit", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["default_time_limit"],
            ["time_limit_class.code"],
            name=op.f("fk_order_category_default_time_limit_time_limit_class"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_order_category")),
    )
    op.create_table(
        "volunteer_team",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_volunteer_team_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_team")),
    )
    op.create_index(
        op.f("ix_volunteer_team_building_id"), "volunteer_team", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_volunteer_team_community_id"), "volunteer_team", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_volunteer_team_grid_id"), "volunteer_team", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_volunteer_team_household_id"), "volunteer_team", ["household_id"], unique=False
    )
    op.create_index(op.f("ix_volunteer_team_town_id"), "volunteer_team", ["town_id"], unique=False)
    op.create_table(
        "volunteer_team_member",
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_volunteer_team_member_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_volunteer_team_member_team_id_volunteer_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "person_id", name=op.f("pk_volunteer_team_member")),
    )
    op.create_index(
        op.f("ix_volunteer_team_member_person_id"),
        "volunteer_team_member",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "department_member",
        sa.Column("department_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_department_member_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_department_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("department_id", "user_id", name=op.f("pk_department_member")),
    )
    op.create_index(
        op.f("ix_department_member_user_id"), "department_member", ["user_id"], unique=False
    )
    op.create_table(
        "service_order",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("address_detail", sa.String(length=200), nullable=True),
        sa.Column("preferred_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "attachments",
            postgresql.ARRAY(sa.String(length=500)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("resident_person_id", sa.BigInteger(), nullable=True),
        sa.Column("submitted_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("time_limit", sa.String(length=32), nullable=True),
        sa.Column("assignee_kind", sa.String(length=16), nullable=True),
        sa.Column("assignee_person_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_team_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_department_id", sa.BigInteger(), nullable=True),
        sa.Column("merged_into_id", sa.BigInteger(), nullable=True),
        sa.Column("seconds_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("escalation_level", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_excluded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column(
            "result_photos",
            postgresql.ARRAY(sa.String(length=500)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("feedback_resolved", sa.String(length=8), nullable=True),
        sa.Column("feedback_satisfaction", sa.String(length=12), nullable=True),
        sa.Column("feedback_comment", sa.String(length=500), nullable=True),
        sa.Column("rework_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "assignee_kind IS NULL OR assignee_kind IN ('member', 'team', 'department', 'pool')",
            name=op.f("ck_service_order_assignee_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'triaged', 'dispatched', 'pooled', 'in_progress', 'resolved', 'closed', 'rejected', 'merged', 'cancelled')",
            name=op.f("ck_service_order_status"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name=op.f("ck_service_order_priority")),
        sa.ForeignKeyConstraint(
            ["assignee_department_id"],
            ["department.id"],
            name=op.f("fk_service_order_assignee_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_person_id"],
            ["person.id"],
            name=op.f("fk_service_order_assignee_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_service_order_assignee_team_id_volunteer_team"),
        ),
        sa.ForeignKeyConstraint(
            ["category"],
            ["order_category.code"],
            name=op.f("fk_service_order_category_order_category"),
        ),
        sa.ForeignKeyConstraint(
            ["location_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_service_order_location_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["service_order.id"],
            name=op.f("fk_service_order_merged_into_id_service_order"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_person_id"],
            ["person.id"],
            name=op.f("fk_service_order_resident_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_service_order_submitted_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["time_limit"],
            ["time_limit_class.code"],
            name=op.f("fk_service_order_time_limit_time_limit_class"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order")),
        sa.UniqueConstraint("number", name=op.f("uq_service_order_number")),
    )
    op.create_index(
        "ix_service_order_assignee_person_id_id",
        "service_order",
        ["assignee_person_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_order_building_id"), "service_order", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_order_community_id"), "service_order", ["community_id"], unique=False
    )
    op.create_index(
        "ix_service_order_community_id_status_id",
        "service_order",
        ["community_id", "status", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_service_order_grid_id"), "service_order", ["grid_id"], unique=False)
    op.create_index(
        "ix_service_order_grid_id_status_id",
        "service_order",
        ["grid_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_order_household_id"), "service_order", ["household_id"], unique=False
    )
    op.create_index(
        "ix_service_order_open_deadlines",
        "service_order",
        ["resolve_due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('triaged', 'dispatched', 'pooled', 'in_progress')"),
    )
    op.create_index(
        "ix_service_order_town_id_received_at", "service_order", ["town_id", "received_at"]
    )
    op.create_index(
        "ix_service_order_community_id_received_at",
        "service_order",
        ["community_id", "received_at"],
    )
    op.create_index(
        "ix_service_order_grid_id_received_at", "service_order", ["grid_id", "received_at"]
    )
    op.create_index(
        "ix_service_order_resident_person_id_id",
        "service_order",
        ["resident_person_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_service_order_resolved_at",
        "service_order",
        ["resolved_at"],
        unique=False,
        postgresql_where=sa.text("status = 'resolved'"),
    )
    op.create_index(op.f("ix_service_order_town_id"), "service_order", ["town_id"], unique=False)
    op.create_index(
        "ix_service_order_town_id_status_id",
        "service_order",
        ["town_id", "status", "id"],
        unique=False,
    )
    op.create_table(
        "department_arrival",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=False),
        sa.Column("whistled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_department_arrival_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_order.id"],
            name=op.f("fk_department_arrival_order_id_service_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_arrival")),
        sa.UniqueConstraint(
            "order_id", "department_id", name=op.f("uq_department_arrival_order_id_department_id")
        ),
    )
    op.create_index(
        op.f("ix_department_arrival_order_id"), "department_arrival", ["order_id"], unique=False
    )
    op.create_table(
        "order_second",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["service_order.id"], name=op.f("fk_order_second_order_id_service_order")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_order_second_person_id_person")
        ),
        sa.PrimaryKeyConstraint("order_id", "person_id", name=op.f("pk_order_second")),
    )
    op.create_table(
        "service_order_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_order.id"],
            name=op.f("fk_service_order_event_order_id_service_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_event")),
    )
    op.create_index(
        "ix_service_order_event_order_id_id",
        "service_order_event",
        ["order_id", "id"],
        unique=False,
    )
    for statement in EVENT_GUARD:
        op.execute(statement)
    op.bulk_insert(
        sa.table(
            "time_limit_class",
            sa.column("code"),
            sa.column("name_zh"),
            sa.column("name_en"),
            sa.column("response_hours"),
            sa.column("resolve_amount"),
            sa.column("resolve_unit"),
        ),
        [
            dict(
                zip(
                    (
                        "code",
                        "name_zh",
                        "name_en",
                        "response_hours",
                        "resolve_amount",
                        "resolve_unit",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in TIME_LIMITS
        ],
    )
    op.bulk_insert(
        sa.table(
            "order_category",
            sa.column("code"),
            sa.column("name_zh"),
            sa.column("name_en"),
            sa.column("default_time_limit"),
        ),
        [
            dict(zip(("code", "name_zh", "name_en", "default_time_limit"), row, strict=True))
            for row in CATEGORIES
        ],
    )
    op.bulk_insert(
        sa.table("kpi_setting", sa.column("key"), sa.column("value", postgresql.JSONB)),
        [{"key": k, "value": v} for k, v in KPI_SETTINGS.items()],
    )
    op.bulk_insert(
        sa.table("role_permission", sa.column("role"), sa.column("permission")),
        [{"role": r, "permission": p} for r, perms in ORDER_PERMISSIONS.items() for p in perms],
    )


def downgrade() -> None:
    op.execute("DELETE FROM role_permission WHERE permission LIKE 'orders.%'")
    op.execute("DROP TRIGGER service_order_event_append_only ON service_order_event")
    op.execute("DROP FUNCTION service_order_event_guard()")
    op.drop_index("ix_service_order_event_order_id_id", table_name="service_order_event")
    op.drop_table("service_order_event")
    op.drop_table("order_second")
    op.drop_index(op.f("ix_department_arrival_order_id"), table_name="department_arrival")
    op.drop_table("department_arrival")
    op.drop_index("ix_service_order_town_id_status_id", table_name="service_order")
    op.drop_index(op.f("ix_service_order_town_id"), table_name="service_order")
    op.drop_index(
        "ix_service_order_resolved_at",
        table_name="service_order",
        postgresql_where=sa.text("status = 'resolved'"),
    )
    op.drop_index("ix_service_order_resident_person_id_id", table_name="service_order")
    op.drop_index("ix_service_order_grid_id_received_at", table_name="service_order")
    op.drop_index("ix_service_order_community_id_received_at", table_name="service_order")
    op.drop_index("ix_service_order_town_id_received_at", table_name="service_order")
    op.drop_index(
        "ix_service_order_open_deadlines",
        table_name="service_order",
        postgresql_where=sa.text("status IN ('triaged', 'dispatched', 'pooled', 'in_progress')"),
    )
    op.drop_index(op.f("ix_service_order_household_id"), table_name="service_order")
    op.drop_index("ix_service_order_grid_id_status_id", table_name="service_order")
    op.drop_index(op.f("ix_service_order_grid_id"), table_name="service_order")
    op.drop_index("ix_service_order_community_id_status_id", table_name="service_order")
    op.drop_index(op.f("ix_service_order_community_id"), table_name="service_order")
    op.drop_index(op.f("ix_service_order_building_id"), table_name="service_order")
    op.drop_index("ix_service_order_assignee_person_id_id", table_name="service_order")
    op.drop_table("service_order")
    op.drop_index(op.f("ix_department_member_user_id"), table_name="department_member")
    op.drop_table("department_member")
    op.drop_index(op.f("ix_volunteer_team_member_person_id"), table_name="volunteer_team_member")
    op.drop_table("volunteer_team_member")
    op.drop_index(op.f("ix_volunteer_team_town_id"), table_name="volunteer_team")
    op.drop_index(op.f("ix_volunteer_team_household_id"), table_name="volunteer_team")
    op.drop_index(op.f("ix_volunteer_team_grid_id"), table_name="volunteer_team")
    op.drop_index(op.f("ix_volunteer_team_community_id"), table_name="volunteer_team")
    op.drop_index(op.f("ix_volunteer_team_building_id"), table_name="volunteer_team")
    op.drop_table("volunteer_team")
    op.drop_table("order_category")
    op.drop_index(op.f("ix_department_town_id"), table_name="department")
    op.drop_table("department")
    op.drop_table("time_limit_class")
    op.drop_index(
        "ix_outbox_event_unpublished",
        table_name="outbox_event",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(op.f("ix_outbox_event_town_id"), table_name="outbox_event")
    op.drop_table("outbox_event")
    op.drop_table("order_number_counter")
    op.drop_table("kpi_setting")
    op.drop_index(op.f("ix_idempotency_record_created_at"), table_name="idempotency_record")
    op.drop_table("idempotency_record")
    op.drop_table("calendar_override")
