"""community participation: activities, 双报到 units and registrations, 微心愿, teams for everyone

Revision ID: 20261122_0900
Revises: 20261121_1830
Create Date: 2026-11-22 09:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261122_0900"
down_revision: str | None = "20261121_1830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTICIPATION_PERMISSIONS = {
    "town_admin": [
        "participation.read",
        "activities.manage",
        "units.manage",
        "wishes.manage",
    ],
    "community_admin": [
        "participation.read",
        "activities.manage",
        "units.manage",
        "wishes.manage",
    ],
    "dispatcher": ["participation.read"],
    "grid_worker": ["participation.read", "activities.manage", "wishes.manage"],
    "member": ["participation.join"],
    "resident": ["participation.join"],
    "auditor": ["participation.read"],
}
NEW_PERMISSIONS = sorted({p for perms in PARTICIPATION_PERMISSIONS.values() for p in perms})
RULE_KINDS_BEFORE = (
    "'order_category', 'order_top_rating_bonus', 'activity_type', 'cap_daily', 'cap_monthly'"
)
RULE_KINDS_AFTER = (
    "'order_category', 'order_top_rating_bonus', 'activity_type', 'micro_wish', "
    "'cap_daily', 'cap_monthly'"
)
MICRO_WISH_POINTS = 8
"""Default 微心愿 points: what a micro-wish order (order category micro_wish) pays today."""
TEAM_KINDS = "'service', 'mediation', 'culture', 'emergency', 'patrol', 'other'"


def upgrade() -> None:
    op.create_table(
        "work_unit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party_org_name", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("is_archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
            "kind IN ('government', 'institution', 'enterprise', 'social', 'other')",
            name=op.f("ck_work_unit_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_work_unit_org_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_unit")),
        sa.UniqueConstraint("org_unit_id", "name", name=op.f("uq_work_unit_org_unit_id_name")),
    )
    op.create_index(op.f("ix_work_unit_building_id"), "work_unit", ["building_id"], unique=False)
    op.create_index(op.f("ix_work_unit_community_id"), "work_unit", ["community_id"], unique=False)
    op.create_index(op.f("ix_work_unit_grid_id"), "work_unit", ["grid_id"], unique=False)
    op.create_index(op.f("ix_work_unit_household_id"), "work_unit", ["household_id"], unique=False)
    op.create_index(op.f("ix_work_unit_town_id"), "work_unit", ["town_id"], unique=False)
    op.create_table(
        "work_unit_member",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("work_unit_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_work_unit_member_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["work_unit_id"],
            ["work_unit.id"],
            name=op.f("fk_work_unit_member_work_unit_id_work_unit"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_work_unit_member")),
    )
    op.create_index(
        op.f("ix_work_unit_member_work_unit_id"), "work_unit_member", ["work_unit_id"], unique=False
    )
    op.create_table(
        "work_unit_pairing",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("work_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
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
            "ended_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_work_unit_pairing_ended_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_work_unit_pairing_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["work_unit_id"],
            ["work_unit.id"],
            name=op.f("fk_work_unit_pairing_work_unit_id_work_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_unit_pairing")),
    )
    op.create_index(
        op.f("ix_work_unit_pairing_building_id"), "work_unit_pairing", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_unit_pairing_community_id"),
        "work_unit_pairing",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_unit_pairing_grid_id"), "work_unit_pairing", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_unit_pairing_household_id"),
        "work_unit_pairing",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_unit_pairing_town_id"), "work_unit_pairing", ["town_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_unit_pairing_work_unit_id"),
        "work_unit_pairing",
        ["work_unit_id"],
        unique=False,
    )
    op.create_index(
        "uq_work_unit_pairing_live",
        "work_unit_pairing",
        ["work_unit_id", "org_unit_id"],
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("confirmed_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_team_id", sa.BigInteger(), nullable=True),
        sa.Column("organiser_kind", sa.String(length=16), nullable=False),
        sa.Column("organiser_team_id", sa.BigInteger(), nullable=True),
        sa.Column("organiser_work_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("organiser_department_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("check_in_uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("check_out_uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
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
            "(audience = 'team') = (audience_team_id IS NOT NULL)",
            name=op.f("ck_activity_audience_team"),
        ),
        sa.CheckConstraint(
            "(organiser_kind = 'team') = (organiser_team_id IS NOT NULL) AND (organiser_kind = 'work_unit') = (organiser_work_unit_id IS NOT NULL) AND (organiser_kind = 'department') = (organiser_department_id IS NOT NULL)",
            name=op.f("ck_activity_organiser_reference"),
        ),
        sa.CheckConstraint(
            "audience IN ('residents', 'members', 'team')", name=op.f("ck_activity_audience")
        ),
        sa.CheckConstraint(
            "organiser_kind IN ('org_unit', 'team', 'work_unit', 'department')",
            name=op.f("ck_activity_organiser_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'cancelled', 'closed')", name=op.f("ck_activity_status")
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity > 0", name=op.f("ck_activity_capacity_positive")
        ),
        sa.CheckConstraint(
            "confirmed_count >= 0 AND (capacity IS NULL OR confirmed_count <= capacity)",
            name=op.f("ck_activity_within_capacity"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_activity_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["audience_team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_activity_audience_team_id_volunteer_team"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_activity_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["organiser_department_id"],
            ["department.id"],
            name=op.f("fk_activity_organiser_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["organiser_team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_activity_organiser_team_id_volunteer_team"),
        ),
        sa.ForeignKeyConstraint(
            ["organiser_work_unit_id"],
            ["work_unit.id"],
            name=op.f("fk_activity_organiser_work_unit_id_work_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(op.f("ix_activity_building_id"), "activity", ["building_id"], unique=False)
    op.create_index(op.f("ix_activity_community_id"), "activity", ["community_id"], unique=False)
    op.create_index(op.f("ix_activity_grid_id"), "activity", ["grid_id"], unique=False)
    op.create_index(op.f("ix_activity_household_id"), "activity", ["household_id"], unique=False)
    op.create_index(
        "ix_activity_org_unit_id_starts_at", "activity", ["org_unit_id", "starts_at"], unique=False
    )
    op.create_index(op.f("ix_activity_town_id"), "activity", ["town_id"], unique=False)
    op.create_table(
        "dual_registration",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("work_unit_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column(
            "registered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("registered_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("volunteer_team_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_building_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_entrance", sa.String(length=20), nullable=True),
        sa.Column("responsibility_area", sa.String(length=100), nullable=True),
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
            "kind = 'home' OR (volunteer_team_id IS NULL AND linked_building_id IS NULL AND responsibility_area IS NULL)",
            name=op.f("ck_dual_registration_three_ones_at_home"),
        ),
        sa.CheckConstraint(
            "kind = 'home' OR work_unit_id IS NOT NULL",
            name=op.f("ck_dual_registration_linked_has_unit"),
        ),
        sa.CheckConstraint("kind IN ('home', 'linked')", name=op.f("ck_dual_registration_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'withdrawn')",
            name=op.f("ck_dual_registration_status"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_building_id"],
            ["org_unit.id"],
            name=op.f("fk_dual_registration_linked_building_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_dual_registration_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_dual_registration_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_dual_registration_volunteer_team_id_volunteer_team"),
        ),
        sa.ForeignKeyConstraint(
            ["work_unit_id"],
            ["work_unit.id"],
            name=op.f("fk_dual_registration_work_unit_id_work_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dual_registration")),
    )
    op.create_index(
        op.f("ix_dual_registration_building_id"), "dual_registration", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_dual_registration_community_id"),
        "dual_registration",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dual_registration_grid_id"), "dual_registration", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_dual_registration_household_id"),
        "dual_registration",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        "ix_dual_registration_person_id", "dual_registration", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_dual_registration_town_id"), "dual_registration", ["town_id"], unique=False
    )
    op.create_index(
        "ix_dual_registration_work_unit_id", "dual_registration", ["work_unit_id"], unique=False
    )
    op.create_index(
        "uq_dual_registration_live",
        "dual_registration",
        ["person_id", "kind", "org_unit_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.create_table(
        "micro_wish",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("wisher_person_id", sa.BigInteger(), nullable=False),
        sa.Column("posted_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("claimant_kind", sa.String(length=16), nullable=True),
        sa.Column("claimant_person_id", sa.BigInteger(), nullable=True),
        sa.Column("claimant_team_id", sa.BigInteger(), nullable=True),
        sa.Column("claimant_work_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("pledge_date", sa.Date(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "photos",
            postgresql.ARRAY(sa.String(length=500)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("story", sa.String(length=1000), nullable=True),
        sa.Column("thanks", sa.String(length=500), nullable=True),
        sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
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
            "(status IN ('claimed', 'fulfilled')) = (claimant_kind IS NOT NULL)",
            name=op.f("ck_micro_wish_claimed_has_claimant"),
        ),
        sa.CheckConstraint(
            "claimant_kind IS NULL OR claimant_kind IN ('member', 'team', 'work_unit')",
            name=op.f("ck_micro_wish_claimant_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'fulfilled', 'cancelled')",
            name=op.f("ck_micro_wish_status"),
        ),
        sa.ForeignKeyConstraint(
            ["claimant_person_id"],
            ["person.id"],
            name=op.f("fk_micro_wish_claimant_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["claimant_team_id"],
            ["volunteer_team.id"],
            name=op.f("fk_micro_wish_claimant_team_id_volunteer_team"),
        ),
        sa.ForeignKeyConstraint(
            ["claimant_work_unit_id"],
            ["work_unit.id"],
            name=op.f("fk_micro_wish_claimant_work_unit_id_work_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_micro_wish_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["wisher_person_id"], ["person.id"], name=op.f("fk_micro_wish_wisher_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_micro_wish")),
    )
    op.create_index(op.f("ix_micro_wish_building_id"), "micro_wish", ["building_id"], unique=False)
    op.create_index(
        op.f("ix_micro_wish_community_id"), "micro_wish", ["community_id"], unique=False
    )
    op.create_index(
        "ix_micro_wish_community_id_status_id",
        "micro_wish",
        ["community_id", "status", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_micro_wish_grid_id"), "micro_wish", ["grid_id"], unique=False)
    op.create_index(
        op.f("ix_micro_wish_household_id"), "micro_wish", ["household_id"], unique=False
    )
    op.create_index(op.f("ix_micro_wish_town_id"), "micro_wish", ["town_id"], unique=False)
    op.create_index(
        op.f("ix_micro_wish_wisher_person_id"), "micro_wish", ["wisher_person_id"], unique=False
    )
    op.create_table(
        "work_unit_commitment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("pairing_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'planned'"), nullable=False
        ),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("result", sa.String(length=500), nullable=True),
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
            "(status = 'done') = (done_on IS NOT NULL)",
            name=op.f("ck_work_unit_commitment_done_on_when_done"),
        ),
        sa.CheckConstraint(
            "kind IN ('livelihood', 'party_project')", name=op.f("ck_work_unit_commitment_kind")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done', 'dropped')",
            name=op.f("ck_work_unit_commitment_status"),
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["work_unit_pairing.id"],
            name=op.f("fk_work_unit_commitment_pairing_id_work_unit_pairing"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_unit_commitment")),
    )
    op.create_index(
        op.f("ix_work_unit_commitment_building_id"),
        "work_unit_commitment",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_unit_commitment_community_id"),
        "work_unit_commitment",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_unit_commitment_grid_id"), "work_unit_commitment", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_unit_commitment_household_id"),
        "work_unit_commitment",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        "ix_work_unit_commitment_pairing_id_year",
        "work_unit_commitment",
        ["pairing_id", "year"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_unit_commitment_town_id"), "work_unit_commitment", ["town_id"], unique=False
    )
    op.create_table(
        "activity_signup",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("activity_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_up_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_method", sa.String(length=16), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_out_method", sa.String(length=16), nullable=True),
        sa.Column("service_minutes", sa.Integer(), nullable=True),
        sa.Column("award_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("awarded_points", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
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
            "check_in_method IS NULL OR check_in_method IN ('qr', 'organiser')",
            name=op.f("ck_activity_signup_check_in_method"),
        ),
        sa.CheckConstraint(
            "check_out_method IS NULL OR check_out_method IN ('qr', 'organiser')",
            name=op.f("ck_activity_signup_check_out_method"),
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waiting', 'cancelled')",
            name=op.f("ck_activity_signup_status"),
        ),
        sa.CheckConstraint(
            "checked_out_at IS NULL OR (checked_in_at IS NOT NULL AND checked_out_at >= checked_in_at)",
            name=op.f("ck_activity_signup_out_after_in"),
        ),
        sa.CheckConstraint(
            "service_minutes IS NULL OR service_minutes >= 0",
            name=op.f("ck_activity_signup_minutes"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_activity_signup_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["award_transaction_id"],
            ["points_transaction.id"],
            name=op.f("fk_activity_signup_award_transaction_id_points_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_activity_signup_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_signup")),
        sa.UniqueConstraint(
            "activity_id", "person_id", name=op.f("uq_activity_signup_activity_id_person_id")
        ),
    )
    op.create_index(
        "ix_activity_signup_activity_id_status_id",
        "activity_signup",
        ["activity_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_activity_signup_person_id_id", "activity_signup", ["person_id", "id"], unique=False
    )
    op.create_table(
        "micro_wish_participant",
        sa.Column("wish_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("award_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("awarded_points", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_transaction_id"],
            ["points_transaction.id"],
            name=op.f("fk_micro_wish_participant_award_transaction_id_points_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_micro_wish_participant_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["wish_id"],
            ["micro_wish.id"],
            name=op.f("fk_micro_wish_participant_wish_id_micro_wish"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("wish_id", "person_id", name=op.f("pk_micro_wish_participant")),
    )
    op.create_index(
        op.f("ix_micro_wish_participant_person_id"),
        "micro_wish_participant",
        ["person_id"],
        unique=False,
    )
    op.add_column(
        "volunteer_team",
        sa.Column(
            "kind", sa.String(length=16), server_default=sa.text("'service'"), nullable=False
        ),
    )
    op.add_column("volunteer_team", sa.Column("leader_person_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "volunteer_team",
        sa.Column("members_only", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column(
        "volunteer_team",
        sa.Column("is_open", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "volunteer_team",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_foreign_key(
        op.f("fk_volunteer_team_leader_person_id_person"),
        "volunteer_team",
        "person",
        ["leader_person_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_volunteer_team_kind"), "volunteer_team", f"kind IN ({TEAM_KINDS})"
    )
    op.add_column(
        "volunteer_team_member",
        sa.Column(
            "joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    )
    op.drop_constraint(op.f("ck_points_rule_kind"), "points_rule", type_="check")
    op.create_check_constraint(
        op.f("ck_points_rule_kind"), "points_rule", f"kind IN ({RULE_KINDS_AFTER})"
    )
    op.bulk_insert(
        sa.table("points_rule", sa.column("kind"), sa.column("key"), sa.column("points")),
        [{"kind": "micro_wish", "key": "", "points": MICRO_WISH_POINTS}],
    )
    op.bulk_insert(
        sa.table("role_permission", sa.column("role"), sa.column("permission")),
        [
            {"role": role, "permission": permission}
            for role, permissions in PARTICIPATION_PERMISSIONS.items()
            for permission in permissions
        ],
    )


def downgrade() -> None:
    names = ", ".join(f"'{name}'" for name in NEW_PERMISSIONS)
    op.execute(f"DELETE FROM role_permission WHERE permission IN ({names})")
    # Rules are never edited, but a downgrade removes the kind itself.
    op.execute("DELETE FROM points_rule WHERE kind = 'micro_wish'")
    op.drop_constraint(op.f("ck_points_rule_kind"), "points_rule", type_="check")
    op.create_check_constraint(
        op.f("ck_points_rule_kind"), "points_rule", f"kind IN ({RULE_KINDS_BEFORE})"
    )
    op.drop_constraint(op.f("ck_volunteer_team_kind"), "volunteer_team", type_="check")
    op.drop_column("volunteer_team_member", "joined_at")
    op.drop_constraint(
        op.f("fk_volunteer_team_leader_person_id_person"), "volunteer_team", type_="foreignkey"
    )
    op.drop_column("volunteer_team", "version")
    op.drop_column("volunteer_team", "is_open")
    op.drop_column("volunteer_team", "members_only")
    op.drop_column("volunteer_team", "leader_person_id")
    op.drop_column("volunteer_team", "kind")
    op.drop_index(op.f("ix_micro_wish_participant_person_id"), table_name="micro_wish_participant")
    op.drop_table("micro_wish_participant")
    op.drop_index("ix_activity_signup_person_id_id", table_name="activity_signup")
    op.drop_index("ix_activity_signup_activity_id_status_id", table_name="activity_signup")
    op.drop_table("activity_signup")
    op.drop_index(op.f("ix_work_unit_commitment_town_id"), table_name="work_unit_commitment")
    op.drop_index("ix_work_unit_commitment_pairing_id_year", table_name="work_unit_commitment")
    op.drop_index(op.f("ix_work_unit_commitment_household_id"), table_name="work_unit_commitment")
    op.drop_index(op.f("ix_work_unit_commitment_grid_id"), table_name="work_unit_commitment")
    op.drop_index(op.f("ix_work_unit_commitment_community_id"), table_name="work_unit_commitment")
    op.drop_index(op.f("ix_work_unit_commitment_building_id"), table_name="work_unit_commitment")
    op.drop_table("work_unit_commitment")
    op.drop_index(op.f("ix_micro_wish_wisher_person_id"), table_name="micro_wish")
    op.drop_index(op.f("ix_micro_wish_town_id"), table_name="micro_wish")
    op.drop_index(op.f("ix_micro_wish_household_id"), table_name="micro_wish")
    op.drop_index(op.f("ix_micro_wish_grid_id"), table_name="micro_wish")
    op.drop_index("ix_micro_wish_community_id_status_id", table_name="micro_wish")
    op.drop_index(op.f("ix_micro_wish_community_id"), table_name="micro_wish")
    op.drop_index(op.f("ix_micro_wish_building_id"), table_name="micro_wish")
    op.drop_table("micro_wish")
    op.drop_index(
        "uq_dual_registration_live",
        table_name="dual_registration",
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.drop_index("ix_dual_registration_work_unit_id", table_name="dual_registration")
    op.drop_index(op.f("ix_dual_registration_town_id"), table_name="dual_registration")
    op.drop_index("ix_dual_registration_person_id", table_name="dual_registration")
    op.drop_index(op.f("ix_dual_registration_household_id"), table_name="dual_registration")
    op.drop_index(op.f("ix_dual_registration_grid_id"), table_name="dual_registration")
    op.drop_index(op.f("ix_dual_registration_community_id"), table_name="dual_registration")
    op.drop_index(op.f("ix_dual_registration_building_id"), table_name="dual_registration")
    op.drop_table("dual_registration")
    op.drop_index(op.f("ix_activity_town_id"), table_name="activity")
    op.drop_index("ix_activity_org_unit_id_starts_at", table_name="activity")
    op.drop_index(op.f("ix_activity_household_id"), table_name="activity")
    op.drop_index(op.f("ix_activity_grid_id"), table_name="activity")
    op.drop_index(op.f("ix_activity_community_id"), table_name="activity")
    op.drop_index(op.f("ix_activity_building_id"), table_name="activity")
    op.drop_table("activity")
    op.drop_index(
        "uq_work_unit_pairing_live",
        table_name="work_unit_pairing",
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index(op.f("ix_work_unit_pairing_work_unit_id"), table_name="work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_pairing_town_id"), table_name="work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_pairing_household_id"), table_name="work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_pairing_grid_id"), table_name="work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_pairing_community_id"), table_name="work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_pairing_building_id"), table_name="work_unit_pairing")
    op.drop_table("work_unit_pairing")
    op.drop_index(op.f("ix_work_unit_member_work_unit_id"), table_name="work_unit_member")
    op.drop_table("work_unit_member")
    op.drop_index(op.f("ix_work_unit_town_id"), table_name="work_unit")
    op.drop_index(op.f("ix_work_unit_household_id"), table_name="work_unit")
    op.drop_index(op.f("ix_work_unit_grid_id"), table_name="work_unit")
    op.drop_index(op.f("ix_work_unit_community_id"), table_name="work_unit")
    op.drop_index(op.f("ix_work_unit_building_id"), table_name="work_unit")
    op.drop_table("work_unit")
