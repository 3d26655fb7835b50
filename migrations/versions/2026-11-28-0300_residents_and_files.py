"""residents and files: self-registrations, household invitation codes, the
resident_pending role; uploaded files and the orders' file references; how a 回访
answer was taken and by whom

Revision ID: 20261128_0300
Revises: 20261128_0200
Create Date: 2026-11-28 03:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261128_0300"
down_revision: str | None = "20261128_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A self-registered resident awaiting the grid worker files and follows their own
# orders, and nothing more, until verified.
PENDING_ROLE = ("resident_pending", "待核实居民", "Resident awaiting verification")
PENDING_PERMISSIONS = ["orders.submit"]
# GET /orders?sort=…: a keyset on (key, id) for each sort.
LIST_INDEXES = {
    "ix_service_order_received_at_id": ["received_at", "id"],
    "ix_service_order_resolve_due_at_id": ["resolve_due_at", "id"],
    "ix_service_order_updated_at_id": ["updated_at", "id"],
}


def upgrade() -> None:
    op.create_table(
        "household_invitation",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("household_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
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
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_household_invitation_created_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["household_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_household_invitation_household_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["user_account.id"],
            name=op.f("fk_household_invitation_used_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_invitation")),
        sa.UniqueConstraint("code", name=op.f("uq_household_invitation_code")),
    )
    op.create_index(
        op.f("ix_household_invitation_building_id"),
        "household_invitation",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_household_invitation_community_id"),
        "household_invitation",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_household_invitation_grid_id"), "household_invitation", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_household_invitation_household_id"),
        "household_invitation",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_household_invitation_town_id"), "household_invitation", ["town_id"], unique=False
    )
    op.create_table(
        "resident_registration",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("household_unit_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
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
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_resident_registration_decided_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["household_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_resident_registration_household_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_resident_registration_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_resident_registration_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_registration")),
    )
    op.create_index(
        op.f("ix_resident_registration_building_id"),
        "resident_registration",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resident_registration_community_id"),
        "resident_registration",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resident_registration_grid_id"), "resident_registration", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_resident_registration_household_id"),
        "resident_registration",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resident_registration_person_id"),
        "resident_registration",
        ["person_id"],
        unique=False,
    )
    op.create_index(
        "ix_resident_registration_status_id",
        "resident_registration",
        ["status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resident_registration_town_id"), "resident_registration", ["town_id"], unique=False
    )
    op.create_index(
        op.f("ix_resident_registration_user_id"), "resident_registration", ["user_id"], unique=False
    )
    op.create_index(
        "uq_resident_registration_user_id_pending",
        "resident_registration",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    role = sa.table(
        "role", sa.column("code", sa.String), sa.column("name_zh"), sa.column("name_en")
    )
    op.bulk_insert(role, [dict(zip(("code", "name_zh", "name_en"), PENDING_ROLE, strict=True))])
    permission = sa.table("role_permission", sa.column("role"), sa.column("permission"))
    op.bulk_insert(
        permission, [{"role": PENDING_ROLE[0], "permission": p} for p in PENDING_PERMISSIONS]
    )
    op.create_table(
        "stored_file",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=200), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
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
            ["order_id"], ["service_order.id"], name=op.f("fk_stored_file_order_id_service_order")
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user_account.id"],
            name=op.f("fk_stored_file_owner_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
    )
    op.create_index(op.f("ix_stored_file_order_id"), "stored_file", ["order_id"], unique=False)
    op.create_index(
        op.f("ix_stored_file_owner_user_id"), "stored_file", ["owner_user_id"], unique=False
    )
    for column in ("attachment_file_ids", "result_file_ids"):
        op.add_column(
            "service_order",
            sa.Column(
                column,
                postgresql.ARRAY(sa.BigInteger()),
                server_default=sa.text("'{}'"),
                nullable=False,
            ),
        )
    op.add_column("service_order", sa.Column("feedback_channel", sa.String(length=8)))
    op.add_column("service_order", sa.Column("feedback_by_user_id", sa.BigInteger()))
    op.create_foreign_key(
        op.f("fk_service_order_feedback_by_user_id_user_account"),
        "service_order",
        "user_account",
        ["feedback_by_user_id"],
        ["id"],
    )
    for name, columns in LIST_INDEXES.items():
        op.create_index(name, "service_order", columns)


def downgrade() -> None:
    for name in LIST_INDEXES:
        op.drop_index(name, table_name="service_order")
    op.drop_constraint(
        op.f("fk_service_order_feedback_by_user_id_user_account"),
        "service_order",
        type_="foreignkey",
    )
    op.drop_column("service_order", "feedback_by_user_id")
    op.drop_column("service_order", "feedback_channel")
    op.drop_column("service_order", "result_file_ids")
    op.drop_column("service_order", "attachment_file_ids")
    op.drop_index(op.f("ix_stored_file_owner_user_id"), table_name="stored_file")
    op.drop_index(op.f("ix_stored_file_order_id"), table_name="stored_file")
    op.drop_table("stored_file")
    op.execute("DELETE FROM role_grant WHERE role = 'resident_pending'")
    op.execute("DELETE FROM role_permission WHERE role = 'resident_pending'")
    op.execute("DELETE FROM role WHERE code = 'resident_pending'")
    op.drop_index(
        "uq_resident_registration_user_id_pending",
        table_name="resident_registration",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_resident_registration_user_id"), table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_town_id"), table_name="resident_registration")
    op.drop_index("ix_resident_registration_status_id", table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_person_id"), table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_household_id"), table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_grid_id"), table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_community_id"), table_name="resident_registration")
    op.drop_index(op.f("ix_resident_registration_building_id"), table_name="resident_registration")
    op.drop_table("resident_registration")
    op.drop_index(op.f("ix_household_invitation_town_id"), table_name="household_invitation")
    op.drop_index(op.f("ix_household_invitation_household_id"), table_name="household_invitation")
    op.drop_index(op.f("ix_household_invitation_grid_id"), table_name="household_invitation")
    op.drop_index(op.f("ix_household_invitation_community_id"), table_name="household_invitation")
    op.drop_index(op.f("ix_household_invitation_building_id"), table_name="household_invitation")
    op.drop_table("household_invitation")
