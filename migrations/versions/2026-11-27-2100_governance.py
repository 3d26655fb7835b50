"""governance: partner bodies, offices, stations and duty rotas, meetings, 五议, evaluations

Revision ID: 20261127_2100
Revises: 20261122_0900
Create Date: 2026-11-27 21:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261127_2100"
down_revision: str | None = "20261122_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GOVERNANCE_PERMISSIONS = {
    "town_admin": ["governance.read", "governance.manage"],
    "community_admin": ["governance.read", "governance.manage"],
    "dispatcher": ["governance.read"],
    "grid_worker": ["governance.read"],
    "auditor": ["governance.read"],
    "member": ["governance.take_part"],
    "resident": ["governance.take_part"],
}
# 党员周末轮班: a shift served at a station earns by this rule (a town may set its own).
DUTY_RULE = {"kind": "activity_type", "key": "duty_shift", "points": 5}
# A matter's history and its vote are never rewritten: the database refuses it.
APPEND_ONLY = ("matter_event", "matter_ballot", "matter_vote")
GUARD = """
CREATE FUNCTION governance_append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    op.create_table(
        "partner_body",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "kind IN ('owners_committee', 'property_company', 'social_organisation', 'unit')",
            name=op.f("ck_partner_body_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_partner_body_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_body")),
        sa.UniqueConstraint(
            "org_unit_id", "kind", "name", name=op.f("uq_partner_body_org_unit_id_kind_name")
        ),
    )
    op.create_index(
        op.f("ix_partner_body_building_id"), "partner_body", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_partner_body_community_id"), "partner_body", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_partner_body_grid_id"), "partner_body", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_partner_body_household_id"), "partner_body", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_partner_body_org_unit_id"), "partner_body", ["org_unit_id"], unique=False
    )
    op.create_index(op.f("ix_partner_body_town_id"), "partner_body", ["town_id"], unique=False)
    op.create_table(
        "questionnaire",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("target_kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "target_kind IN ('property_company', 'owners_committee')",
            name=op.f("ck_questionnaire_target_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_questionnaire_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire")),
    )
    op.create_index(
        op.f("ix_questionnaire_building_id"), "questionnaire", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_questionnaire_community_id"), "questionnaire", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_questionnaire_grid_id"), "questionnaire", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_questionnaire_household_id"), "questionnaire", ["household_id"], unique=False
    )
    op.create_index(
        op.f("ix_questionnaire_org_unit_id"), "questionnaire", ["org_unit_id"], unique=False
    )
    op.create_index(op.f("ix_questionnaire_town_id"), "questionnaire", ["town_id"], unique=False)
    op.create_table(
        "station",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column(
            "functions",
            postgresql.ARRAY(sa.String(length=24)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "opening_hours",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "kind IN ('red_flag', 'party_service', 'member_studio')", name=op.f("ck_station_kind")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_station_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("org_unit_id", "name", name=op.f("uq_station_org_unit_id_name")),
    )
    op.create_index(op.f("ix_station_building_id"), "station", ["building_id"], unique=False)
    op.create_index(op.f("ix_station_community_id"), "station", ["community_id"], unique=False)
    op.create_index(op.f("ix_station_grid_id"), "station", ["grid_id"], unique=False)
    op.create_index(op.f("ix_station_household_id"), "station", ["household_id"], unique=False)
    op.create_index(op.f("ix_station_org_unit_id"), "station", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_station_town_id"), "station", ["town_id"], unique=False)
    op.create_table(
        "duty_shift",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
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
        sa.CheckConstraint("capacity BETWEEN 1 AND 20", name=op.f("ck_duty_shift_capacity")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_duty_shift_period")),
        sa.CheckConstraint("taken BETWEEN 0 AND capacity", name=op.f("ck_duty_shift_taken")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_duty_shift_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shift")),
        sa.UniqueConstraint(
            "station_id", "starts_at", name=op.f("uq_duty_shift_station_id_starts_at")
        ),
    )
    op.create_index(op.f("ix_duty_shift_building_id"), "duty_shift", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_duty_shift_community_id"), "duty_shift", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_duty_shift_grid_id"), "duty_shift", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_duty_shift_household_id"), "duty_shift", ["household_id"], unique=False
    )
    op.create_index(op.f("ix_duty_shift_town_id"), "duty_shift", ["town_id"], unique=False)
    op.create_table(
        "honour_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("citation", sa.String(length=1000), nullable=False),
        sa.Column("honoured_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=200), nullable=True),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
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
            ["person_id"], ["person.id"], name=op.f("fk_honour_entry_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_honour_entry_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honour_entry")),
    )
    op.create_index(
        op.f("ix_honour_entry_building_id"), "honour_entry", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_honour_entry_community_id"), "honour_entry", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_honour_entry_grid_id"), "honour_entry", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_honour_entry_household_id"), "honour_entry", ["household_id"], unique=False
    )
    op.create_index(
        "ix_honour_entry_station_id_id", "honour_entry", ["station_id", "id"], unique=False
    )
    op.create_index(op.f("ix_honour_entry_town_id"), "honour_entry", ["town_id"], unique=False)
    op.create_table(
        "meeting",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "agenda",
            postgresql.ARRAY(sa.String(length=200)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("minutes_by_user_id", sa.BigInteger(), nullable=True),
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
            "kind IN ('joint_property', 'branch_committee', 'branch_assembly', 'party_group', 'party_lecture', 'theme_day', 'council')",
            name=op.f("ck_meeting_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'held', 'cancelled')", name=op.f("ck_meeting_status")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_meeting_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_meeting_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index(op.f("ix_meeting_building_id"), "meeting", ["building_id"], unique=False)
    op.create_index(op.f("ix_meeting_community_id"), "meeting", ["community_id"], unique=False)
    op.create_index(op.f("ix_meeting_grid_id"), "meeting", ["grid_id"], unique=False)
    op.create_index(op.f("ix_meeting_household_id"), "meeting", ["household_id"], unique=False)
    op.create_index("ix_meeting_kind_held_at", "meeting", ["kind", "held_at"], unique=False)
    op.create_index(op.f("ix_meeting_org_unit_id"), "meeting", ["org_unit_id"], unique=False)
    op.create_index(op.f("ix_meeting_town_id"), "meeting", ["town_id"], unique=False)
    op.create_table(
        "property_contract",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("body_id", sa.BigInteger(), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
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
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_property_contract_period")),
        sa.ForeignKeyConstraint(
            ["body_id"], ["partner_body.id"], name=op.f("fk_property_contract_body_id_partner_body")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_property_contract_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_contract")),
    )
    op.create_index(
        op.f("ix_property_contract_body_id"), "property_contract", ["body_id"], unique=False
    )
    op.create_index(
        op.f("ix_property_contract_building_id"), "property_contract", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_property_contract_community_id"),
        "property_contract",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_property_contract_grid_id"), "property_contract", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_property_contract_household_id"),
        "property_contract",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_property_contract_town_id"), "property_contract", ["town_id"], unique=False
    )
    op.create_table(
        "duty_assignment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("shift_id", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("swapped_from_id", sa.BigInteger(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_method", sa.String(length=8), nullable=True),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("points_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("points_awarded", sa.Integer(), nullable=True),
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
            "check_in_method IS NULL OR check_in_method IN ('staff', 'self', 'qr')",
            name=op.f("ck_duty_assignment_check_in_method"),
        ),
        sa.CheckConstraint(
            "source IN ('assigned', 'volunteered', 'swap')", name=op.f("ck_duty_assignment_source")
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'checked_in', 'swapped_out', 'withdrawn')",
            name=op.f("ck_duty_assignment_status"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_duty_assignment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["duty_shift.id"], name=op.f("fk_duty_assignment_shift_id_duty_shift")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_duty_assignment_station_id_station")
        ),
        sa.ForeignKeyConstraint(
            ["swapped_from_id"],
            ["duty_assignment.id"],
            name=op.f("fk_duty_assignment_swapped_from_id_duty_assignment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_assignment")),
    )
    op.create_index(
        op.f("ix_duty_assignment_building_id"), "duty_assignment", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_duty_assignment_community_id"), "duty_assignment", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_duty_assignment_grid_id"), "duty_assignment", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_duty_assignment_household_id"), "duty_assignment", ["household_id"], unique=False
    )
    op.create_index(
        "ix_duty_assignment_person_id_id", "duty_assignment", ["person_id", "id"], unique=False
    )
    op.create_index("ix_duty_assignment_shift_id", "duty_assignment", ["shift_id"], unique=False)
    op.create_index(
        op.f("ix_duty_assignment_town_id"), "duty_assignment", ["town_id"], unique=False
    )
    op.create_index(
        "uq_duty_assignment_on_shift",
        "duty_assignment",
        ["shift_id", "person_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('scheduled', 'checked_in')"),
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("questionnaire_id", sa.BigInteger(), nullable=False),
        sa.Column("body_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("eligible_households", sa.Integer(), nullable=False),
        sa.Column("retender_below", sa.Integer(), server_default=sa.text("60"), nullable=False),
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
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_evaluation_status")),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_evaluation_window")),
        sa.CheckConstraint(
            "retender_below BETWEEN 0 AND 100", name=op.f("ck_evaluation_retender_below")
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["partner_body.id"], name=op.f("fk_evaluation_body_id_partner_body")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["property_contract.id"],
            name=op.f("fk_evaluation_contract_id_property_contract"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_evaluation_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire.id"],
            name=op.f("fk_evaluation_questionnaire_id_questionnaire"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
        sa.UniqueConstraint(
            "org_unit_id",
            "body_id",
            "period",
            name=op.f("uq_evaluation_org_unit_id_body_id_period"),
        ),
    )
    op.create_index(op.f("ix_evaluation_body_id"), "evaluation", ["body_id"], unique=False)
    op.create_index(op.f("ix_evaluation_building_id"), "evaluation", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_evaluation_community_id"), "evaluation", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_evaluation_grid_id"), "evaluation", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_evaluation_household_id"), "evaluation", ["household_id"], unique=False
    )
    op.create_index(op.f("ix_evaluation_town_id"), "evaluation", ["town_id"], unique=False)
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "method IN ('staff', 'self', 'qr')", name=op.f("ck_meeting_attendance_method")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_attendance_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_meeting_attendance_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint(
            "meeting_id", "person_id", name=op.f("uq_meeting_attendance_meeting_id_person_id")
        ),
    )
    op.create_index(
        op.f("ix_meeting_attendance_person_id"), "meeting_attendance", ["person_id"], unique=False
    )
    op.create_table(
        "meeting_body",
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("body_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["partner_body.id"], name=op.f("fk_meeting_body_body_id_partner_body")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_body_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "body_id", name=op.f("pk_meeting_body")),
    )
    op.create_index(op.f("ix_meeting_body_body_id"), "meeting_body", ["body_id"], unique=False)
    op.create_table(
        "evaluation_response",
        sa.Column("evaluation_id", sa.BigInteger(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("respondent_person_id", sa.BigInteger(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_evaluation_response_evaluation_id_evaluation"),
        ),
        sa.ForeignKeyConstraint(
            ["respondent_person_id"],
            ["person.id"],
            name=op.f("fk_evaluation_response_respondent_person_id_person"),
        ),
        sa.PrimaryKeyConstraint(
            "evaluation_id", "household_key", name=op.f("pk_evaluation_response")
        ),
    )
    op.create_table(
        "matter",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposer_kind", sa.String(length=16), nullable=False),
        sa.Column("proposer_person_id", sa.BigInteger(), nullable=True),
        sa.Column("proposer_body_id", sa.BigInteger(), nullable=True),
        sa.Column("proposed_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("source_evaluation_id", sa.BigInteger(), nullable=True),
        sa.Column("quorum_percent", sa.Integer(), nullable=True),
        sa.Column("threshold_percent", sa.Integer(), nullable=True),
        sa.Column("vote_opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vote_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("eligible_households", sa.Integer(), nullable=True),
        sa.Column("ballots", sa.Integer(), nullable=True),
        sa.Column("yes_votes", sa.Integer(), nullable=True),
        sa.Column("no_votes", sa.Integer(), nullable=True),
        sa.Column("abstentions", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("implementation", sa.Text(), nullable=True),
        sa.Column("implemented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ratings", sa.Integer(), nullable=True),
        sa.Column("rating_average", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
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
            "proposer_kind IN ('resident', 'member', 'body', 'staff')",
            name=op.f("ck_matter_proposer_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'consulting', 'voting', 'passed', 'reviewing', 'closed', 'declined', 'rejected', 'withdrawn')",
            name=op.f("ck_matter_status"),
        ),
        sa.CheckConstraint(
            "quorum_percent IS NULL OR quorum_percent BETWEEN 1 AND 100",
            name=op.f("ck_matter_quorum"),
        ),
        sa.CheckConstraint(
            "threshold_percent IS NULL OR threshold_percent BETWEEN 1 AND 99",
            name=op.f("ck_matter_threshold"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_matter_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["proposer_body_id"],
            ["partner_body.id"],
            name=op.f("fk_matter_proposer_body_id_partner_body"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_person_id"], ["person.id"], name=op.f("fk_matter_proposer_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["source_evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_matter_source_evaluation_id_evaluation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter")),
    )
    op.create_index(op.f("ix_matter_building_id"), "matter", ["building_id"], unique=False)
    op.create_index(op.f("ix_matter_community_id"), "matter", ["community_id"], unique=False)
    op.create_index(op.f("ix_matter_grid_id"), "matter", ["grid_id"], unique=False)
    op.create_index("ix_matter_grid_id_id", "matter", ["grid_id", "id"], unique=False)
    op.create_index(op.f("ix_matter_household_id"), "matter", ["household_id"], unique=False)
    op.create_index(op.f("ix_matter_town_id"), "matter", ["town_id"], unique=False)
    op.create_table(
        "office_term",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("office", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("seat_kind", sa.String(length=16), nullable=False),
        sa.Column("seat_key", sa.String(length=40), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("body_id", sa.BigInteger(), nullable=True),
        sa.Column("station_id", sa.BigInteger(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("grant_role", sa.String(length=32), nullable=True),
        sa.Column("role_grant_id", sa.BigInteger(), nullable=True),
        sa.Column("appointed_by_user_id", sa.BigInteger(), nullable=True),
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
            "(seat_kind = 'body') = (body_id IS NOT NULL) AND (seat_kind = 'station') = (station_id IS NOT NULL)",
            name=op.f("ck_office_term_seat"),
        ),
        sa.CheckConstraint(
            "seat_kind IN ('org_unit', 'body', 'station')", name=op.f("ck_office_term_seat_kind")
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= starts_on", name=op.f("ck_office_term_term")
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["partner_body.id"], name=op.f("fk_office_term_body_id_partner_body")
        ),
        sa.ForeignKeyConstraint(
            ["grant_role"], ["role.code"], name=op.f("fk_office_term_grant_role_role")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_office_term_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_office_term_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["role_grant_id"],
            ["role_grant.id"],
            name=op.f("fk_office_term_role_grant_id_role_grant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_office_term_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_term")),
    )
    op.create_index(op.f("ix_office_term_body_id"), "office_term", ["body_id"], unique=False)
    op.create_index(
        op.f("ix_office_term_building_id"), "office_term", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_office_term_community_id"), "office_term", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_office_term_grid_id"), "office_term", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_office_term_household_id"), "office_term", ["household_id"], unique=False
    )
    op.create_index("ix_office_term_person_id_id", "office_term", ["person_id", "id"], unique=False)
    op.create_index(op.f("ix_office_term_station_id"), "office_term", ["station_id"], unique=False)
    op.create_index(op.f("ix_office_term_town_id"), "office_term", ["town_id"], unique=False)
    op.create_index(
        "uq_office_term_current_seat",
        "office_term",
        ["person_id", "office", "seat_key"],
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.create_table(
        "matter_ballot",
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("voter_person_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "cast_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matter.id"], name=op.f("fk_matter_ballot_matter_id_matter")
        ),
        sa.ForeignKeyConstraint(
            ["voter_person_id"], ["person.id"], name=op.f("fk_matter_ballot_voter_person_id_person")
        ),
        sa.PrimaryKeyConstraint("matter_id", "household_key", name=op.f("pk_matter_ballot")),
    )
    op.create_table(
        "matter_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
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
            ["matter_id"], ["matter.id"], name=op.f("fk_matter_event_matter_id_matter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_event")),
    )
    op.create_index(
        "ix_matter_event_matter_id_id", "matter_event", ["matter_id", "id"], unique=False
    )
    op.create_table(
        "matter_position",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
        sa.Column("party", sa.String(length=24), nullable=False),
        sa.Column("body_id", sa.BigInteger(), nullable=True),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("statement", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "party IN ('branch', 'owners_committee', 'property_company', 'social_organisation', 'unit', 'residents')",
            name=op.f("ck_matter_position_party"),
        ),
        sa.CheckConstraint(
            "stance IN ('support', 'oppose', 'conditional', 'abstain')",
            name=op.f("ck_matter_position_stance"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["partner_body.id"], name=op.f("fk_matter_position_body_id_partner_body")
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matter.id"], name=op.f("fk_matter_position_matter_id_matter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_position")),
    )
    op.create_index(
        "ix_matter_position_matter_id_id", "matter_position", ["matter_id", "id"], unique=False
    )
    op.create_table(
        "matter_rating",
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("rater_person_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column(
            "rated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_matter_rating_score")),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matter.id"], name=op.f("fk_matter_rating_matter_id_matter")
        ),
        sa.ForeignKeyConstraint(
            ["rater_person_id"], ["person.id"], name=op.f("fk_matter_rating_rater_person_id_person")
        ),
        sa.PrimaryKeyConstraint("matter_id", "household_key", name=op.f("pk_matter_rating")),
    )
    op.create_table(
        "matter_vote",
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "choice IN ('yes', 'no', 'abstain')", name=op.f("ck_matter_vote_choice")
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matter.id"], name=op.f("fk_matter_vote_matter_id_matter")
        ),
        sa.PrimaryKeyConstraint("receipt", name=op.f("pk_matter_vote")),
    )
    op.create_index(
        "ix_matter_vote_matter_id_receipt", "matter_vote", ["matter_id", "receipt"], unique=False
    )
    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.String(length=1000), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("matter_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_user_id", sa.BigInteger(), nullable=True),
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
            ["matter_id"], ["matter.id"], name=op.f("fk_meeting_decision_matter_id_matter")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_decision_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_order.id"],
            name=op.f("fk_meeting_decision_order_id_service_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decision")),
    )
    op.create_index(
        "ix_meeting_decision_meeting_id_id", "meeting_decision", ["meeting_id", "id"], unique=False
    )

    op.execute(GUARD)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION governance_append_only_guard()"
        )
    op.bulk_insert(
        sa.table("points_rule", sa.column("kind"), sa.column("key"), sa.column("points")),
        [DUTY_RULE],
    )
    op.bulk_insert(
        sa.table("role_permission", sa.column("role"), sa.column("permission")),
        [{"role": r, "permission": p} for r, ps in GOVERNANCE_PERMISSIONS.items() for p in ps],
    )


def downgrade() -> None:
    op.execute("DELETE FROM role_permission WHERE permission LIKE 'governance.%'")
    # points_rule is append-only by design; the seeded default goes with the schema.
    op.execute(
        "DELETE FROM points_rule WHERE kind = 'activity_type' AND key = 'duty_shift' "
        "AND town_id IS NULL"
    )
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION governance_append_only_guard()")
    op.drop_index("ix_meeting_decision_meeting_id_id", table_name="meeting_decision")
    op.drop_table("meeting_decision")
    op.drop_index("ix_matter_vote_matter_id_receipt", table_name="matter_vote")
    op.drop_table("matter_vote")
    op.drop_table("matter_rating")
    op.drop_index("ix_matter_position_matter_id_id", table_name="matter_position")
    op.drop_table("matter_position")
    op.drop_index("ix_matter_event_matter_id_id", table_name="matter_event")
    op.drop_table("matter_event")
    op.drop_table("matter_ballot")
    op.drop_index(
        "uq_office_term_current_seat",
        table_name="office_term",
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index(op.f("ix_office_term_town_id"), table_name="office_term")
    op.drop_index(op.f("ix_office_term_station_id"), table_name="office_term")
    op.drop_index("ix_office_term_person_id_id", table_name="office_term")
    op.drop_index(op.f("ix_office_term_household_id"), table_name="office_term")
    op.drop_index(op.f("ix_office_term_grid_id"), table_name="office_term")
    op.drop_index(op.f("ix_office_term_community_id"), table_name="office_term")
    op.drop_index(op.f("ix_office_term_building_id"), table_name="office_term")
    op.drop_index(op.f("ix_office_term_body_id"), table_name="office_term")
    op.drop_table("office_term")
    op.drop_index(op.f("ix_matter_town_id"), table_name="matter")
    op.drop_index(op.f("ix_matter_household_id"), table_name="matter")
    op.drop_index("ix_matter_grid_id_id", table_name="matter")
    op.drop_index(op.f("ix_matter_grid_id"), table_name="matter")
    op.drop_index(op.f("ix_matter_community_id"), table_name="matter")
    op.drop_index(op.f("ix_matter_building_id"), table_name="matter")
    op.drop_table("matter")
    op.drop_table("evaluation_response")
    op.drop_index(op.f("ix_meeting_body_body_id"), table_name="meeting_body")
    op.drop_table("meeting_body")
    op.drop_index(op.f("ix_meeting_attendance_person_id"), table_name="meeting_attendance")
    op.drop_table("meeting_attendance")
    op.drop_index(op.f("ix_evaluation_town_id"), table_name="evaluation")
    op.drop_index(op.f("ix_evaluation_household_id"), table_name="evaluation")
    op.drop_index(op.f("ix_evaluation_grid_id"), table_name="evaluation")
    op.drop_index(op.f("ix_evaluation_community_id"), table_name="evaluation")
    op.drop_index(op.f("ix_evaluation_building_id"), table_name="evaluation")
    op.drop_index(op.f("ix_evaluation_body_id"), table_name="evaluation")
    op.drop_table("evaluation")
    op.drop_index(
        "uq_duty_assignment_on_shift",
        table_name="duty_assignment",
        postgresql_where=sa.text("status IN ('scheduled', 'checked_in')"),
    )
    op.drop_index(op.f("ix_duty_assignment_town_id"), table_name="duty_assignment")
    op.drop_index("ix_duty_assignment_shift_id", table_name="duty_assignment")
    op.drop_index("ix_duty_assignment_person_id_id", table_name="duty_assignment")
    op.drop_index(op.f("ix_duty_assignment_household_id"), table_name="duty_assignment")
    op.drop_index(op.f("ix_duty_assignment_grid_id"), table_name="duty_assignment")
    op.drop_index(op.f("ix_duty_assignment_community_id"), table_name="duty_assignment")
    op.drop_index(op.f("ix_duty_assignment_building_id"), table_name="duty_assignment")
    op.drop_table("duty_assignment")
    op.drop_index(op.f("ix_property_contract_town_id"), table_name="property_contract")
    op.drop_index(op.f("ix_property_contract_household_id"), table_name="property_contract")
    op.drop_index(op.f("ix_property_contract_grid_id"), table_name="property_contract")
    op.drop_index(op.f("ix_property_contract_community_id"), table_name="property_contract")
    op.drop_index(op.f("ix_property_contract_building_id"), table_name="property_contract")
    op.drop_index(op.f("ix_property_contract_body_id"), table_name="property_contract")
    op.drop_table("property_contract")
    op.drop_index(op.f("ix_meeting_town_id"), table_name="meeting")
    op.drop_index(op.f("ix_meeting_org_unit_id"), table_name="meeting")
    op.drop_index("ix_meeting_kind_held_at", table_name="meeting")
    op.drop_index(op.f("ix_meeting_household_id"), table_name="meeting")
    op.drop_index(op.f("ix_meeting_grid_id"), table_name="meeting")
    op.drop_index(op.f("ix_meeting_community_id"), table_name="meeting")
    op.drop_index(op.f("ix_meeting_building_id"), table_name="meeting")
    op.drop_table("meeting")
    op.drop_index(op.f("ix_honour_entry_town_id"), table_name="honour_entry")
    op.drop_index("ix_honour_entry_station_id_id", table_name="honour_entry")
    op.drop_index(op.f("ix_honour_entry_household_id"), table_name="honour_entry")
    op.drop_index(op.f("ix_honour_entry_grid_id"), table_name="honour_entry")
    op.drop_index(op.f("ix_honour_entry_community_id"), table_name="honour_entry")
    op.drop_index(op.f("ix_honour_entry_building_id"), table_name="honour_entry")
    op.drop_table("honour_entry")
    op.drop_index(op.f("ix_duty_shift_town_id"), table_name="duty_shift")
    op.drop_index(op.f("ix_duty_shift_household_id"), table_name="duty_shift")
    op.drop_index(op.f("ix_duty_shift_grid_id"), table_name="duty_shift")
    op.drop_index(op.f("ix_duty_shift_community_id"), table_name="duty_shift")
    op.drop_index(op.f("ix_duty_shift_building_id"), table_name="duty_shift")
    op.drop_table("duty_shift")
    op.drop_index(op.f("ix_station_town_id"), table_name="station")
    op.drop_index(op.f("ix_station_org_unit_id"), table_name="station")
    op.drop_index(op.f("ix_station_household_id"), table_name="station")
    op.drop_index(op.f("ix_station_grid_id"), table_name="station")
    op.drop_index(op.f("ix_station_community_id"), table_name="station")
    op.drop_index(op.f("ix_station_building_id"), table_name="station")
    op.drop_table("station")
    op.drop_index(op.f("ix_questionnaire_town_id"), table_name="questionnaire")
    op.drop_index(op.f("ix_questionnaire_org_unit_id"), table_name="questionnaire")
    op.drop_index(op.f("ix_questionnaire_household_id"), table_name="questionnaire")
    op.drop_index(op.f("ix_questionnaire_grid_id"), table_name="questionnaire")
    op.drop_index(op.f("ix_questionnaire_community_id"), table_name="questionnaire")
    op.drop_index(op.f("ix_questionnaire_building_id"), table_name="questionnaire")
    op.drop_table("questionnaire")
    op.drop_index(op.f("ix_partner_body_town_id"), table_name="partner_body")
    op.drop_index(op.f("ix_partner_body_org_unit_id"), table_name="partner_body")
    op.drop_index(op.f("ix_partner_body_household_id"), table_name="partner_body")
    op.drop_index(op.f("ix_partner_body_grid_id"), table_name="partner_body")
    op.drop_index(op.f("ix_partner_body_community_id"), table_name="partner_body")
    op.drop_index(op.f("ix_partner_body_building_id"), table_name="partner_body")
    op.drop_table("partner_body")
